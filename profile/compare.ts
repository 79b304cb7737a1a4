// Comparing two runs of a route: every metric judged across rounds against the right noise
// (profile/verdict.ts), what differs between the runs besides the code, and the per-function
// deltas of the busy CPU time. `moonscope compare`, `moonscope ab` and the panel all call this, so
// they give the same verdicts for the same runs.
import { MoonscopeError } from "./errors";
import { diffTrees, type FrameDelta } from "./diff";
import { diffFlamegraphSvg } from "./flamegraph-svg";
import type { CallNode, CallTree } from "./calltree";
import { loadTree } from "./tree-store";
import { roundsOf } from "./rounds";
import { nodeLabel, STAGE_NAMES, type RoundStats, type RunFile } from "./run";
import { judge, type Change, type Judgement, type NoiseModel } from "./verdict";

export type { Change } from "./verdict";

export interface Delta extends Judgement {
  name: string;
}

export interface Comparison {
  before: { id: string; createdAt: string };
  after: { id: string; createdAt: string };
  route: string;
  sameRoute: boolean;
  /** How the verdicts were reached: rounds per side, and whether the rounds were interleaved (ab). */
  method: { beforeRounds: number; afterRounds: number; interleaved: boolean; summary: string };
  throughput: Delta;
  /** The workers' CPU time per request: the route's cost, whatever the concurrency. */
  cpuPerRequest: Delta;
  clientLatency: Delta[];
  stageMeans: Delta[];
  stageP99: Delta[];
  frames: FrameDelta[];
  /** What differs between the runs besides the code under test (options, machine, Node, files, a saturated generator). */
  differences: string[];
  notes: string[];
}

/**
 * Noise per metric, as sd of ln(value), measured on the reference machine (a 2-core VM whose speed
 * drifts by tens of percent over minutes, the load generator sharing its cores) with
 * `npm run bench -- --only=compare` (bench/compare-truth.ts prints these from its A/A pairs):
 * withinSd between the rounds of one run, pairedSd between neighbouring interleaved rounds of an
 * A/A `ab`, betweenSd the extra offset of runs measured apart; rounded up. The handler has its own
 * row: the framework's stages last microseconds and scatter far more than the user's code, and one
 * row for both would hide a doubled handler. A quieter machine is judged conservatively; rounds
 * bring their own spread (see verdict.ts's prior weight).
 */
export const NOISE = {
  throughput: { withinSd: 0.076, pairedSd: 0.12, betweenSd: 0.076, floorRel: 0.03, floorAbs: 0, higherIsWorse: false },
  cpu: { withinSd: 0.076, pairedSd: 0.12, betweenSd: 0.076, floorRel: 0.03, floorAbs: 1, higherIsWorse: true },
  latencyP50: { withinSd: 0.1, pairedSd: 0.15, betweenSd: 0.1, floorRel: 0.05, floorAbs: 20, higherIsWorse: true },
  latencyTail: { withinSd: 0.25, pairedSd: 0.8, betweenSd: 0.2, floorRel: 0.1, floorAbs: 20, higherIsWorse: true },
  latencyP999: { withinSd: 0.45, pairedSd: 0.95, betweenSd: 0.4, floorRel: 0.1, floorAbs: 20, higherIsWorse: true },
  handlerMean: { withinSd: 0.068, pairedSd: 0.12, betweenSd: 0.068, floorRel: 0.03, floorAbs: 1, higherIsWorse: true },
  handlerP99: { withinSd: 0.1, pairedSd: 0.28, betweenSd: 0.1, floorRel: 0.05, floorAbs: 10, higherIsWorse: true },
  stageMean: { withinSd: 0.18, pairedSd: 0.35, betweenSd: 0.17, floorRel: 0.05, floorAbs: 1, higherIsWorse: true },
  stageP99: { withinSd: 0.3, pairedSd: 0.6, betweenSd: 0.3, floorRel: 0.1, floorAbs: 10, higherIsWorse: true },
} as const satisfies Record<string, NoiseModel>;

const signedPct = (r: number): string => `${r >= 0 ? "+" : "−"}${Math.abs(r * 100).toFixed(1)}%`;

const LATENCY_PERCENTILES = ["p50", "p90", "p99", "p999"] as const;

/** A copy of the tree without its idle and program roots: compare what the CPU did, not how long it waited. */
export function busyTree(t: CallTree): CallTree {
  const children: CallNode[] = t.root.children.filter((c) => c.frame.kind !== "idle" && c.frame.kind !== "program");
  const total = children.reduce((a, c) => a + c.total, 0);
  return { root: { ...t.root, self: 0, total, children }, total };
}

/** Whether two runs are the two sides of one `moonscope ab`. */
function interleaved(a: RunFile, b: RunFile): boolean {
  return a.ab?.other === b.id && b.ab?.other === a.id;
}

