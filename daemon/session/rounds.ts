// A run measured in rounds: each round's numbers from the server's cumulative statistics at its
// two ends (what was recorded in between) and the load generator's report for that round, and the
// run's client summary from all rounds.
import { STAGE_NAMES, type RoundStats, type StageName } from "../../profile/run";
import type { StatsSnapshot } from "../../server-core/ipc";
import type { LoadResult, LoadSource } from "../load";
import { mergeRoute, type MergedRoute } from "../report/analyze";

/** What the route's histograms recorded between two snapshots of the same server. */
export function routeSince(end: StatsSnapshot, start: StatsSnapshot, routeKey: string): MergedRoute {
  const e = mergeRoute(end, routeKey);
  const s = mergeRoute(start, routeKey);
  e.total.since(s.total);
  for (const st of STAGE_NAMES) e.stages[st].since(s.stages[st]);
  const statuses: Record<string, number> = {};
  for (const [k, v] of Object.entries(e.statuses)) statuses[k] = Math.max(0, v - (s.statuses[k] ?? 0));
  return { requests: Math.max(0, e.requests - s.requests), errors: Math.max(0, e.errors - s.errors), statuses, total: e.total, stages: e.stages };
}

/**
 * A client summary made of the server's own measurements of the route (first byte in → response
 * written; request counts over the window): what stands in where no generator of ours reported,
 * under load from elsewhere or when the generator was stopped before it could. No request at all
 * gives zeros, never NaN or Infinity.
 */
export function serverSideLoad(m: MergedRoute, windowMs: number, generator: LoadSource, cpuPercent = 0): LoadResult {
  const h = m.total;
  const any = h.count > 0;
  const us = (ns: number) => (any ? ns / 1000 : 0);
  return {
    generator,
    requests: m.requests,
    durationMs: windowMs,
    rps: windowMs > 0 ? (m.requests / windowMs) * 1000 : 0,
    bytesPerSec: 0,
    latencyUs: { min: us(h.min), mean: us(h.mean()), p50: us(h.percentile(50)), p90: us(h.percentile(90)), p99: us(h.percentile(99)), p999: us(h.percentile(99.9)), max: us(h.max) },
    non2xx: (m.statuses["4xx"] ?? 0) + (m.statuses["5xx"] ?? 0),
    errors: 0,
    cpuPercent,
  };
}

/** The workers' CPU time (ms) between two snapshots; a worker that is new since `start` counts from 0. */
export function cpuMsSince(end: StatsSnapshot, start: StatsSnapshot): number {
  let ms = 0;
  for (const w of end.workers) {
    const before = start.workers.find((x) => x.pid === w.pid);
    ms += w.resources.cpuUserMs + w.resources.cpuSystemMs - (before ? before.resources.cpuUserMs + before.resources.cpuSystemMs : 0);
  }
  return Math.max(0, ms);
}

export function roundStats(start: StatsSnapshot, end: StatsSnapshot, routeKey: string, load: LoadResult, windowMs: number, startMs: number): RoundStats {
  const m = routeSince(end, start, routeKey);
  const stage = (f: (s: StageName) => number) => Object.fromEntries(STAGE_NAMES.map((s) => [s, f(s)])) as Record<StageName, number>;
  return {
    startMs,
    windowMs,
    requests: load.requests,
    rps: load.rps,
    latencyUs: load.latencyUs,
    errors: load.errors,
    generatorCpuPercent: load.cpuPercent,
    server: { meanUs: m.total.mean() / 1000, p50Us: m.total.percentile(50) / 1000, p99Us: m.total.percentile(99) / 1000 },
    stageMeanUs: stage((s) => m.stages[s].mean() / 1000),
    stageP99Us: stage((s) => m.stages[s].percentile(99) / 1000),
    cpuUsPerRequest: m.requests > 0 ? (cpuMsSince(end, start) * 1000) / m.requests : 0,
  };
}

/**
 * One client summary for the run from its rounds' reports. Counts add up; the latency percentiles
 * are the request-weighted means of the rounds' (the generators report percentiles, not their
 * histograms, so they cannot be merged exactly); min and max are exact.
 */
export function combineLoads(loads: LoadResult[]): LoadResult {
  if (loads.length === 1) return loads[0];
  const requests = loads.reduce((a, l) => a + l.requests, 0);
  const durationMs = loads.reduce((a, l) => a + l.durationMs, 0);
  const weight = (l: LoadResult) => (requests > 0 ? l.requests / requests : 1 / loads.length);
  const wmean = (f: (l: LoadResult) => number) => loads.reduce((a, l) => a + weight(l) * f(l), 0);
  const warnings = loads.flatMap((l) => l.warnings ?? []);
  return {
    generator: loads[0].generator,
    requests,
    durationMs,
    rps: durationMs > 0 ? (requests / durationMs) * 1000 : 0,
    bytesPerSec: wmean((l) => l.bytesPerSec),
    latencyUs: {
      min: Math.min(...loads.map((l) => l.latencyUs.min)),
      mean: wmean((l) => l.latencyUs.mean),
      p50: wmean((l) => l.latencyUs.p50),
      p90: wmean((l) => l.latencyUs.p90),
      p99: wmean((l) => l.latencyUs.p99),
      p999: wmean((l) => l.latencyUs.p999),
      max: Math.max(...loads.map((l) => l.latencyUs.max)),
    },
    non2xx: loads.reduce((a, l) => a + l.non2xx, 0),
    errors: loads.reduce((a, l) => a + l.errors, 0),
    cpuPercent: durationMs > 0 ? loads.reduce((a, l) => a + l.cpuPercent * l.durationMs, 0) / durationMs : 0,
    aborted: loads.some((l) => l.aborted),
    ...(warnings.length ? { warnings } : {}),
  };
}
