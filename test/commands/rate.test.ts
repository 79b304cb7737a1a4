// --rate: a fixed request rate whose latencies are measured from each request's scheduled time.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { RunFile } from "../../profile/run";
import { ROOT, writeApp } from "../helpers/server";
import { runCli } from "../helpers/cli";

async function profileJson(app: string, route: string, args: string[]): Promise<RunFile> {
  const out = mkdtempSync(path.join(tmpdir(), "moonscope-rate-"));
  const r = await runCli(["profile", app, "--route", route, "--warmup", "0s", "--duration", "2s", "--workers", "1", "--mode", "none", "--out", out, "--json", ...args]);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as RunFile;
}

test("below capacity the fixed rate is held", async () => {
  const run = await profileJson(path.join(ROOT, "examples/hello/app.lua"), "GET /hello", ["--rate", "500", "--connections", "4"]);
  assert.equal(run.client.generator, "open-loop");
  assert.equal(run.options.rate, 500);
  assert.ok(Math.abs(run.client.rps - 500) / 500 < 0.1, `achieved ${run.client.rps} req/s`);
  assert.equal(run.warnings.filter((w) => /could not keep up/.test(w)).length, 0);
});

test("past capacity, waiting for the server counts as latency (coordinated omission is corrected)", async () => {
  // Each request takes ~20 ms of CPU on one worker, so ~50 req/s is the most it can serve; ask for 200.
  const app = writeApp(`
local function spin(ms) local t = os.clock() + ms / 1000 while os.clock() < t do end end
function api.stall.get(ctx) spin(20) return api.json { ok = true } end
`);
  const run = await profileJson(app, "GET /stall", ["--rate", "200", "--connections", "2"]);
  // The server times each request at ~20 ms; the client, measuring from the schedule, sees the queue.
  assert.ok(run.server.latencyUs.p99 < 100_000, `server p99 ${run.server.latencyUs.p99} us`);
  assert.ok(run.client.latencyUs.p99 > 5 * run.server.latencyUs.p99, `client p99 ${run.client.latencyUs.p99} us vs server p99 ${run.server.latencyUs.p99} us`);
  assert.ok(run.warnings.some((w) => /could not keep up with 200 req\/s/.test(w)), run.warnings.join("; "));
});

test("--rate with --load is refused with a message that says why", async () => {
  const r = await runCli(["profile", path.join(ROOT, "examples/hello/app.lua"), "--route", "GET /hello", "--rate", "100", "--load", "wrk", "--duration", "1s"]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /MS_ERR_USAGE: --rate uses Moonscope's own fixed-rate generator/);
});
