// CallTree <-> StoredTree: a frames table and pre-order nodes, compact enough for run.json and
// exact (self weights are kept, totals are recomputed).
import { type CallNode, type CallTree } from "./calltree";
import { frameKey, type Frame } from "./frames";
import type { StoredTree } from "./run";

export function storeTree(t: CallTree): StoredTree {
  const frames: Frame[] = [];
  const index = new Map<string, number>();
  const nodes: [number, number, number][] = [];
  const work: [CallNode, number][] = [];
  for (let i = t.root.children.length - 1; i >= 0; i--) work.push([t.root.children[i], -1]);
  while (work.length) {
    const [n, parent] = work.pop()!;
    const key = frameKey(n.frame);
    let fi = index.get(key);
    if (fi === undefined) {
      fi = frames.length;
      frames.push(n.frame);
      index.set(key, fi);
    }
    const me = nodes.length;
    nodes.push([fi, Math.round(n.self * 1000) / 1000, parent]);
    for (let i = n.children.length - 1; i >= 0; i--) work.push([n.children[i], me]);
  }
  return { frames, nodes, total: t.total };
}

export function loadTree(s: StoredTree): CallTree {
  const root: CallNode = { frame: { name: "(root)", kind: "program" }, self: 0, total: 0, children: [] };
  const made: CallNode[] = [];
  for (const [fi, self, parent] of s.nodes) {
    const n: CallNode = { frame: s.frames[fi], self, total: 0, children: [] };
    made.push(n);
    (parent < 0 ? root : made[parent]).children.push(n);
  }
  // Totals bottom-up: children always come after their parent in pre-order.
  for (let i = made.length - 1; i >= 0; i--) {
    const n = made[i];
    n.total += n.self;
    const p = s.nodes[i][2];
    (p < 0 ? root : made[p]).total += n.total;
  }
  root.total += root.self;
  return { root, total: root.total };
}
