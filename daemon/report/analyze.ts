// From raw measurements to the report's numbers: stage table with priorities, per-worker rows,
// the verdict that names the bottleneck, hot spots, budgets.
import { LogHistogram, type HistogramData } from "../../profile/histogram";
import { findFrames, hotSpots as treeHotSpots, type CallTree } from "../../profile/calltree";
import { STAGE_NAMES, priorityOf, type Bottleneck, type BudgetResult, type HotSpotRow, type StageName, type StageRow, type WorkerRow } from "../../profile/run";
import type { StatsSnapshot } from "../../server-core/ipc";
import { MoonscopeError } from "../../profile/errors";

export interface MergedRoute {
  requests: number;
  errors: number;
  statuses: Record<string, number>;
  total: LogHistogram;
  stages: Record<StageName, LogHistogram>;
}

/** The route's statistics merged over all workers of a snapshot. */
export function mergeRoute(snap: StatsSnapshot, routeKey: string): MergedRoute {
  const stages = Object.fromEntries(STAGE_NAMES.map((s) => [s, new LogHistogram()])) as Record<StageName, LogHistogram>;
  const out: MergedRoute = { requests: 0, errors: 0, statuses: {}, total: new LogHistogram(), stages };
  for (const w of snap.workers) {
    for (const r of w.routes) {
      if (r.route !== routeKey) continue;
      out.requests += r.requests;
      out.errors += r.errors;
      for (const [k, v] of Object.entries(r.statuses)) out.statuses[k] = (out.statuses[k] ?? 0) + v;
      out.total.merge(r.total);
      for (const s of STAGE_NAMES) stages[s].merge(r.stages[s]);
    }
  }
  return out;
}

export function stageRows(stages: Record<StageName, LogHistogram | HistogramData>): StageRow[] {
  const hs = STAGE_NAMES.map((s) => {
    const h = stages[s];
    return h instanceof LogHistogram ? h : LogHistogram.from(h);
  });
  const sum = hs.reduce((a, h) => a + h.mean(), 0);
  return STAGE_NAMES.map((stage, i) => {
    const h = hs[i];
    const share = sum > 0 ? h.mean() / sum : 0;
    return { stage, p50Us: h.percentile(50) / 1000, p99Us: h.percentile(99) / 1000, meanUs: h.mean() / 1000, share, priority: priorityOf(share) };
  });
}

/** Per-worker rows over the window between two snapshots (CPU% from cumulative CPU time). */
export function workerRows(first: StatsSnapshot, last: StatsSnapshot, routeKey: string, windowMs: number): WorkerRow[] {
  return last.workers.map((w) => {
    const before = first.workers.find((x) => x.pid === w.pid);
    const cpuMs = w.resources.cpuUserMs + w.resources.cpuSystemMs - (before ? before.resources.cpuUserMs + before.resources.cpuSystemMs : 0);
    const eld = LogHistogram.from(w.resources.eventLoopDelay);
    const requests = w.routes.filter((r) => r.route === routeKey).reduce((a, r) => a + r.requests, 0);
    return {
      worker: w.worker,
      pid: w.pid,
      requests,
      cpuPercent: windowMs > 0 ? (cpuMs / windowMs) * 100 : 0,
      rssBytes: w.resources.rssBytes,
      luaHeapBytes: w.resources.luaHeapBytes,
      eventLoopDelayP99Us: eld.percentile(99) / 1000,
      gcPauseMs: w.resources.gcPause.sum / 1e6,
    };
  });
}

const STAGE_BOTTLENECK: Record<StageName, Bottleneck> = {
  parse: "http-layer",
  extract: "http-layer",
  write: "http-layer",
  queue: "queueing",
  context: "context",
  handler: "lua-handler",
  serialize: "serialization",
};

const BOTTLENECK_TEXT: Record<Bottleneck, string> = {
  "lua-handler": "the Lua handler",
  serialization: "serialization (reading the Lua result and encoding JSON)",
  "http-layer": "the HTTP layer (parsing, routing and writing responses)",
  queueing: "queueing for the Lua state",
  context: "building the Lua context",
  "load-generator": "the load generator",
  unknown: "nothing measurable",
};

/** A process at or above this CPU% of its core(s) cannot push harder. */
export const SATURATED_CPU_PERCENT = 85;
/** On a machine the generator shares with the server, a generator this busy and clearly busier than
 * the workers on average is what set the pace: the workers waited for requests. */
export const BUSY_GENERATOR_PERCENT = 65;