/**
 * The rounds to judge: those that served the route (a round without a request measured nothing, as
 * when load from elsewhere sent none; its zeros would read as an infinite change). Interleaved
 * rounds are kept or left out in pairs, so pairs stay neighbours.
 */
function servedRounds(a: RunFile, b: RunFile, paired: boolean): { ra: RoundStats[]; rb: RoundStats[]; left: number } {
  const all = [roundsOf(a), roundsOf(b)];
  const served = (r: RoundStats) => r.requests > 0;
  let [ra, rb] = all.map((rs) => rs.filter(served));
  if (paired && all[0].length === all[1].length) {
    const keep = all[0].map((r, i) => served(r) && served(all[1][i]));
    [ra, rb] = all.map((rs) => rs.filter((_r, i) => keep[i]));
  }
  for (const [run, rounds] of [[a, ra], [b, rb]] as const) {
    if (rounds.length === 0) {
      throw new MoonscopeError(
        "MS_ERR_RUN_EMPTY",
        `run ${run.id} served no request of ${run.route.method} ${run.route.path}${paired ? " in a round its partner also measured" : ""}, so there is nothing to compare; profile the route again (with --load external, send requests to the URL it prints while it measures)`,
      );
    }
  }
  return { ra, rb, left: all[0].length - ra.length + (all[1].length - rb.length) };
}

export function compareRuns(a: RunFile, b: RunFile): Comparison {
  const paired = interleaved(a, b);
  const { ra, rb, left } = servedRounds(a, b, paired);
  const how = { paired: paired && ra.length === rb.length, separate: !paired };
  const delta = (name: string, pick: (r: RoundStats) => number, model: NoiseModel): Delta => ({ name, ...judge(ra.map(pick), rb.map(pick), model, how) });
  const routeA = `${a.route.method} ${a.route.path}`;
  const routeB = `${b.route.method} ${b.route.path}`;
  const notes: string[] = [];
  if (left > 0) notes.push(`${left} round${left === 1 ? "" : "s"} without a request of the route ${left === 1 ? "was" : "were"} left out of the verdicts`);
  let frames: FrameDelta[] = [];
  if (a.profile.merged && b.profile.merged) frames = diffTrees(busyTree(loadTree(a.profile.merged)), busyTree(loadTree(b.profile.merged)));
  else notes.push("a run has no CPU profile (--mode none): no per-function comparison");
  return {
    before: { id: a.id, createdAt: a.createdAt },
    after: { id: b.id, createdAt: b.createdAt },
    route: routeB,
    sameRoute: routeA === routeB,
    method: { beforeRounds: ra.length, afterRounds: rb.length, interleaved: paired, summary: methodSummary(ra.length, rb.length, paired) },
    throughput: delta("req/s", (r) => r.rps, NOISE.throughput),
    cpuPerRequest: delta("CPU/req", (r) => r.cpuUsPerRequest, NOISE.cpu),
    clientLatency: LATENCY_PERCENTILES.map((p) => delta(p, (r) => r.latencyUs[p], p === "p50" ? NOISE.latencyP50 : p === "p999" ? NOISE.latencyP999 : NOISE.latencyTail)),
    stageMeans: STAGE_NAMES.map((s) => delta(s, (r) => r.stageMeanUs[s], s === "handler" ? NOISE.handlerMean : NOISE.stageMean)),
    stageP99: STAGE_NAMES.map((s) => delta(s, (r) => r.stageP99Us[s], s === "handler" ? NOISE.handlerP99 : NOISE.stageP99)),
    frames,
    differences: differences(a, b),
    notes,
  };
}

function methodSummary(n: number, m: number, paired: boolean): string {
  if (paired) return `${n} interleaved round${n === 1 ? "" : "s"} per side (moonscope ab): drift between the runs cancels`;
  const rounds = n === m ? `${n} round${n === 1 ? "" : "s"} per side` : `${n} and ${m} rounds`;
  if (n === 1 && m === 1) return `one round per side, measured at different times: only large changes can be called (run moonscope ab --runs 5 for small ones)`;
  return `${rounds}, measured at different times: the run-to-run noise counts too`;
}

