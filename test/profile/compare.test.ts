// compareRuns: rounds judged the right way (interleaved pairs of an ab, separate runs otherwise),
// and everything that differs between two runs besides the code named once.
import { test } from "node:test";
import assert from "node:assert/strict";
import { compareRuns, differences } from "../../profile/compare";
import { MoonscopeError } from "../../profile/errors";
import { STAGE_NAMES, type RoundStats, type RunFile, type StageName } from "../../profile/run";

function round(rps: number, handlerUs: number, i = 0): RoundStats {
  const stages = (v: number) => Object.fromEntries(STAGE_NAMES.map((s) => [s, s === "handler" ? v : 5])) as Record<StageName, number>;
  return {
    startMs: i * 5000,
    windowMs: 5000,
    requests: rps * 5,
    rps,
    latencyUs: { min: 100, mean: 2000, p50: 1500, p90: 3000, p99: 6000, p999: 9000, max: 12000 },
    errors: 0,
    generatorCpuPercent: 20,
    server: { meanUs: handlerUs + 30, p50Us: handlerUs, p99Us: handlerUs * 3 },
    stageMeanUs: stages(handlerUs),
    stageP99Us: stages(handlerUs * 3),
    cpuUsPerRequest: handlerUs * 1.1,
  };
}

function run(id: string, rounds: RoundStats[], over: Partial<RunFile> = {}): RunFile {
  const base = {
    id,
    createdAt: "2026-11-30T10:00:00.000Z",
    tool: { name: "moonscope", version: "0.1.0", node: "v20.20.2" },
    app: { file: "/w/app.lua", routes: [], files: { "app.lua": "aaaa", "lib/util.lua": "bbbb" } },
    route: { method: "GET", path: "/work", name: "api.work.get", line: 3 },
    machine: { platform: "linux", arch: "x64", cpuModel: "Xeon", cores: 2, node: "v20.20.2" },
    rounds,
    options: { runs: rounds.length, durationMs: 5000, warmupMs: 2000, connections: 50, rate: null, workers: 2, mode: "sample", load: "wrk", cpuIntervalUs: 2500, luaIntervalMs: 2 },
    client: { generator: "wrk", requests: rounds.reduce((a, r) => a + r.requests, 0), durationMs: 5000, rps: rounds[0].rps, latencyUs: rounds[0].latencyUs, non2xx: 0, errors: 0, cpuPercent: 20, saturated: false },
    profile: { mode: "sample", luaSamples: 0, merged: null, perWorker: [], files: {} },
  };
  return { ...base, ...over } as unknown as RunFile;
}

const steady = (rps: number, handler: number) => [0, 1, 2, 3, 4].map((i) => round(rps * (1 + ((i % 2) - 0.5) * 0.02), handler * (1 + ((i % 3) - 1) * 0.01), i));

test("the two sides of an ab are judged as interleaved pairs; the same numbers from separate runs are not", () => {
  const a = run("a", steady(2000, 1000), { ab: { side: "A", other: "b", order: "ABBAABBAAB" } });
  const b = run("b", steady(1700, 1200), { ab: { side: "B", other: "a", order: "ABBAABBAAB" } });
  const paired = compareRuns(a, b);
  assert.equal(paired.method.interleaved, true);
  assert.match(paired.method.summary, /5 interleaved rounds per side/);
  assert.equal(paired.throughput.change, "slower");
  assert.equal(paired.stageMeans.find((d) => d.name === "handler")!.change, "slower");
  assert.equal(paired.cpuPerRequest.change, "slower");
  assert.equal(paired.notes.join(), "a run has no CPU profile (--mode none): no per-function comparison");

  const apart = compareRuns(run("a", a.rounds!), run("b", b.rounds!));
  assert.equal(apart.method.interleaved, false);
  assert.match(apart.method.summary, /measured at different times: the run-to-run noise counts too/);
  // The run-to-run offset widens every interval.
  assert.ok(apart.throughput.detectable > paired.throughput.detectable);
});

test("identical runs: no verdict on any metric", () => {
  const c = compareRuns(run("a", [round(2000, 1000)]), run("b", [round(2000, 1000)]));
  for (const d of [c.throughput, c.cpuPerRequest, ...c.clientLatency, ...c.stageMeans, ...c.stageP99]) assert.equal(d.change, "no change", d.name);
  assert.match(c.method.summary, /one round per side, measured at different times: only large changes can be called/);
});

