import { test } from "node:test";
import assert from "node:assert/strict";
import { verdict } from "./analyze";
import type { StageRow, WorkerRow } from "../../profile/run";

const rows: StageRow[] = [
  { stage: "write", p50Us: 8, p99Us: 100, meanUs: 13, share: 0.6, priority: "CRITICAL" },
  { stage: "handler", p50Us: 1, p99Us: 3, meanUs: 2, share: 0.1, priority: "MEDIUM" },
];
const worker = (cpuPercent: number): WorkerRow => ({ worker: 1, pid: 1, requests: 1, cpuPercent, rssBytes: 0, luaHeapBytes: 0, eventLoopDelayP99Us: 0, gcPauseMs: 0 });

test("a busy generator facing unevenly loaded, unsaturated workers is the bottleneck", () => {
  // Seen in CI: autocannon at 77%, workers at 29% and 62% (connections landed unevenly).
  const v = verdict(rows, { name: "autocannon", cpuPercent: 77, cores: 1 }, [worker(29), worker(62)]);
  assert.equal(v.bottleneck, "load-generator");
});

test("a generator at a normal share of the CPU is not blamed; a saturated worker never lets it be", () => {
  assert.equal(verdict(rows, { name: "wrk", cpuPercent: 56, cores: 1 }, [worker(57), worker(56)]).bottleneck, "http-layer");
  assert.equal(verdict(rows, { name: "wrk", cpuPercent: 90, cores: 1 }, [worker(95), worker(40)]).bottleneck, "http-layer");
});