/** Everything that differs between two runs besides the code, each said once. */
export function differences(a: RunFile, b: RunFile): string[] {
  const out: string[] = [];
  const routeA = `${a.route.method} ${a.route.path}`;
  const routeB = `${b.route.method} ${b.route.path}`;
  if (routeA !== routeB) out.push(`the runs profiled different routes (${routeA} and ${routeB})`);
  const opt = (label: string, x: unknown, y: unknown, unit = "") => {
    if (x !== y) out.push(`${label}: ${String(x)}${unit} → ${String(y)}${unit}`);
  };
  opt("duration per round", a.options.durationMs / 1000, b.options.durationMs / 1000, " s");
  opt("rounds", a.options.runs ?? 1, b.options.runs ?? 1);
  opt("connections", a.options.connections, b.options.connections);
  opt("rate", a.options.rate ?? "closed loop", b.options.rate ?? "closed loop");
  opt("workers", a.options.workers, b.options.workers);
  opt("mode", a.options.mode, b.options.mode);
  opt("load generator", a.options.load, b.options.load);
  opt("Node", a.machine ? nodeLabel(a.machine) : a.tool.node, b.machine ? nodeLabel(b.machine) : b.tool.node);
  if (a.machine && b.machine) {
    opt("machine", `${a.machine.cpuModel} × ${a.machine.cores}`, `${b.machine.cpuModel} × ${b.machine.cores}`);
    opt("platform", `${a.machine.platform}-${a.machine.arch}`, `${b.machine.platform}-${b.machine.arch}`);
  }
  if (a.app.files && b.app.files) {
    const names = [...new Set([...Object.keys(a.app.files), ...Object.keys(b.app.files)])].sort();
    const changed = names.filter((f) => a.app.files![f] !== undefined && b.app.files![f] !== undefined && a.app.files![f] !== b.app.files![f]);
    const added = names.filter((f) => a.app.files![f] === undefined);
    const removed = names.filter((f) => b.app.files![f] === undefined);
    if (changed.length) out.push(`app files changed: ${changed.join(", ")}`);
    if (added.length) out.push(`app files only in the second run: ${added.join(", ")}`);
    if (removed.length) out.push(`app files only in the first run: ${removed.join(", ")}`);
    if (!changed.length && !added.length && !removed.length) out.push("the app's files are the same in both runs (same hashes)");
  }
  const reqRatio = a.client.requests > 0 ? b.client.requests / a.client.requests : 1;
  if (reqRatio > 1.5 || reqRatio < 1 / 1.5) out.push(`the second run served ${reqRatio.toFixed(1)}× the requests of the first (${a.client.requests} → ${b.client.requests})`);
  if (a.client.saturated) out.push(`the load generator was the bottleneck in the first run (${a.client.cpuPercent.toFixed(0)}% of a core): its numbers describe the generator more than the server`);
  if (b.client.saturated) out.push(`the load generator was the bottleneck in the second run (${b.client.cpuPercent.toFixed(0)}% of a core): its numbers describe the generator more than the server`);
  return out;
}

/** Every verdict of a comparison, with the group it belongs to (for --fail-on and summaries). */
export function allDeltas(c: Comparison): { group: string; delta: Delta }[] {
  return [
    { group: "client", delta: c.throughput },
    { group: "cost", delta: c.cpuPerRequest },
    ...c.clientLatency.map((delta) => ({ group: "client latency", delta })),
    ...c.stageMeans.map((delta) => ({ group: "stage mean", delta })),
    ...c.stageP99.map((delta) => ({ group: "stage p99", delta })),
  ];
}

/** The one-line answer: which metrics got slower or faster, or that none changed (and what could have been seen). */
export interface Headline {
  text: string;
  change: "slower" | "faster" | "mixed" | "no change";
}

export function headline(c: Comparison): Headline {
  const all = allDeltas(c).map((x) => x.delta);
  const label = (d: Delta) => `${d.name} ${signedPct(d.relative)}`;
  const slower = all.filter((d) => d.change === "slower");
  const faster = all.filter((d) => d.change === "faster");
  if (slower.length && faster.length) return { text: `mixed: slower ${slower.slice(0, 4).map(label).join(", ")}; faster ${faster.slice(0, 4).map(label).join(", ")}`, change: "mixed" };
  if (slower.length) return { text: `slower: ${slower.slice(0, 5).map(label).join(", ")}`, change: "slower" };
  if (faster.length) return { text: `faster: ${faster.slice(0, 5).map(label).join(", ")}`, change: "faster" };
  return {
    text: `no change detected on any metric (this noise could have shown req/s ±${(c.throughput.detectable * 100).toFixed(0)}%, CPU/req ±${(c.cpuPerRequest.detectable * 100).toFixed(0)}%, handler mean ±${(c.stageMeans.find((d) => d.name === "handler")!.detectable * 100).toFixed(0)}%)`,
    change: "no change",
  };
}

/** Counts of each change, e.g. for "2 slower, 1 faster". */
export function changeCounts(c: Comparison): Record<Change, number> {
  const out: Record<Change, number> = { slower: 0, faster: 0, "no change": 0 };
  for (const { delta } of allDeltas(c)) out[delta.change]++;
  return out;
}

/** The differential flamegraph of two runs' busy CPU (red: larger share in b), or null when one has no profile. */
export function diffSvg(a: RunFile, b: RunFile): string | null {
  if (!a.profile.merged || !b.profile.merged) return null;
  return diffFlamegraphSvg(busyTree(loadTree(a.profile.merged)), busyTree(loadTree(b.profile.merged)), {
    title: `${b.route.method} ${b.route.path}: ${a.id} -> ${b.id}`,
    subtitle: "red: larger share of CPU in the second run, blue: smaller",
  });
}
