// What --metrics exposes, built from real RouteStats the way workers fill them: labels, the merge
// over workers, counters that survive a dead worker, and what a server without stage timing shows.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { DURATION_BOUNDS_SECONDS, mergeRouteStats, renderMetrics, RetiredWorkers } from "./metrics";
import { RouteStats, STAGE_COUNT, S_HANDLER, STAGES } from "./stages";
import { LogHistogram } from "../profile/histogram";
import type { StatsSnapshot, WorkerSnapshot } from "./ipc";

function routeStats(route: string, handlerMs: number[], status = 200) {
  const s = new RouteStats(route);
  const d = new Float64Array(STAGE_COUNT).fill(0.002);
  for (const ms of handlerMs) {
    d[S_HANDLER] = ms;
    s.record(d, status);
  }
  return s.toJSON();
}

function worker(n: number, routes: WorkerSnapshot["routes"]): WorkerSnapshot {
  const h = new LogHistogram();
  h.record(10.5e6);
  return {
    worker: n,
    pid: 1000 + n,
    routes,
    resources: { worker: n, pid: 1000 + n, cpuPercent: 0, cpuUserMs: 1500, cpuSystemMs: 500, rssBytes: 50e6, luaHeapBytes: 16777216, eventLoopDelay: h.toJSON(), gcPause: h.toJSON(), connections: 3, uptimeMs: 1000 },
  };
}

function snapshot(workers: WorkerSnapshot[], restarts = 0): StatsSnapshot {
  return { time: 0, workers, missing: [], restarts };
}

/** Sample lines by name, as "labels value". */
function lines(text: string, name: string): string[] {
  return text.split("\n").filter((l) => l.startsWith(name + "{") || l.startsWith(name + " "));
}

describe("renderMetrics", () => {
  test("requests by route, method and status class, merged over workers; (unmatched) has no method", () => {
    const text = renderMetrics({
      snapshot: snapshot([worker(1, [routeStats("GET /users/:id", [1, 2]), routeStats("(unmatched)", [0], 404)]), worker(2, [routeStats("GET /users/:id", [3], 500)])], 2),
      retired: [],
      workers: 3,
    });
    assert.deepEqual(lines(text, "moonscope_requests_total"), [
      'moonscope_requests_total{route="(unmatched)",method="",status="4xx"} 1',
      'moonscope_requests_total{route="/users/:id",method="GET",status="2xx"} 2',
      'moonscope_requests_total{route="/users/:id",method="GET",status="5xx"} 1',
    ]);
    assert.match(text, /^# TYPE moonscope_requests_total counter$/m);
    assert.deepEqual(lines(text, "moonscope_worker_restarts_total"), ["moonscope_worker_restarts_total 2"]);
    assert.deepEqual(lines(text, "moonscope_workers"), ["moonscope_workers 3"]);
    assert.deepEqual(lines(text, "moonscope_scrape_workers_answered"), ["moonscope_scrape_workers_answered 2"]);
    assert.deepEqual(lines(text, "moonscope_process_cpu_seconds_total"), ['moonscope_process_cpu_seconds_total{worker="1"} 2', 'moonscope_process_cpu_seconds_total{worker="2"} 2']);
    assert.deepEqual(lines(text, "moonscope_lua_heap_bytes"), ['moonscope_lua_heap_bytes{worker="1"} 16777216', 'moonscope_lua_heap_bytes{worker="2"} 16777216']);
    assert.equal(lines(text, "moonscope_event_loop_delay_seconds_count").length, 2);
    assert.match(text, /^# TYPE moonscope_event_loop_delay_seconds summary$/m);
    const maxDelay = lines(text, "moonscope_event_loop_delay_seconds").find((l) => l.includes('worker="1"') && l.includes('quantile="1"'));
    assert.ok(maxDelay && Math.abs(Number(maxDelay.split(" ")[1]) - 0.0105) < 0.0105 / 64, maxDelay);
    assert.equal(lines(text, "moonscope_gc_pause_seconds_count").length, 2);
  });

  test("every stage of every route is a histogram on the one ladder, with the handler's time where it belongs", () => {
    const text = renderMetrics({ snapshot: snapshot([worker(1, [routeStats("GET /a", [0.3, 7, 7, 40])])]), retired: [], workers: 1 });
    for (const s of STAGES) {
      const b = lines(text, "moonscope_stage_duration_seconds_bucket").filter((l) => l.includes(`stage="${s}"`));
      assert.equal(b.length, DURATION_BOUNDS_SECONDS.length + 1, s);
      assert.ok(b[b.length - 1].endsWith('le="+Inf"} 4'), s);
    }
    const handler = (le: string) => lines(text, "moonscope_stage_duration_seconds_bucket").find((l) => l.includes('stage="handler"') && l.includes(`le="${le}"`));
    assert.ok(handler("0.0005")!.endsWith(" 1"));
    assert.ok(handler("0.005")!.endsWith(" 1"));
    assert.ok(handler("0.01")!.endsWith(" 3"));
    assert.ok(handler("0.05")!.endsWith(" 4"));
    assert.deepEqual(lines(text, "moonscope_request_duration_seconds_count"), ['moonscope_request_duration_seconds_count{route="/a",method="GET"} 4']);
  });

  test("with --no-stages only the counters show: no empty histograms", () => {
    const s = new RouteStats("GET /a");
    s.count(200);
    const text = renderMetrics({ snapshot: snapshot([worker(1, [s.toJSON()])]), retired: [], workers: 1 });
    assert.equal(lines(text, "moonscope_requests_total").length, 1);
    assert.doesNotMatch(text, /moonscope_stage_duration_seconds|moonscope_request_duration_seconds/);
  });
});

describe("RetiredWorkers", () => {
  test("a worker that dies leaves its counts in the totals, so the counters never go down", () => {
    const retired = new RetiredWorkers();
    const total = (snap: StatsSnapshot) => {
      const l = lines(renderMetrics({ snapshot: snap, retired: retired.routes(), workers: 2 }), "moonscope_requests_total")[0];
      return Number(l.split(" ").pop());
    };
    const before = snapshot([worker(1, [routeStats("GET /a", [1, 1, 1])]), worker(2, [routeStats("GET /a", [1, 1])])]);
    retired.seen(before, false);
    assert.equal(total(before), 5);
    retired.retire(1);
    // Worker 1's replacement starts from 0.
    const after = snapshot([worker(1, [routeStats("GET /a", [1])]), worker(2, [routeStats("GET /a", [1, 1, 1])])]);
    assert.equal(total(after), 3 + 1 + 3);
    retired.seen(after, false);
    retired.retire(1);
    retired.retire(1); // a second exit report for the same slot adds nothing
    assert.equal(total(snapshot([worker(2, [routeStats("GET /a", [1, 1, 1])])])), 3 + 1 + 3);
    retired.seen(after, true);
    assert.deepEqual(retired.routes(), []);
  });

  test("mergeRouteStats adds requests, statuses and histograms of the same route", () => {
    const [m] = mergeRouteStats([routeStats("GET /a", [1, 2]), routeStats("GET /a", [3], 503)]);
    assert.equal(m.requests, 3);
    assert.equal(m.errors, 1);
    assert.equal(m.statuses["2xx"], 2);
    assert.equal(m.statuses["5xx"], 1);
    assert.equal(m.stages.handler.count, 3);
    assert.equal(m.total.count, 3);
  });
});
