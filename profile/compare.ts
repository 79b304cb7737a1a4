// Comparing two runs of a route: per-stage and per-percentile deltas with a call on whether each
// difference is larger than the noise, and the per-function deltas of the busy CPU time.
import { bucketLow, bucketWidth, LogHistogram, type HistogramData } from "./histogram";
import { diffTrees, type FrameDelta } from "./diff";
import { diffFlamegraphSvg } from "./flamegraph-svg";
import type { CallNode, CallTree } from "./calltree";
import { loadTree } from "./tree-store";
import { STAGE_NAMES, type RunFile, type StageName } from "./run";

export type Change = "slower" | "faster" | "within noise";

export interface Delta {
  name: string;
  before: number;
  after: number;
  /** (after - before) / before, or 0 when before is 0. */
  relative: number;
  change: Change;
  /** Why it counts as noise or not. */
  why: string;
}

export interface Comparison {
  before: { id: string; createdAt: string };
  after: { id: string; createdAt: string };
  route: string;
  sameRoute: boolean;
  throughput: Delta;
  clientLatency: Delta[];
  stageMeans: Delta[];
  stageP99: Delta[];
  frames: FrameDelta[];
  notes: string[];
}

/** Relative change below which a difference between two single runs is treated as noise (measured run-to-run spread here). */
export const NOISE = { mean: 0.05, percentile: 0.1, throughput: 0.05 };

function variance(h: HistogramData): number {
  if (h.count < 2) return 0;
  const mean = h.sum / h.count;
  let acc = 0;
  for (let i = 0; i + 1 < h.buckets.length; i += 2) {
    const mid = bucketLow(h.buckets[i]) + bucketWidth(h.buckets[i]) / 2;
    acc += h.buckets[i + 1] * (mid - mean) ** 2;
  }
  return acc / (h.count - 1);
}

function judge(name: string, before: number, after: number, threshold: number, higherIsWorse: boolean, t?: number): Delta {
  const relative = before !== 0 ? (after - before) / before : 0;
  const big = Math.abs(relative) >= threshold;
  const sig = t === undefined || Math.abs(t) >= 3;
  let change: Change = "within noise";
  if (big && sig) change = (after > before) === higherIsWorse ? "slower" : "faster";
  const why = !big ? `|${(relative * 100).toFixed(1)}%| < ${(threshold * 100).toFixed(0)}%` : !sig ? `t = ${t!.toFixed(1)} < 3` : `${(relative * 100).toFixed(1)}%${t !== undefined ? `, t = ${t.toFixed(1)}` : ""}`;
  return { name, before, after, relative, change, why };
}

/** A copy of the tree without its idle and program roots: compare what the CPU did, not how long it waited. */
export function busyTree(t: CallTree): CallTree {
  const children: CallNode[] = t.root.children.filter((c) => c.frame.kind !== "idle" && c.frame.kind !== "program");
  const total = children.reduce((a, c) => a + c.total, 0);
  return { root: { ...t.root, self: 0, total, children }, total };
}

export function compareRuns(a: RunFile, b: RunFile): Comparison {
  const notes: string[] = [];
  const ra = `${a.route.method} ${a.route.path}`;
  const rb = `${b.route.method} ${b.route.path}`;
  if (ra !== rb) notes.push(`the runs profiled different routes (${ra} and ${rb})`);
  if (a.options.workers !== b.options.workers || a.options.connections !== b.options.connections || a.options.load !== b.options.load) {
    notes.push("the runs used different workers, connections or load generator; differences may come from that");
  }
  if (a.client.saturated || b.client.saturated) notes.push("a run had a saturated load generator; its throughput says little about the server");
  const throughput = judge("req/s", a.client.rps, b.client.rps, NOISE.throughput, false);
  const clientLatency = (["p50", "p90", "p99", "p999"] as const).map((p) => judge(p, a.client.latencyUs[p], b.client.latencyUs[p], NOISE.percentile, true));
  const stageMeans: Delta[] = [];
  const stageP99: Delta[] = [];
  for (const s of STAGE_NAMES) {
    const ha = a.server.histograms.stages[s as StageName];
    const hb = b.server.histograms.stages[s as StageName];
    const ma = ha.count ? ha.sum / ha.count / 1000 : 0;
    const mb = hb.count ? hb.sum / hb.count / 1000 : 0;
    const se = Math.sqrt(variance(ha) / Math.max(1, ha.count) + variance(hb) / Math.max(1, hb.count)) / 1000;
    const t = se > 0 ? (mb - ma) / se : undefined;
    stageMeans.push(judge(s, ma, mb, NOISE.mean, true, t));
    stageP99.push(judge(s, LogHistogram.from(ha).percentile(99) / 1000, LogHistogram.from(hb).percentile(99) / 1000, NOISE.percentile, true));
  }
  let frames: FrameDelta[] = [];
  if (a.profile.merged && b.profile.merged) frames = diffTrees(busyTree(loadTree(a.profile.merged)), busyTree(loadTree(b.profile.merged)));
  else notes.push("a run has no CPU profile (--mode none): no per-function comparison");
  return {
    before: { id: a.id, createdAt: a.createdAt },
    after: { id: b.id, createdAt: b.createdAt },
    route: rb,
    sameRoute: ra === rb,
    throughput,
    clientLatency,
    stageMeans,
    stageP99,
    frames,
    notes,
  };
}

/** The differential flamegraph of two runs' busy CPU (red: larger share in b), or null when one has no profile. */
export function diffSvg(a: RunFile, b: RunFile): string | null {
  if (!a.profile.merged || !b.profile.merged) return null;
  return diffFlamegraphSvg(busyTree(loadTree(a.profile.merged)), busyTree(loadTree(b.profile.merged)), {
    title: `${b.route.method} ${b.route.path}: ${a.id} -> ${b.id}`,
    subtitle: "red: larger share of CPU in the second run, blue: smaller",
  });
}
