// The call tree: stacks (root-first) with weights in microseconds, merged by frame identity.
// Every walk here is iterative, because Lua recursion can make stacks thousands of frames deep.
// Invariant of every tree this module returns: node.total = node.self + sum(child.total), children
// sorted by total descending (ties by frame key, so output is deterministic), and no node with a
// total of zero.
import { type Frame, ROOT_FRAME, frameKey, frameLabel, parseFrameLabel } from "./frames";

export interface CallNode {
  frame: Frame;
  self: number;
  total: number;
  children: CallNode[];
}

export interface CallTree {
  /** Synthetic frame {name: "(root)", kind: "program"}; its self is weight of empty stacks. */
  root: CallNode;
  total: number;
}

function sameFrame(a: Frame, b: Frame): boolean {
  return a === b || (a.name === b.name && a.kind === b.kind && (a.file ?? "") === (b.file ?? "") && a.line === b.line);
}

/**
 * Builder node. Children are found by comparing frame fields while they are few (no key string
 * is built on the hot path), then through a map by frame key.
 */
class MNode {
  self = 0;
  total = 0;
  readonly kids: MNode[] = [];
  private index: Map<string, MNode> | undefined;
  constructor(
    readonly frame: Frame,
    readonly key: string,
  ) {}
  child(frame: Frame): MNode {
    const kids = this.kids;
    let key: string | undefined;
    if (this.index !== undefined) {
      key = frameKey(frame);
      const c = this.index.get(key);
      if (c !== undefined) return c;
    } else {
      for (let i = 0; i < kids.length; i++) if (sameFrame(kids[i].frame, frame)) return kids[i];
      key = frameKey(frame);
    }
    const c = new MNode(frame, key);
    kids.push(c);
    if (this.index !== undefined) this.index.set(key, c);
    else if (kids.length > 8) {
      this.index = new Map();
      for (const k of kids) this.index.set(k.key, k);
    }
    return c;
  }
}

export class CallTreeBuilder {
  private readonly root = new MNode(ROOT_FRAME, frameKey(ROOT_FRAME));

  /**
   * Adds one stack (root-first, without the synthetic root). Weights <= 0 or not finite are
   * ignored. The tree keeps the first Frame object seen for each path (share them freely; do not
   * mutate them afterwards).
   */
  add(stack: readonly Frame[], weight: number): void {
    if (!(weight > 0) || weight === Infinity) return;
    let n = this.root;
    for (let i = 0; i < stack.length; i++) n = n.child(stack[i]);
    n.self += weight;
  }

  /** Adds every node's self weight of a tree, times factor. */
  addTree(t: CallTree, factor = 1): void {
    if (!(factor > 0)) return;
    const src: CallNode[] = [t.root];
    const dst: MNode[] = [this.root];
    while (src.length) {
      const s = src.pop()!;
      const d = dst.pop()!;
      if (s.self > 0) d.self += s.self * factor;
      for (const c of s.children) {
        src.push(c);
        dst.push(d.child(c.frame));
      }
    }
  }

  /** A snapshot: the builder stays usable, and later adds do not change the returned tree. */
  build(): CallTree {
    const root = freeze(this.root);
    return { root, total: root.total };
  }
}

function byTotalDesc(a: MNode, b: MNode): number {
  return b.total - a.total || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
}

/** Converts builder nodes into sorted CallNodes with totals (iterative). */
function freeze(mroot: MNode): CallNode {
  // Pre-order list of builder nodes; totals are summed in reverse (children before parents).
  const order: MNode[] = [];
  const work: MNode[] = [mroot];
  while (work.length) {
    const m = work.pop()!;
    order.push(m);
    for (let i = 0; i < m.kids.length; i++) work.push(m.kids[i]);
  }
  for (let i = order.length - 1; i >= 0; i--) {
    const m = order[i];
    let total = m.self;
    for (let j = 0; j < m.kids.length; j++) total += m.kids[j].total;
    m.total = total;
  }
  const out: CallNode = { frame: mroot.frame, self: mroot.self, total: mroot.total, children: [] };
  const ms: MNode[] = [mroot];
  const cs: CallNode[] = [out];
  while (ms.length) {
    const m = ms.pop()!;
    const c = cs.pop()!;
    const kids = m.kids.length > 1 ? m.kids.slice().sort(byTotalDesc) : m.kids;
    for (let j = 0; j < kids.length; j++) {
      const k = kids[j];
      if (!(k.total > 0)) continue; // empty subtrees (zero weights via addTree) are dropped
      const cc: CallNode = { frame: k.frame, self: k.self, total: k.total, children: [] };
      c.children.push(cc);
      ms.push(k);
      cs.push(cc);
    }
  }
  return out;
}

