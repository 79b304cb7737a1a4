// `moonscope serve --metrics`: the merged statistics of every worker as Prometheus metrics, built by
// the master when a scrape asks (the text format itself is profile/prometheus.ts). Nothing here
// runs on the request path: the numbers are the per-route counters and stage histograms the
// workers keep anyway.
import { LogHistogram, type HistogramData } from "../profile/histogram";
import { histogramSample, renderExposition, type MetricFamily, type SummarySample } from "../profile/prometheus";
import type { StatsSnapshot } from "./ipc";
import { STAGES, type RouteStatsData } from "./stages";

/** Where a scrape is answered unless --metrics-path says otherwise. */
export const DEFAULT_METRICS_PATH = "/metrics";

/**
 * One bucket ladder, 1-2.5-5 per decade from 1 µs to 10 s, for every duration. The fast stages
 * (parse, extract, queue, context, serialize, write) take a few µs, so the ladder starts at 1 µs;
 * handlers take from tens of µs to the handler timeout (1 s by default, more when raised), so it
 * ends at 10 s. One ladder for all stages, not one per stage, because a fast stage is sometimes
 * slow (a GC pause lands in whichever stage runs, a large body makes parse take ms) and because
 * series with the same bounds can be summed across stages and routes. Three bounds per decade
 * keep a route at 8 histograms x 23 buckets; histogram_quantile interpolates inside a bucket, so
 * its answer is only as precise as this ladder (the server's own percentiles, from the log-linear
 * histograms, are within 1/64).
 */
