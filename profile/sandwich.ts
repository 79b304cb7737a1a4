// The sandwich view of one function: who calls it (callers, from the function up to the stage
// roots) and what it calls (callees, its subtrees merged). Recursion counts once: only the outermost
// occurrences on a stack are taken, as hotSpots counts totals.
import { CallTreeBuilder, type CallNode, type CallTree } from "./calltree";
import { frameKey, type Frame } from "./frames";

export interface Sandwich {
  /** Root's child is the function; below it, its callers, then theirs (weights: the function's total through that path). */
  callers: CallTree;
  /** Root's child is the function; below it, everything it called, merged over all its call sites. */
  callees: CallTree;
}

export function sandwich(t: CallTree, fn: Frame): Sandwich {
  const key = frameKey(fn);
  const callers = new CallTreeBuilder();
  const callees = new CallTreeBuilder();
  // Iterative DFS carrying the path (root excluded); below a match, no further match is outermost.
  const work: { n: CallNode; path: Frame[] }[] = t.root.children.map((n) => ({ n, path: [] }));
  while (work.length) {
    const { n, path } = work.pop()!;
    if (frameKey(n.frame) === key) {
      callers.add([n.frame, ...path.slice().reverse()], n.total);
      addSubtree(callees, n);
      continue;
    }
    const next = [...path, n.frame];
    for (const c of n.children) work.push({ n: c, path: next });
  }
  return { callers: callers.build(), callees: callees.build() };
}

function addSubtree(b: CallTreeBuilder, top: CallNode): void {
  const work: { n: CallNode; stack: Frame[] }[] = [{ n: top, stack: [top.frame] }];
  while (work.length) {
    const { n, stack } = work.pop()!;
    b.add(stack, n.self);
    for (const c of n.children) work.push({ n: c, stack: [...stack, c.frame] });
  }
}
