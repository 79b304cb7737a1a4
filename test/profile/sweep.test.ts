import { test } from "node:test";
import assert from "node:assert/strict";
import { analyzeSweep, findKnee, sweepSvg, workerEfficiency, type SweepFile, type SweepStep } from "../../profile/sweep";

function step(workers: number, connections: number, rps: number, p99Ms: number): SweepStep {
  return {
    workers,
    connections,
    rps,
    latencyUs: { p50: p99Ms * 300, p90: p99Ms * 700, p99: p99Ms * 1000, max: p99Ms * 1500 },
    errors: 0,
    non2xx: 0,
    serverCpuPercent: 50,
    loadGenCpuPercent: 40,
    loadGenSaturated: false,
    rssPerWorkerBytes: 80e6,
    rssPerConnectionBytes: 20e3,
    durationMs: 5000,
  };
}

test("the knee is the last concurrency before throughput stops growing while p99 rises", () => {
  const k = findKnee([step(1, 1, 5000, 0.3), step(1, 10, 18000, 0.8), step(1, 50, 18500, 4), step(1, 100, 18400, 9)]);
  assert.equal(k?.connections, 10);
  assert.match(k!.message, /past 10 connections/);
});

test("no knee while throughput keeps growing; a dip followed by growth is not a knee", () => {
  assert.equal(findKnee([step(1, 1, 1000, 1), step(1, 10, 5000, 2), step(1, 50, 9000, 3)])?.connections, null);
  assert.equal(findKnee([step(1, 1, 1000, 1), step(1, 10, 990, 2), step(1, 50, 5000, 3)])?.connections, null);
});

test("flat throughput with falling p99 is not a knee", () => {
  assert.equal(findKnee([step(1, 1, 1000, 3), step(1, 10, 1010, 2)])?.connections, null);
});

test("worker efficiency = rps(N) / (N x rps(1)) at the same connections", () => {
  const e = workerEfficiency([step(1, 10, 10000, 1), step(2, 10, 15000, 1), step(2, 50, 19000, 1)]);
  assert.deepEqual(e, [{ workers: 2, connections: 10, efficiency: 0.75 }]);
});

test("saturated load generator steps are called out; the chart has one line per worker count", () => {
  const s = [step(1, 1, 1000, 1), { ...step(2, 1, 1900, 1), loadGenSaturated: true, loadGenCpuPercent: 97 }];
  const a = analyzeSweep(s);
  assert.equal(a.notes.length, 1);
  assert.match(a.notes[0], /2 worker\(s\), 1 connections the load generator was saturated \(97% CPU\)/);
  const f: SweepFile = {
    $schema: "moonscope-sweep",
    version: 1,
    createdAt: "2026-01-01T00:00:00Z",
    app: "app.lua",
    route: "GET /<x>",
    plan: { workers: [1, 2], connections: [1], durationMs: 5000, warmupMs: 1000, load: "wrk" },
    complete: true,
    steps: s,
    ...a,
  };
  const svg = sweepSvg(f);
  assert.equal((svg.match(/<path /g) ?? []).length, 4, "2 worker counts x 2 panels");
  assert.match(svg, /GET \/&lt;x&gt;/);
  assert.match(svg, /<\/svg>$/);
});
