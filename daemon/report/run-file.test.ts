import { test } from "node:test";
import assert from "node:assert/strict";
import { CallTreeBuilder, mergeTrees, type CallTree } from "../../profile/calltree";
import type { Frame } from "../../profile/frames";
import { LogHistogram } from "../../profile/histogram";
import { checkRun } from "../../profile/run";
import { storeTree } from "../../profile/tree-store";
import type { StatsSnapshot, WorkerSnapshot } from "../../server-core/ipc";
import { RouteStats, S_HANDLER, S_WRITE, STAGE_COUNT } from "../../server-core/stages";
import type { LoadResult } from "../load";
import type { WorkerTree } from "../profile-build";
import { buildRunFile, exportTitles, type Collected, type RunSettings } from "./run-file";
import { samplingCostLine } from "./format";
import { roundStats } from "../session/rounds";

const ROUTE = { method: "GET", path: "/users/:id", name: "api.users.get", file: "app.lua", line: 7 };
const KEY = "GET /users/:id";

/** A worker that answered `requests` requests of the route (handler 40 µs, write 10 µs each) and one unmatched. */
function worker(n: number, requests: number, cpuMs: number): WorkerSnapshot {
  const route = new RouteStats(KEY);
  const d = new Float64Array(STAGE_COUNT);
  d[S_HANDLER] = 0.04;
  d[S_WRITE] = 0.01;
  for (let i = 0; i < requests; i++) route.record(d, 200);
  const unmatched = new RouteStats("(unmatched)");
  unmatched.record(d, 404);
  const empty = new LogHistogram().toJSON();
  return {
    worker: n,
    pid: 1000 + n,
    routes: [route.toJSON(), unmatched.toJSON()],
    resources: { worker: n, pid: 1000 + n, cpuPercent: 0, cpuUserMs: cpuMs, cpuSystemMs: 0, rssBytes: 50e6, luaHeapBytes: 1e6, eventLoopDelay: empty, gcPause: empty, connections: 2, uptimeMs: 5000 },
  };
}

function snapshot(workers: WorkerSnapshot[]): StatsSnapshot {
  return { time: 0, workers, missing: [], restarts: 0 };
}

const HANDLER: Frame = { name: "[handler]", kind: "stage" };
const LUA: Frame = { name: "api.users.get", file: "app.lua", line: 7, kind: "lua" };

function workerTree(n: number, weight: number, luaSamples: number, luaVmUs = 0): WorkerTree {
  const b = new CallTreeBuilder();
  b.add([HANDLER, LUA], weight);
  // Line 8 is where the handler spends its time (half of it in the line itself), line 9 a little.
  return {
    worker: n,
    pid: 1000 + n,
    tree: b.build(),
    luaVmUs,
    luaSamples,
    lines: [{ frame: LUA, line: 8, selfUs: weight / 2, totalUs: weight }, { frame: LUA, line: 9, selfUs: weight / 10, totalUs: weight / 10 }],
    samplerCpuMs: { lua: 12, v8: 3 },
    luaMethod: luaSamples > 0 ? "heap" : null,
  };
}

const APP_SOURCE = ["local api = {}", "", "", "", "", "", "function api.users.get(ctx)", "  local r = grind(ctx.params.id)   ", "  return api.json(r)", "end"].join("\r\n");

function trees(...workers: WorkerTree[]): { workers: WorkerTree[]; merged: CallTree } {
  return { workers, merged: mergeTrees(workers.map((w) => w.tree)) };
}

const load: LoadResult = {
  generator: "wrk",
  requests: 5,
  durationMs: 2000,
  rps: 2.5,
  bytesPerSec: 100,
  latencyUs: { min: 50, mean: 60, p50: 55, p90: 70, p99: 90, p999: 95, max: 100 },
  non2xx: 0,
  errors: 0,
  cpuPercent: 12,
};

const settings: RunSettings = { appFile: "/apps/users/app.lua", durationMs: 2000, warmupMs: 1000, connections: 4, workers: 2, mode: "sample", budgets: [{ metric: "rps", limit: 1 }] };

