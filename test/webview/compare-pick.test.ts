import { test } from "node:test";
import assert from "node:assert/strict";
import type { RunSummary } from "../../protocol/types";
import { defaultPick } from "../../webview/compare-pick";

const run = (id: string, route: string, error?: string): RunSummary => ({
  id,
  dir: `/runs/${id}`,
  createdAt: "",
  appFile: "/app.lua",
  route,
  rps: 1,
  p50Us: 1,
  p99Us: 1,
  topStage: "handler",
  topStageShare: 1,
  verdict: "",
  budgetsMissed: [],
  ...(error ? { error } : {}),
});

test("the newest run against the newest earlier run of its route, skipping other routes and unreadable runs", () => {
  const runs = [run("5", "GET /a", "not valid JSON"), run("4", "GET /a"), run("3", "GET /b"), run("2", "GET /a"), run("1", "GET /a")];
  assert.deepEqual(defaultPick(runs), { before: "2", after: "4" });
});

test("no pair: no default comparison, and a sentence saying why (never a run against itself)", () => {
  assert.deepEqual(defaultPick([]), { why: "No runs yet: profile a route, then compare its runs here." });
  assert.deepEqual(defaultPick([run("2", "GET /x"), run("1", "GET /y")]), { why: "Only one run of GET /x: profile it again, or use Compare with last run." });
});