export function verdict(
  rows: StageRow[],
  loadGen: { name: string; cpuPercent: number; cores: number },
  workers: WorkerRow[],
): { bottleneck: Bottleneck; message: string; loadGenSaturated: boolean } {
  const maxWorkerCpu = Math.max(0, ...workers.map((w) => w.cpuPercent));
  const genCpu = loadGen.cpuPercent / loadGen.cores;
  // Against the workers' mean, not their max: connections can land unevenly (29% and 62% was seen),
  // and one busier worker does not mean the server as a whole was short of CPU.
  const meanWorkerCpu = workers.length ? workers.reduce((a, w) => a + w.cpuPercent, 0) / workers.length : 0;
  const genSaturated = genCpu >= SATURATED_CPU_PERCENT || (genCpu >= BUSY_GENERATOR_PERCENT && genCpu >= 1.25 * meanWorkerCpu);
  if (genSaturated && maxWorkerCpu < SATURATED_CPU_PERCENT) {
    return {
      bottleneck: "load-generator",
      loadGenSaturated: true,
      message: `the load generator was saturated (${loadGen.name} at ${loadGen.cpuPercent.toFixed(0)}% CPU, workers at most ${maxWorkerCpu.toFixed(0)}%): the numbers say more about it than about your server; use fewer workers, --load wrk, or a --rate`,
    };
  }
  const top = [...rows].sort((a, b) => b.share - a.share)[0];
  if (!top || top.meanUs === 0) return { bottleneck: "unknown", message: "no request of this route was timed", loadGenSaturated: genSaturated };
  const b = STAGE_BOTTLENECK[top.stage];
  const byGroup = new Map<Bottleneck, number>();
  for (const r of rows) byGroup.set(STAGE_BOTTLENECK[r.stage], (byGroup.get(STAGE_BOTTLENECK[r.stage]) ?? 0) + r.share);
  const groupTop = [...byGroup.entries()].sort((x, y) => y[1] - x[1])[0];
  const chosen = groupTop[0];
  const share = groupTop[1];
  const detail = chosen === b ? `${top.stage} ${pct(top.share)} of server time` : `${pct(share)} of server time`;
  return { bottleneck: chosen, loadGenSaturated: genSaturated, message: `the bottleneck is ${BOTTLENECK_TEXT[chosen]}: ${detail}` };
}

function pct(x: number): string {
  return `${(x * 100).toFixed(0)}%`;
}

/** The sampled time that was not idle: what every "share of busy CPU" (hot spots, hot lines) is a share of. */
export function busyTime(tree: CallTree): number {
  return tree.total - findFrames(tree, (f) => f.kind === "idle").self;
}

/** Hot spots by self time; shares are of busy time (idle excluded), kinds that are not code are left out. */
export function hotSpotRows(tree: CallTree, limit: number): HotSpotRow[] {
  const spots = treeHotSpots(tree, Number.MAX_SAFE_INTEGER);
  const busy = busyTime(tree);
  return spots
    .filter((s) => s.frame.kind !== "idle" && s.frame.kind !== "stage" && s.frame.kind !== "program")
    .slice(0, limit)
    .map((s) => ({ frame: s.frame, selfUs: s.self, totalUs: s.total, selfShare: busy > 0 ? s.self / busy : 0, totalShare: busy > 0 ? s.total / busy : 0 }));
}

export interface Budget {
  metric: "p50" | "p90" | "p99" | "p999" | "rps" | "errors";
  limit: number;
}

/** "p99=5ms,rps=20000,errors=0" → budgets; a malformed entry is a usage error naming it and where it came from. */
export function parseBudgets(spec: string, source = "--budget"): Budget[] {
  const out: Budget[] = [];
  for (const part of spec.split(",").map((s) => s.trim()).filter(Boolean)) {
    const m = /^(p50|p90|p99|p999|rps|errors)\s*=\s*(\d+(?:\.\d+)?)\s*(us|µs|ms|s)?$/.exec(part);
    if (!m) throw new MoonscopeError("MS_ERR_USAGE", `${source} entry "${part}" is not understood; use p50|p90|p99|p999=<n>ms, rps=<n> or errors=<n>, e.g. p99=5ms,rps=20000`);
    const metric = m[1] as Budget["metric"];
    let v = Number(m[2]);
    if (metric.startsWith("p")) v = m[3] === "s" ? v * 1e6 : m[3] === "us" || m[3] === "µs" ? v : v * 1000; // → µs, ms by default
    out.push({ metric, limit: v });
  }
  return out;
}

export function checkBudgets(budgets: Budget[], client: { rps: number; latencyUs: Record<string, number>; errors: number; non2xx: number }): BudgetResult[] {
  return budgets.map((b) => {
    if (b.metric === "rps") {
      const ok = client.rps >= b.limit;
      return { metric: "rps", limit: b.limit, actual: client.rps, unit: "req/s", ok, message: `throughput ${client.rps.toFixed(0)} req/s ${ok ? ">=" : "is below the budget of"} ${b.limit} req/s` };
    }
    if (b.metric === "errors") {
      const errs = client.errors + client.non2xx;
      const ok = errs <= b.limit;
      return { metric: "errors", limit: b.limit, actual: errs, unit: "count", ok, message: `${errs} errors and non-2xx responses ${ok ? "<=" : "exceed the budget of"} ${b.limit}` };
    }
    const actual = client.latencyUs[b.metric];
    const ok = actual <= b.limit;
    return { metric: b.metric, limit: b.limit, actual, unit: "us", ok, message: `${b.metric} latency ${(actual / 1000).toFixed(2)} ms ${ok ? "<=" : "exceeds the budget of"} ${(b.limit / 1000).toFixed(2)} ms` };
  });
}