export function mergeTrees(trees: readonly CallTree[]): CallTree {
  const b = new CallTreeBuilder();
  for (const t of trees) b.addTree(t);
  return b.build();
}

export function scaleTree(t: CallTree, factor: number): CallTree {
  const map = (n: CallNode): CallNode => ({ frame: n.frame, self: n.self * factor, total: n.total * factor, children: [] });
  const root = map(t.root);
  const work: [CallNode, CallNode][] = [[t.root, root]];
  while (work.length) {
    const [src, dst] = work.pop()!;
    for (const c of src.children) {
      const d = map(c);
      dst.children.push(d);
      work.push([c, d]);
    }
  }
  return { root, total: t.total * factor };
}

/**
 * A copy without the nodes whose total is below minFraction of the tree's total (their time stays
 * in the parent's self, so every total is unchanged): a small tree for live updates over the wire.
 */
export function pruneTree(t: CallTree, minFraction: number): CallTree {
  const min = t.total * minFraction;
  const copy = (n: CallNode): CallNode => ({ frame: n.frame, self: n.self, total: n.total, children: [] });
  const root = copy(t.root);
  const work: [CallNode, CallNode][] = [[t.root, root]];
  while (work.length) {
    const [src, dst] = work.pop()!;
    for (const c of src.children) {
      if (c.total < min) {
        dst.self += c.total;
        continue;
      }
      const d = copy(c);
      dst.children.push(d);
      work.push([c, d]);
    }
  }
  return { root, total: t.total };
}

/** Visits every node except the synthetic root, pre-order, with the labels of the path to it. */
function walkPaths(t: CallTree, visit: (n: CallNode, path: string) => void): void {
  const work: [CallNode, string][] = [];
  for (let i = t.root.children.length - 1; i >= 0; i--) work.push([t.root.children[i], ""]);
  while (work.length) {
    const [n, prefix] = work.pop()!;
    const path = prefix === "" ? foldedLabel(n.frame) : prefix + ";" + foldedLabel(n.frame);
    visit(n, path);
    for (let i = n.children.length - 1; i >= 0; i--) work.push([n.children[i], path]);
  }
}

/** A label safe in folded text: no ";" (the separator) and no line breaks. */
function foldedLabel(f: Frame): string {
  const l = frameLabel(f);
  return /[;\r\n]/.test(l) ? l.replace(/[;\r\n]/g, " ") : l;
}

/**
 * Brendan Gregg's folded stacks: one "label;label;... weight" line per stack with self weight,
 * the weight rounded to integer microseconds (lines that round to 0 are left out), lines sorted,
 * a final newline. Stacks whose labels coincide (frames differing only in kind) are summed. The
 * root's own self weight (empty stacks) has no line.
 */
export function toFolded(t: CallTree): string {
  const sums = new Map<string, number>();
  walkPaths(t, (n, path) => {
    if (n.self > 0) sums.set(path, (sums.get(path) ?? 0) + n.self);
  });
  const lines: string[] = [];
  for (const [path, w] of sums) {
    const r = Math.round(w);
    if (r > 0) lines.push(path + " " + r);
  }
  lines.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return lines.length ? lines.join("\n") + "\n" : "";
}

/**
 * Parses folded stacks ("a;b;c 42" per line; blank lines and lines starting with "#" are skipped,
 * as are lines without a numeric weight). classify turns a label back into a frame; the default,
 * parseFrameLabel, guesses the kind from the label.
 */
