import { test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import type { RunSummary, SessionState } from "../protocol/lsp";
import { exportFileName, inWorkspace, progressMessage, progressPercent, ProgressSteps, routeAt, runMessage, secondsLeft, statusText } from "./texts";
import type { RouteEntry } from "../protocol/lsp";

const session: SessionState = { sessionId: 1, route: "GET /hello", appFile: "/w/app.lua", phase: "measuring", message: "measuring GET /hello", elapsedMs: 6400, durationMs: 10_000, rps: 24_812 };
const run: RunSummary = {
  id: "2026-11-24T02-00-00-GET-hello", dir: "/w/.moonscope/runs/x", createdAt: "", appFile: "/w/app.lua", route: "GET /hello",
  rps: 24_812, p50Us: 410, p99Us: 1900, topStage: "handler", topStageShare: 0.61, verdict: "the bottleneck is the Lua handler", budgetsMissed: [],
};

test("the status bar: the running session with its time left, else the last result, else idle", () => {
  assert.deepEqual(statusText(session, run), { text: "$(pulse) profiling GET /hello, 4 s left", tooltip: "measuring GET /hello" });
  assert.equal(statusText({ ...session, phase: "starting", elapsedMs: undefined }, null).text, "$(pulse) profiling GET /hello");
  assert.equal(statusText({ ...session, kind: "compare", elapsedMs: 30_000, durationMs: 50_000 }, null).text, "$(pulse) comparing GET /hello, 20 s left");
  assert.equal(statusText(null, run).text, "$(flame) GET /hello: 24.8k req/s, p99 1.90 ms");
  assert.equal(statusText(null, null).text, "$(flame) Moonscope");
});

test("progress and result messages", () => {
  assert.equal(progressMessage(session), "measuring (4 s left) · 24.8k req/s");
  assert.equal(progressMessage({ ...session, loadUrl: "http://127.0.0.1:40123/crunch" }), "measuring (4 s left) · 24.8k req/s · send the load to http://127.0.0.1:40123/crunch");
  assert.equal(secondsLeft({ durationMs: 10_000, elapsedMs: 12_000 }), 0);
  assert.equal(runMessage(run), "GET /hello: 24.8k req/s, p99 1.90 ms. the bottleneck is the Lua handler.");
  assert.match(runMessage({ ...run, budgetsMissed: ["p99 latency 1.90 ms exceeds the budget of 1.00 ms"] }), /\. Budget missed: p99 latency 1\.90 ms exceeds/);
});

test("setting paths resolve under the workspace; export names carry the format's extension", () => {
  assert.equal(inWorkspace("exports", "/w"), path.join("/w", "exports"));
  assert.equal(inWorkspace("/tmp/out", "/w"), "/tmp/out");
  assert.equal(inWorkspace("exports", undefined), null);
  assert.equal(exportFileName("r1", "svg"), "r1.svg");
  assert.equal(exportFileName("r1", "speedscope"), "r1.speedscope.json");
});

test("the progress bar moves by what the session gained since the last state, up to 100, never back", () => {
  assert.equal(progressPercent({ durationMs: 10_000, elapsedMs: 2500 }), 25);
  assert.equal(progressPercent({ durationMs: undefined, elapsedMs: 100 }), null);
  const steps = new ProgressSteps();
  assert.equal(steps.next({ durationMs: 10_000, elapsedMs: undefined }), undefined);
  assert.equal(steps.next({ durationMs: 10_000, elapsedMs: 2500 }), 25);
  assert.equal(steps.next({ durationMs: 10_000, elapsedMs: 2000 }), undefined);
  assert.equal(steps.next({ durationMs: 10_000, elapsedMs: 6000 }), 35);
  assert.equal(steps.next({ durationMs: 10_000, elapsedMs: 12_000 }), 40);
  assert.equal(steps.next({ durationMs: 10_000, elapsedMs: 13_000 }), undefined);
});

test("the route under the cursor: the last handler defined at or above its line", () => {
  const r = (line: number, path: string): RouteEntry => ({ uri: "file:///a.lua", file: "/a.lua", line, method: "GET", path, name: `api${path}.get` });
  const routes = [r(10, "/b"), r(2, "/a"), r(20, "/c")];
  assert.equal(routeAt(routes, 0), undefined);
  assert.equal(routeAt(routes, 2)?.path, "/a");
  assert.equal(routeAt(routes, 15)?.path, "/b");
  assert.equal(routeAt(routes, 99)?.path, "/c");
});