function collected(over: Partial<Collected> = {}): Collected {
  return {
    id: "2024-01-02T03-04-05-GET-users_id",
    createdAt: new Date("2024-01-02T03:04:05.678Z"),
    route: ROUTE,
    routes: [ROUTE, { method: "GET", path: "/health", name: "api.health.get", file: "app.lua", line: 12 }],
    routeKey: KEY,
    generator: "wrk",
    load,
    first: snapshot([worker(1, 0, 100), worker(2, 0, 100)]),
    // Listed out of order on purpose: the per-worker sections come sorted.
    last: snapshot([worker(2, 2, 600), worker(1, 3, 1100)]),
    windowMs: 2000,
    trees: trees(workerTree(1, 300, 4), workerTree(2, 200, 2)),
    warnings: ["profiler: worker 3 did not start its profiler"],
    cpuIntervalUs: 2500,
    luaIntervalMs: 1,
    firstSnapshotMs: 260,
    external: null,
    rounds: [roundStats(snapshot([worker(1, 0, 100), worker(2, 0, 100)]), snapshot([worker(2, 2, 600), worker(1, 3, 1100)]), KEY, load, 2000, 0)],
    machine: { platform: "linux", arch: "x64", cpuModel: "Test CPU", cores: 2, node: "v20.0.0" },
    appFiles: { "app.lua": "0123456789abcdef" },
    snapshot: "app",
    appSources: new Map([["app.lua", Buffer.from(APP_SOURCE)]]),
    ...over,
  };
}

test("a run with a profile: what was collected, merged over workers, with the five exports listed", () => {
  const c = collected();
  const run = buildRunFile(settings, c);
  assert.equal(checkRun(JSON.parse(JSON.stringify(run)), "run.json").id, c.id);
  assert.equal(run.createdAt, "2024-01-02T03:04:05.678Z");
  assert.equal(run.app.file, "/apps/users/app.lua");
  assert.deepEqual(run.app.routes.map((r) => r.path), ["/users/:id", "/health"]);
  assert.deepEqual(run.route, ROUTE);
  assert.deepEqual(run.options, { runs: 1, durationMs: 2000, warmupMs: 1000, connections: 4, rate: null, workers: 2, mode: "sample", load: "wrk", cpuIntervalUs: 2500, luaIntervalMs: 1 });
  assert.deepEqual(run.app.files, { "app.lua": "0123456789abcdef" });
  assert.equal(run.app.snapshot, "app");
  assert.equal(run.machine?.cpuModel, "Test CPU");
  // One round: the route's 5 requests; the workers' CPU went from 200 to 1700 ms: 300 ms (300000 µs) per request.
  assert.equal(run.rounds?.length, 1);
  assert.equal(run.rounds![0].cpuUsPerRequest, 300_000);
  assert.equal(run.rounds![0].rps, 2.5);
  assert.ok(Math.abs(run.rounds![0].stageMeanUs.handler - 40) < 1, `handler mean ${run.rounds![0].stageMeanUs.handler}`);
  assert.equal(run.client.rps, 2.5);
  assert.equal(run.client.latencyUs.p99, 90);

  // The route's requests only; the unmatched ones are another route.
  assert.equal(run.server.requests, 5);
  assert.deepEqual(run.server.statuses, { "1xx": 0, "2xx": 5, "3xx": 0, "4xx": 0, "5xx": 0 });
  const handler = run.server.stages.find((s) => s.stage === "handler")!;
  assert.ok(handler.share > 0.7 && handler.share < 0.9, `handler share ${handler.share}`);
  assert.ok(Math.abs(run.server.stageSumUs - run.server.latencyUs.mean) < 5);
  assert.deepEqual(run.server.perWorker?.map((w) => [w.worker, w.requests]), [[1, 3], [2, 2]]);
  assert.deepEqual(run.workers.map((w) => [w.worker, w.requests, Math.round(w.cpuPercent)]), [[2, 2, 25], [1, 3, 50]]);

  assert.deepEqual(run.profile.files, { flamegraph: "flamegraph.svg", cpuprofile: "profile.cpuprofile", speedscope: "profile.speedscope.json", folded: "profile.folded", pprof: "profile.pb.gz" });
  assert.equal(run.profile.luaSamples, 6);
  // Each worker's samplers used 12 + 3 ms of CPU; the workers used 500 + 1000 ms over the window.
  assert.deepEqual(run.profile.samplingCost, { luaCpuMs: 24, v8CpuMs: 6, share: 0.02, luaMethod: "heap" });
  assert.deepEqual(run.profile.merged, storeTree(c.trees!.merged));
  assert.deepEqual(run.profile.perWorker.map((w) => [w.worker, w.tree.total]), [[1, 300], [2, 200]]);
  assert.equal(run.hotSpots[0].frame.name, "api.users.get");

  assert.deepEqual(run.budgets.map((b) => b.ok), [true]);
  assert.deepEqual(run.warnings, c.warnings);
  assert.deepEqual(run.session, { windowMs: 2000, firstSnapshotMs: 260 });
  assert.equal(run.external, null);
});

