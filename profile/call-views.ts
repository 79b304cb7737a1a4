// The bottom-up reading of a call tree: each function with the stacks that led to it (the panel's
// call-tree table; top-down is the tree itself).
import { CallTreeBuilder, type CallNode, type CallTree } from "./calltree";
import type { Frame } from "./frames";

/**
 * The bottom-up tree: the root's children are the functions that had self time (their total is that
 * self time, summed over every stack), each node's children are its callers, weighted by the self
 * time that came through them. The synthetic root and empty stacks are left out.
 */
export function bottomUp(t: CallTree): CallTree {
  const b = new CallTreeBuilder();
  // Iterative pre-order with the path from the root's child down to the node.
  const path: Frame[] = [];
  const work: { n: CallNode; depth: number }[] = t.root.children.map((n) => ({ n, depth: 0 }));
  while (work.length) {
    const { n, depth } = work.pop()!;
    path.length = depth;
    path.push(n.frame);
    if (n.self > 0) b.add(path.slice().reverse(), n.self);
    for (const c of n.children) work.push({ n: c, depth: depth + 1 });
  }
  return b.build();
}
