import { test } from "node:test";
import assert from "node:assert/strict";
import type { RunSummary } from "../protocol/lsp";
import { beforeAfter, compareCandidates, groupRuns, runContextValue, runDescription, runLabel, runTooltip } from "./runs-tree";

const run = (id: string, route: string, createdAt: string, over: Partial<RunSummary> = {}): RunSummary => ({
  id, dir: `/w/.moonscope/runs/${id}`, createdAt, appFile: "/w/app.lua", route, rps: 24_812, p50Us: 410, p99Us: 1900,
  topStage: "handler", topStageShare: 0.6, verdict: "the bottleneck is the Lua handler", budgetsMissed: [], mode: "sample", node: "v22.11.0", ...over,
});

test("runs are grouped by route in the order of their newest run; unreadable ones apart", () => {
  const runs = [
    run("r4", "GET /a", "2026-11-30T10:04:00Z"),
    run("r3", "GET /b", "2026-11-30T10:03:00Z"),
    { ...run("bad", "", ""), error: "not valid JSON" },
    run("r1", "GET /a", "2026-11-30T10:01:00Z"),
  ];
  const groups = groupRuns(runs);
  assert.deepEqual(groups.map((g) => [g.route, g.app, g.runs.map((r) => r.id)]), [["GET /a", "", ["r4", "r1"]], ["GET /b", "", ["r3"]], ["unreadable runs", "", ["bad"]]]);
  // Two apps with the same route: two groups, each naming its app.
  const two = groupRuns([run("x", "GET /a", "2026-11-30T10:00:00Z"), run("y", "GET /a", "2026-11-30T10:00:00Z", { appFile: "/w/other/app.lua" })], (f) => f.replace("/w/", ""));
  assert.deepEqual(two.map((g) => `${g.route} ${g.app}`), ["GET /a app.lua", "GET /a other/app.lua"]);
});

test("a run's label is its local date, its description the figures; its menu knows whether it has a CPU profile", () => {
  const r = run("r1", "GET /a", "2026-11-30T10:01:02Z");
  assert.match(runLabel(r), /^2026-11-30 \d\d:01:02$/);
  assert.equal(runLabel({ ...r, createdAt: "" }), "r1");
  assert.equal(runDescription(r), "24.8k req/s · p99 1.90 ms");
  assert.equal(runDescription({ ...r, rps: 812, mode: "0x", budgetsMissed: ["p99"] }), "812 req/s · p99 1.90 ms · 0x · budget missed");
  assert.equal(runDescription({ ...r, error: "bad" }), "unreadable");
  assert.match(runTooltip(r), /GET \/a · .*\n24\.8k req\/s · p50 0\.41 ms · p99 1\.90 ms\nthe bottleneck is the Lua handler\nNode v22\.11\.0\nr1$/);
  assert.equal(runContextValue(r, { cpuprofile: true }), "moonscopeRun.cpuprofile");
  assert.equal(runContextValue(r, { cpuprofile: false }), "moonscopeRun");
  assert.equal(runContextValue({ ...r, error: "bad" }, { cpuprofile: false }), "moonscopeRun.unreadable");
});

test("compare with another run: the same route's runs first, never itself or an unreadable one; the older is before", () => {
  const a = run("a", "GET /a", "2026-11-30T10:00:00Z");
  const runs = [run("c", "GET /b", "2026-11-30T10:03:00Z"), run("b", "GET /a", "2026-11-30T10:02:00Z"), a, { ...run("bad", "", ""), error: "x" }];
  assert.deepEqual(compareCandidates(runs, a).map((r) => r.id), ["b", "c"]);
  assert.deepEqual(Object.values(beforeAfter(runs[1], a)).map((r) => r.id), ["a", "b"]);
});