test("a run without a profile (--mode none) lists no export and no hot spot", () => {
  const run = buildRunFile({ ...settings, mode: "none" }, collected({ trees: null }));
  assert.equal(run.profile.mode, "none");
  assert.equal(run.profile.merged, null);
  assert.deepEqual(run.profile.perWorker, []);
  assert.deepEqual(run.profile.files, {});
  assert.equal(run.profile.luaSamples, 0);
  assert.deepEqual(run.hotSpots, []);
});

test("an outside profiler's report is listed with the exports, and its part is kept as collected", () => {
  const external = { tool: "0x" as const, report: "0x/flamegraph.html", doctor: null, wholeProcess: true };
  const run = buildRunFile({ ...settings, mode: "0x", workers: 1 }, collected({ external, trees: trees(workerTree(1, 300, 4)) }));
  assert.equal(run.profile.files.report, "0x/flamegraph.html");
  assert.equal(run.profile.files.flamegraph, "flamegraph.svg");
  assert.deepEqual(run.external, external);
  assert.equal(run.options.workers, 1);
});

test("empty profilers are warned about, after what the session warned, without changing its list", () => {
  const c = collected({ trees: trees({ worker: 1, pid: 1001, tree: new CallTreeBuilder().build(), luaVmUs: 500, luaSamples: 0, lines: [], samplerCpuMs: { lua: 0, v8: 0 }, luaMethod: null }) });
  const before = [...c.warnings];
  const run = buildRunFile(settings, c);
  assert.deepEqual(run.warnings, [...before, "the CPU profiler recorded no samples", "the Lua sampler recorded no stacks; Lua time shows as (Lua VM)"]);
  assert.deepEqual(c.warnings, before);
});

test("the exports' title names the route and the app, the subtitle the run", () => {
  const run = buildRunFile(settings, collected());
  assert.deepEqual(exportTitles(run), { title: "GET /users/:id — app.lua", subtitle: "3 req/s, 2 worker(s), 2.0 s, 2024-01-02T03:04:05.678Z" });
});

test("a run under an editor's built-in Node records it and warns in its report; one under a node of its own does not", () => {
  const own = buildRunFile(settings, collected());
  assert.equal(own.machine?.electron, undefined);
  assert.ok(!own.warnings.some((w) => /Electron/.test(w)));
  const c = collected();
  const electron = buildRunFile(settings, { ...c, machine: { ...c.machine, electron: "32.2.6" } });
  assert.equal(electron.machine?.electron, "32.2.6");
  assert.ok(electron.warnings.some((w) => /^the app ran under the Node inside Electron 32\.2\.6 \(v20\.0\.0, the editor's own\).*moonscope\.nodePath$/.test(w)), electron.warnings.join("\n"));
});

test("hot lines: merged over workers, shares of busy time as the hot spots', the line's text from the app as profiled", () => {
  const run = buildRunFile(settings, collected());
  assert.deepEqual(
    run.hotLines?.map((h) => [h.file, h.line, h.fn, h.fnLine, h.selfUs, h.totalUs, h.text]),
    [
      ["app.lua", 8, "api.users.get", 7, 250, 500, "local r = grind(ctx.params.id)"],
      ["app.lua", 9, "api.users.get", 7, 50, 50, "return api.json(r)"],
    ],
  );
  // The tree's busy time is 500 µs (300 + 200), the hot spots' denominator too.
  assert.equal(run.hotLines?.[0].selfShare, 0.5);
  assert.equal(run.hotSpots[0].totalShare, run.hotLines?.[0].totalShare);
  // Without the app's files the figures stay and the text is left out.
  const bare = buildRunFile(settings, collected({ appSources: null }));
  assert.equal(bare.hotLines?.[0].text, undefined);
  assert.equal(bare.hotLines?.[0].selfUs, 250);
  // Without a profile there are none.
  assert.deepEqual(buildRunFile({ ...settings, mode: "none" }, collected({ trees: null })).hotLines, []);
});

test("the sampling cost line says when no core was free for the samplers' threads, and what leaves one", () => {
  const full = buildRunFile(settings, collected());
  assert.match(samplingCostLine(full)!, /^Sampling cost: 2\.0% of the workers' CPU .*With 2 workers on 2 cores no core is free for the samplers' threads.*--workers 1 leaves one free for them$/);
  const spare = buildRunFile({ ...settings, workers: 1 }, collected());
  assert.doesNotMatch(samplingCostLine(spare)!, /no core is free/);
  // A run from before the machine was recorded says nothing about cores.
  const { machine: _, ...unknown } = buildRunFile(settings, collected());
  assert.doesNotMatch(samplingCostLine(unknown)!, /no core is free/);
});
