// Comparing two profiles frame by frame. Shares (self / tree total) are compared rather than raw
// microseconds, so runs of different lengths or request counts compare fairly.
import { type CallNode, type CallTree, aggregateFrames } from "./calltree";
import { type Frame, frameKey, frameLabel } from "./frames";

export interface FrameDelta {
  frame: Frame;
  beforeSelf: number;
  afterSelf: number;
  /** Self time as a fraction of the tree's total, 0..1. */
  beforeShare: number;
  afterShare: number;
  /** afterShare - beforeShare. */
  deltaShare: number;
}

/** Per frame (as in hotSpots), a = before, b = after; frames of either side; sorted by |deltaShare| desc. */
export function diffTrees(a: CallTree, b: CallTree): FrameDelta[] {
  const A = aggregateFrames(a);
  const B = aggregateFrames(b);
  const out: FrameDelta[] = [];
  const keys = new Set<string>([...A.keys(), ...B.keys()]);
  for (const key of keys) {
    const x = A.get(key);
    const y = B.get(key);
    const beforeSelf = x?.self ?? 0;
    const afterSelf = y?.self ?? 0;
    const beforeShare = a.total > 0 ? beforeSelf / a.total : 0;
    const afterShare = b.total > 0 ? afterSelf / b.total : 0;
    out.push({ frame: (y ?? x)!.frame, beforeSelf, afterSelf, beforeShare, afterShare, deltaShare: afterShare - beforeShare });
  }
  out.sort((p, q) => Math.abs(q.deltaShare) - Math.abs(p.deltaShare) || q.afterSelf - p.afterSelf || cmp(frameLabel(p.frame), frameLabel(q.frame)));
  return out;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * For every node of `after`, the node of `before` at the same path (frame keys from the root), or
 * undefined when that path does not exist in `before`.
 */
export function matchPaths(before: CallTree, after: CallTree): Map<CallNode, CallNode | undefined> {
  const out = new Map<CallNode, CallNode | undefined>();
  const work: [CallNode, CallNode | undefined][] = [[after.root, before.root]];
  while (work.length) {
    const [n, m] = work.pop()!;
    out.set(n, m);
    let index: Map<string, CallNode> | undefined;
    if (m && m.children.length) {
      index = new Map();
      for (const c of m.children) index.set(frameKey(c.frame), c);
    }
    for (const c of n.children) work.push([c, index?.get(frameKey(c.frame))]);
  }
  return out;
}
