// V8 .cpuprofile: the JSON of the inspector's Profiler.stop (and of `node --cpu-prof`), which
// Chrome DevTools, VS Code and speedscope open. Times are microseconds; lineNumber and
// columnNumber are 0-based, -1 when unknown.
import { type CallNode, type CallTree, CallTreeBuilder } from "./calltree";
import type { Frame } from "./frames";
import { median } from "./median";

export interface CpuCallFrame {
  functionName: string;
  scriptId: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}

export interface CpuProfileNode {
  id: number;
  callFrame: CpuCallFrame;
  hitCount?: number;
  children?: number[];
  /** Old (trace-event) form: a parent link instead of children lists. */
  parent?: number;
  positionTicks?: { line: number; ticks: number }[];
  deoptReason?: string;
}

export interface CpuProfile {
  nodes: CpuProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

interface Indexed {
  byId: Map<number, CpuProfileNode>;
  parent: Map<number, number>;
  /** Ids of the tree roots (normally one, "(root)"). */
  roots: Set<number>;
}

function index(p: CpuProfile): Indexed {
  const byId = new Map<number, CpuProfileNode>();
  const parent = new Map<number, number>();
  for (const n of p.nodes) byId.set(n.id, n);
  for (const n of p.nodes) {
    if (n.children) for (const c of n.children) parent.set(c, n.id);
    if (n.parent !== undefined && !parent.has(n.id)) parent.set(n.id, n.parent);
  }
  const roots = new Set<number>();
  for (const n of p.nodes) if (!parent.has(n.id)) roots.add(n.id);
  return { byId, parent, roots };
}

/**
 * Weight (µs) per sample, in timestamp order: the time to the next sample. The last sample gets
 * the median of the other weights, but never more than the time left until endTime (when endTime
 * is at or after it): a profile's end bounds its last sample. Negative deltas (V8 occasionally
 * reorders) are handled by sorting samples by timestamp. Without samples, each node's hitCount
 * spreads the profile's duration evenly.
 */
function sampleWeights(p: CpuProfile): { ids: number[]; weights: number[] } {
  const samples = p.samples ?? [];
  const deltas = p.timeDeltas ?? [];
  if (samples.length === 0) {
    let hits = 0;
    for (const n of p.nodes) hits += n.hitCount ?? 0;
    const ids: number[] = [];
    const weights: number[] = [];
    const per = hits > 0 ? Math.max(0, p.endTime - p.startTime) / hits : 0;
    for (const n of p.nodes) {
      if ((n.hitCount ?? 0) > 0) {
        ids.push(n.id);
        weights.push(n.hitCount! * per);
      }
    }
    return { ids, weights };
  }
  const n = samples.length;
  const ts = new Array<number>(n);
  let t = p.startTime;
  let sorted = true;
  for (let i = 0; i < n; i++) {
    t += deltas[i] ?? 0;
    ts[i] = t;
    if (i > 0 && ts[i] < ts[i - 1]) sorted = false;
  }
  let order: number[] | null = null;
  if (!sorted) {
    order = samples.map((_, i) => i);
    order.sort((a, b) => ts[a] - ts[b] || a - b);
  }
  const ids = new Array<number>(n);
  const stamps = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const j = order ? order[i] : i;
    ids[i] = samples[j];
    stamps[i] = ts[j];
  }
  const weights = new Array<number>(n);
  for (let i = 0; i + 1 < n; i++) weights[i] = stamps[i + 1] - stamps[i];
  let last = median(weights.slice(0, n - 1));
  if (n === 1) last = Math.max(0, p.endTime - stamps[0]);
  else if (p.endTime >= stamps[n - 1]) last = Math.min(last, p.endTime - stamps[n - 1]);
  weights[n - 1] = last;
  return { ids, weights };
}

/**
 * One stack per sample (root-first callFrames, the "(root)" node excluded) with its weight in µs,
 * the time to the next sample (see sampleWeights for the last one). Consecutive samples of the
 * same node are coalesced. Stacks of the same node are the same (shared, do not mutate) array.
 */
export function cpuProfileStacks(p: CpuProfile): { stack: CpuCallFrame[]; weight: number }[] {
  const ix = index(p);
  const stackCache = new Map<number, CpuCallFrame[]>();
  const stackOf = (id: number): CpuCallFrame[] => {
    let s = stackCache.get(id);
    if (s !== undefined) return s;
    const ids: number[] = [];
    for (let cur: number | undefined = id; cur !== undefined && !ix.roots.has(cur); cur = ix.parent.get(cur)) ids.push(cur);
    s = [];
    for (let i = ids.length - 1; i >= 0; i--) {
      const node = ix.byId.get(ids[i]);
      if (node) s.push(node.callFrame);
    }
    stackCache.set(id, s);
    return s;
  };
  const { ids, weights } = sampleWeights(p);
  const out: { stack: CpuCallFrame[]; weight: number }[] = [];
  let prev = NaN;
  for (let i = 0; i < ids.length; i++) {
    if (ids[i] === prev && out.length) out[out.length - 1].weight += weights[i];
    else out.push({ stack: stackOf(ids[i]), weight: weights[i] });
    prev = ids[i];
  }
  return out;
}

/**
 * A CallTree from a profile. classify maps each call frame to a Frame, or null to drop it (its
 * time goes to the nearest kept caller, or to the root's self if none is kept).
 */