export const DURATION_BOUNDS_SECONDS: readonly number[] = [
  1e-6, 2.5e-6, 5e-6, 1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3, 5e-3, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

/** The same route's numbers from several workers (or from workers gone and workers now) as one. */
export function mergeRouteStats(list: readonly RouteStatsData[]): RouteStatsData[] {
  const byRoute = new Map<string, { data: RouteStatsData; total: LogHistogram; stages: LogHistogram[] }>();
  for (const r of list) {
    let m = byRoute.get(r.route);
    if (!m) {
      m = {
        data: { ...r, requests: 0, errors: 0, statuses: {}, total: r.total, stages: { ...r.stages } },
        total: new LogHistogram(),
        stages: STAGES.map(() => new LogHistogram()),
      };
      byRoute.set(r.route, m);
    }
    m.data.requests += r.requests;
    m.data.errors += r.errors;
    for (const [k, v] of Object.entries(r.statuses)) m.data.statuses[k] = (m.data.statuses[k] ?? 0) + v;
    m.total.merge(r.total);
    STAGES.forEach((s, i) => m.stages[i].merge(r.stages[s]));
  }
  return [...byRoute.values()].map(({ data, total, stages }) => {
    const merged = {} as RouteStatsData["stages"];
    STAGES.forEach((s, i) => (merged[s] = stages[i].toJSON()));
    return { ...data, total: total.toJSON(), stages: merged };
  });
}

/**
 * Keeps the request counters of a worker that died, so that the merged counters never go down
 * when it is replaced (Prometheus would read a drop as a reset and count the survivors' whole
 * totals again). What a worker served after the last collected snapshot and before it died is
 * lost; a reset of the statistics (a profile session's, or ?reset=1) starts everything from 0.
 */
export class RetiredWorkers {
  private readonly lastSeen = new Map<number, RouteStatsData[]>();
  private retired: RouteStatsData[] = [];

  /** A collected snapshot: what each worker that answered has counted so far (nothing once reset). */
  seen(snapshot: StatsSnapshot, reset: boolean): void {
    if (reset) {
      this.retired = [];
      this.lastSeen.clear();
      return;
    }
    for (const w of snapshot.workers) this.lastSeen.set(w.worker, w.routes);
  }

  /** The worker with this number died: its last numbers become part of the totals for good. */
  retire(worker: number): void {
    const last = this.lastSeen.get(worker);
    this.lastSeen.delete(worker);
    if (last && last.length > 0) this.retired = mergeRouteStats([...this.retired, ...last]);
  }

  routes(): readonly RouteStatsData[] {
    return this.retired;
  }
}

/**
 * The event-loop delay as a summary, not a histogram: a worker rebuilds it from Node's percentiles
 * at every snapshot (resource-stats.ts), so the count below a bound can go down between scrapes,
 * which a histogram's buckets must never do. Its quantiles cover the worker's life (or since the
 * last reset), not a recent window.
 */
const DELAY_QUANTILES = [0.5, 0.9, 0.99, 1] as const;

function delaySummary(labels: Record<string, string>, h: HistogramData): SummarySample {
  const lh = LogHistogram.from(h);
  return { labels, quantiles: DELAY_QUANTILES.map((q) => [q, lh.percentile(q * 100) / 1e9] as const), count: h.count, sum: h.sum / 1e9 };
}

/** "GET /users/:id" → method and route labels; "(unmatched)" (404, 405, bad requests) has no method. */
function routeLabels(key: string): { route: string; method: string } {
  const i = key.indexOf(" ");
  return i < 0 ? { route: key, method: "" } : { route: key.slice(i + 1), method: key.slice(0, i) };
}

export interface MetricsInput {
  snapshot: StatsSnapshot;
  /** Counters of workers that died since (RetiredWorkers.routes). */
  retired: readonly RouteStatsData[];
  /** Workers the server runs (--workers). */
  workers: number;
}

/** One route's numbers from every worker, side by side: the histograms are summed as they are written (no merged copies). */
interface RouteGroup {
  route: string;
  statuses: Map<string, number>;
  total: HistogramData[];
  stages: HistogramData[][];
}

function groupRoutes(list: readonly RouteStatsData[]): RouteGroup[] {
  const byRoute = new Map<string, RouteGroup>();
  for (const r of list) {
    let g = byRoute.get(r.route);
    if (!g) byRoute.set(r.route, (g = { route: r.route, statuses: new Map(), total: [], stages: STAGES.map(() => []) }));
    for (const [k, v] of Object.entries(r.statuses)) g.statuses.set(k, (g.statuses.get(k) ?? 0) + v);
    g.total.push(r.total);
    STAGES.forEach((s, i) => g.stages[i].push(r.stages[s]));
  }
  return [...byRoute.values()].sort((a, b) => (a.route < b.route ? -1 : a.route > b.route ? 1 : 0));
}

/** The exposition text of one scrape. */
export function renderMetrics(input: MetricsInput): string {
  const { snapshot } = input;
  const routes = groupRoutes([...input.retired, ...snapshot.workers.flatMap((w) => w.routes)]);
  const requests: { labels: Record<string, string>; value: number }[] = [];
  for (const r of routes) {
    for (const [status, n] of [...r.statuses].sort()) if (n > 0) requests.push({ labels: { ...routeLabels(r.route), status }, value: n });
  }
  // With --no-stages the histograms stay empty: only the counters are exposed.
  const timed = routes.filter((r) => r.total.some((h) => h.count > 0));
  const perWorker = (value: (w: StatsSnapshot["workers"][number]) => number) => snapshot.workers.map((w) => ({ labels: { worker: String(w.worker) }, value: value(w) }));
  const families: MetricFamily[] = [
    { name: "moonscope_requests_total", help: "Requests answered, by route, method and status class (route \"(unmatched)\": 404, 405 and malformed requests).", type: "counter", samples: requests },
    {
      name: "moonscope_request_duration_seconds",
      help: "Time from a request's first byte to its response handed to the socket, by route.",
      type: "histogram",
      bounds: DURATION_BOUNDS_SECONDS,
      samples: timed.map((r) => histogramSample(routeLabels(r.route), r.total, DURATION_BOUNDS_SECONDS)),
    },
    {
      name: "moonscope_stage_duration_seconds",
      help: "Time spent in each stage of a request (parse, extract, queue, context, handler, serialize, write), by route.",
      type: "histogram",
      bounds: DURATION_BOUNDS_SECONDS,
      samples: timed.flatMap((r) => STAGES.map((s, i) => histogramSample({ ...routeLabels(r.route), stage: s }, r.stages[i], DURATION_BOUNDS_SECONDS))),
    },
    { name: "moonscope_lua_heap_bytes", help: "Bytes of the worker's Lua heap (its WebAssembly memory).", type: "gauge", samples: perWorker((w) => w.resources.luaHeapBytes) },
    { name: "moonscope_process_resident_memory_bytes", help: "Resident set size of the worker process.", type: "gauge", samples: perWorker((w) => w.resources.rssBytes) },
    { name: "moonscope_process_cpu_seconds_total", help: "CPU time (user and system) the worker process used.", type: "counter", samples: perWorker((w) => (w.resources.cpuUserMs + w.resources.cpuSystemMs) / 1000) },
    { name: "moonscope_open_connections", help: "Client connections the worker holds open.", type: "gauge", samples: perWorker((w) => w.resources.connections) },
    {
      name: "moonscope_event_loop_delay_seconds",
      help: "Event-loop delay of the worker, sampled every 10 ms, over the worker's life (quantile 1 is the largest).",
      type: "summary",
      samples: snapshot.workers.map((w) => delaySummary({ worker: String(w.worker) }, w.resources.eventLoopDelay)),
    },
    { name: "moonscope_gc_pause_seconds", help: "Garbage-collection pauses of the worker's JavaScript heap.", type: "histogram", bounds: DURATION_BOUNDS_SECONDS, samples: snapshot.workers.map((w) => histogramSample({ worker: String(w.worker) }, [w.resources.gcPause], DURATION_BOUNDS_SECONDS)) },
    { name: "moonscope_worker_restarts_total", help: "Workers that died or stopped answering and were replaced.", type: "counter", samples: [{ labels: {}, value: snapshot.restarts }] },
    { name: "moonscope_workers", help: "Worker processes the server runs (--workers).", type: "gauge", samples: [{ labels: {}, value: input.workers }] },
    {
      name: "moonscope_scrape_workers_answered",
      help: "Workers whose numbers are in this scrape; fewer than moonscope_workers while one is restarting or busy past the 1 s the master waits.",
      type: "gauge",
      samples: [{ labels: {}, value: snapshot.workers.length }],
    },
  ];
  return renderExposition(families);
}