test("what differs besides the code is named: options, Node, machine, files, load, a saturated generator", () => {
  const a = run("a", [round(2000, 1000)]);
  const b = run("b", [round(600, 1000)], {
    options: { ...a.options, connections: 20, workers: 1 },
    machine: { ...a.machine!, node: "v22.1.0", cpuModel: "EPYC", cores: 8 },
    app: { ...a.app, files: { "app.lua": "cccc", "lib/new.lua": "dddd" } },
    client: { ...a.client, requests: 3000, saturated: true, cpuPercent: 97 },
  });
  assert.deepEqual(differences(a, b), [
    "connections: 50 → 20",
    "workers: 2 → 1",
    "Node: v20.20.2 → v22.1.0",
    "machine: Xeon × 2 → EPYC × 8",
    "app files changed: app.lua",
    "app files only in the second run: lib/new.lua",
    "app files only in the first run: lib/util.lua",
    "the second run served 0.3× the requests of the first (10000 → 3000)",
    "the load generator was the bottleneck in the second run (97% of a core): its numbers describe the generator more than the server",
  ]);
  assert.deepEqual(differences(a, run("a2", [round(2000, 1000)])), ["the app's files are the same in both runs (same hashes)"]);
});

test("a run under an editor's built-in Node (Electron) is named as such beside one under a node of its own", () => {
  const a = run("a", [round(2000, 1000)]);
  const b = run("b", [round(2000, 1000)], { machine: { ...a.machine!, electron: "32.2.6" } });
  assert.ok(differences(a, b).includes("Node: v20.20.2 → v20.20.2 (inside Electron 32.2.6)"), differences(a, b).join("\n"));
});

test("a run from before rounds were stored is read as one round", () => {
  const old = run("old", [round(2000, 1000)]);
  const stripped = { ...old, rounds: undefined, session: { windowMs: 5000, firstSnapshotMs: 100 }, workers: [{ cpuPercent: 80 }, { cpuPercent: 80 }], server: { requests: 10000, latencyUs: { p50: 1000, p99: 3000, mean: 1030 }, stages: STAGE_NAMES.map((s) => ({ stage: s, p50Us: 5, p99Us: 15, meanUs: s === "handler" ? 1000 : 5, share: 0, priority: "LOW" })) } } as unknown as RunFile;
  const c = compareRuns(stripped, old);
  assert.equal(c.method.beforeRounds, 1);
  assert.ok(Math.abs(c.stageMeans.find((d) => d.name === "handler")!.before - 1000) < 1e-9);
  // 2 workers × 80 % of 5 s = 8 s of CPU for 10000 requests: 800 µs each.
  assert.ok(Math.abs(c.cpuPerRequest.before - 800) < 1e-9);
});

test("a round that served no request is left out (its zeros are not an infinite change); a run without any is refused with a reason", () => {
  const empty = (i: number): RoundStats => ({ ...round(0, 0, i), requests: 0, rps: 0, latencyUs: { min: 0, mean: 0, p50: 0, p90: 0, p99: 0, p999: 0, max: 0 }, cpuUsPerRequest: 0 });
  const before = run("a", steady(2000, 1000));
  const after = run("b", [...steady(2000, 1000).slice(0, 4), empty(4)]);
  const c = compareRuns(before, after);
  assert.equal(c.throughput.change, "no change");
  assert.equal(c.method.afterRounds, 4);
  assert.match(c.notes.join(), /^1 round without a request of the route was left out of the verdicts/);
  // Interleaved: the round's partner goes too, so the pairs stay neighbours.
  const pa = run("a", steady(2000, 1000), { ab: { side: "A", other: "b", order: "ABBAABBAAB" } });
  const pb = run("b", [empty(0), ...steady(2000, 1000).slice(1)], { ab: { side: "B", other: "a", order: "ABBAABBAAB" } });
  const p = compareRuns(pa, pb);
  assert.deepEqual([p.method.beforeRounds, p.method.afterRounds, p.method.interleaved], [4, 4, true]);
  assert.match(p.notes.join(), /^2 rounds without a request/);
  // Nothing served at all: no verdict can be made, and the error says what to do.
  assert.throws(
    () => compareRuns(before, run("b", [empty(0)])),
    (e: unknown) => e instanceof MoonscopeError && e.code === "MS_ERR_RUN_EMPTY" && /run b served no request of GET \/work, so there is nothing to compare; profile the route again/.test(e.message),
  );
});