export function fromFolded(text: string, classify: (label: string) => Frame = parseFrameLabel): CallTree {
  const b = new CallTreeBuilder();
  const cache = new Map<string, Frame>();
  const frameOf = (label: string): Frame => {
    let f = cache.get(label);
    if (f === undefined) {
      f = classify(label);
      cache.set(label, f);
    }
    return f;
  };
  for (const raw of text.split("\n")) {
    const line = raw.trimEnd();
    if (line === "" || line.startsWith("#")) continue;
    const sp = line.lastIndexOf(" ");
    if (sp <= 0) continue;
    const weight = Number(line.slice(sp + 1));
    if (!Number.isFinite(weight)) continue;
    const labels = line.slice(0, sp).split(";");
    b.add(labels.map(frameOf), weight);
  }
  return b.build();
}

export interface HotSpot {
  frame: Frame;
  self: number;
  total: number;
  selfShare: number;
  totalShare: number;
}

/**
 * Per frame (by frameKey) over the whole tree, the synthetic root excluded: self summed over all
 * its nodes, total summed over its outermost nodes only (a recursive frame's time counts once
 * per stack). All entries, unsorted.
 */
export function aggregateFrames(t: CallTree): Map<string, { frame: Frame; self: number; total: number }> {
  const agg = new Map<string, { frame: Frame; self: number; total: number }>();
  const onPath = new Map<string, number>(); // key -> how many times it is on the current path
  // Iterative DFS with explicit exit markers so onPath can be decremented.
  const work: (CallNode | string)[] = [];
  for (let i = t.root.children.length - 1; i >= 0; i--) work.push(t.root.children[i]);
  while (work.length) {
    const item = work.pop()!;
    if (typeof item === "string") {
      const c = onPath.get(item)!;
      if (c === 1) onPath.delete(item);
      else onPath.set(item, c - 1);
      continue;
    }
    const key = frameKey(item.frame);
    let a = agg.get(key);
    if (a === undefined) {
      a = { frame: item.frame, self: 0, total: 0 };
      agg.set(key, a);
    }
    a.self += item.self;
    const depth = onPath.get(key) ?? 0;
    if (depth === 0) a.total += item.total;
    onPath.set(key, depth + 1);
    work.push(key);
    for (let i = item.children.length - 1; i >= 0; i--) work.push(item.children[i]);
  }
  return agg;
}

/** The `limit` frames with the most self time (ties: more total first, then by label). */
export function hotSpots(t: CallTree, limit: number): HotSpot[] {
  const out: HotSpot[] = [];
  const T = t.total;
  for (const a of aggregateFrames(t).values()) {
    out.push({ frame: a.frame, self: a.self, total: a.total, selfShare: T > 0 ? a.self / T : 0, totalShare: T > 0 ? a.total / T : 0 });
  }
  out.sort((a, b) => b.self - a.self || b.total - a.total || cmpStr(frameLabel(a.frame), frameLabel(b.frame)));
  return limit >= out.length ? out : out.slice(0, Math.max(0, limit));
}

function cmpStr(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Number of CallNodes in the tree, the synthetic root included. */
export function nodeCount(t: CallTree): number {
  let n = 0;
  const work: CallNode[] = [t.root];
  while (work.length) {
    const x = work.pop()!;
    n++;
    for (const c of x.children) work.push(c);
  }
  return n;
}

/**
 * Sums over every node whose frame matches: self of all of them, total of the outermost ones only
 * (a node below another matching node adds nothing to total), so total is the time during which a
 * matching frame was on the stack. The synthetic root is never tested.
 */
export function findFrames(t: CallTree, pred: (f: Frame) => boolean): { self: number; total: number } {
  let self = 0;
  let total = 0;
  const work: [CallNode, boolean][] = t.root.children.map((c) => [c, false]);
  while (work.length) {
    const [n, under] = work.pop()!;
    const match = pred(n.frame);
    if (match) {
      self += n.self;
      if (!under) total += n.total;
    }
    for (const c of n.children) work.push([c, under || match]);
  }
  return { self, total };
}

/** Depth of the deepest node (the synthetic root is depth 0). */
export function maxDepth(t: CallTree): number {
  let max = 0;
  const work: [CallNode, number][] = [[t.root, 0]];
  while (work.length) {
    const [n, d] = work.pop()!;
    if (d > max) max = d;
    for (const c of n.children) work.push([c, d + 1]);
  }
  return max;
}