export function importCpuProfile(p: CpuProfile, classify: (cf: CpuCallFrame) => Frame | null): CallTree {
  const ix = index(p);
  const { ids, weights } = sampleWeights(p);
  const perNode = new Map<number, number>();
  for (let i = 0; i < ids.length; i++) {
    const w = weights[i];
    if (w > 0) perNode.set(ids[i], (perNode.get(ids[i]) ?? 0) + w);
  }
  const classified = new Map<number, Frame | null>();
  const b = new CallTreeBuilder();
  for (const [id, w] of perNode) {
    const stack: Frame[] = [];
    for (let cur: number | undefined = id; cur !== undefined && !ix.roots.has(cur); cur = ix.parent.get(cur)) {
      let f = classified.get(cur);
      if (f === undefined) {
        const node = ix.byId.get(cur);
        f = node ? classify(node.callFrame) : null;
        classified.set(cur, f);
      }
      if (f !== null) stack.push(f);
    }
    stack.reverse();
    b.add(stack, w);
  }
  return b.build();
}

/**
 * A reasonable classifier for plain V8 profiles: "(root)" dropped; "(program)", "(idle)",
 * "(garbage collector)" become their kinds; "node:" URLs are "node"; frames without a URL are
 * "native"; the rest "js-app". file = url as given, line 1-based.
 */
export function classifyV8Frame(cf: CpuCallFrame): Frame | null {
  const name = cf.functionName || "(anonymous)";
  switch (cf.functionName) {
    case "(root)":
      return null;
    case "(program)":
      return { name, kind: "program" };
    case "(idle)":
      return { name, kind: "idle" };
    case "(garbage collector)":
      return { name, kind: "gc" };
  }
  if (!cf.url) return { name, kind: "native" };
  const f: Frame = { name, file: cf.url, kind: cf.url.startsWith("node:") ? "node" : "js-app" };
  if (cf.lineNumber >= 0) f.line = cf.lineNumber + 1;
  return f;
}

/**
 * Synthesises a profile that DevTools, VS Code and speedscope open: one node per CallNode (the
 * tree's root is the "(root)" node), url = file, lineNumber = line - 1, scriptIds numbered per
 * file. Each node's self weight is split into samples of about `sampleInterval` µs (default
 * max(100 µs, total / 100000)), so hitCount is proportional to self time (DevTools' tree views
 * use hitCount) while the timeDeltas sum exactly to it (importCpuProfile gives the same tree).
 * Samples follow a pre-order walk, so the timeline reads like the flamegraph. A final sample on
 * "(root)" at endTime closes the last real one; it carries no time.
 */
export function toCpuProfile(t: CallTree, opts: { startTime?: number; sampleInterval?: number } = {}): CpuProfile {
  const startTime = opts.startTime ?? 0;
  const quantum = opts.sampleInterval && opts.sampleInterval > 0 ? opts.sampleInterval : Math.max(100, t.total / 100000);
  const nodes: CpuProfileNode[] = [];
  const samples: number[] = [];
  const timeDeltas: number[] = [0];
  const scriptIds = new Map<string, string>();
  const scriptIdOf = (url: string): string => {
    if (url === "") return "0";
    let s = scriptIds.get(url);
    if (s === undefined) {
      s = String(scriptIds.size + 1);
      scriptIds.set(url, s);
    }
    return s;
  };
  let nextId = 1;
  const rootNode: CpuProfileNode = {
    id: nextId++,
    callFrame: { functionName: "(root)", scriptId: "0", url: "", lineNumber: -1, columnNumber: -1 },
    hitCount: 0,
    children: [],
  };
  nodes.push(rootNode);
  const emit = (id: number, self: number, node: CpuProfileNode): void => {
    if (!(self > 0)) return;
    const k = Math.max(1, Math.round(self / quantum));
    const d = self / k;
    for (let i = 0; i < k; i++) {
      samples.push(id);
      timeDeltas.push(d);
    }
    node.hitCount = (node.hitCount ?? 0) + k;
  };
  emit(rootNode.id, t.root.self, rootNode);
  const work: [CallNode, CpuProfileNode][] = [];
  for (let i = t.root.children.length - 1; i >= 0; i--) work.push([t.root.children[i], rootNode]);
  while (work.length) {
    const [n, parent] = work.pop()!;
    const f = n.frame;
    const url = f.file ?? "";
    const node: CpuProfileNode = {
      id: nextId++,
      callFrame: {
        functionName: f.name,
        scriptId: scriptIdOf(url),
        url,
        lineNumber: f.line !== undefined ? f.line - 1 : -1,
        columnNumber: f.line !== undefined ? 0 : -1,
      },
      hitCount: 0,
      children: [],
    };
    nodes.push(node);
    parent.children!.push(node.id);
    emit(node.id, n.self, node);
    for (let i = n.children.length - 1; i >= 0; i--) work.push([n.children[i], node]);
  }
  // The closing sample: the last real sample's delta is the one pushed last.
  samples.push(rootNode.id);
  rootNode.hitCount = (rootNode.hitCount ?? 0) + 1;
  let end = startTime;
  for (const d of timeDeltas) end += d;
  timeDeltas.length = samples.length;
  return { nodes, startTime, endTime: end, samples, timeDeltas };
}
