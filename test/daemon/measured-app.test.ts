// MeasuredApp's rounds: each round's numbers are what happened during that round only. Between
// rounds an app can still burn CPU (its profilers, another route, ab's idle side); that CPU is no
// request's cost in the next round.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { MeasuredApp } from "../../daemon/session/measured-app";
import { BIN, closedLoopGenerators } from "../helpers/server";

/** A GET route that burns `seconds` of CPU in Lua per request. */
function burner(name: string, seconds: number): string {
  return `
function api.${name}.get(ctx)
  local t = os.clock()
  local x = 0
  while os.clock() - t < ${seconds} do x = x + 1 end
  return api.json { x = x }
end
`;
}

const APP = `
function api.cheap.get(ctx)
  return api.json { ok = true }
end
${burner("burn", 0.4)}`;

let dir: string;
let app: MeasuredApp;

/** The app above as `name`.lua in the test's folder, started for two 1 s rounds of GET /cheap on one worker. */
function startApp(name: string, mode: "none" | "sample"): Promise<MeasuredApp> {
  const appFile = path.join(dir, `${name}.lua`);
  writeFileSync(appFile, APP);
  const options = { appFile, route: "GET /cheap", durationMs: 1000, warmupMs: 0, connections: 2, workers: 1, mode, budgets: [], runs: 2, cliPath: BIN };
  return MeasuredApp.start(options, path.join(dir, `${name}-run`), new Date());
}

before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "moonscope-measured-"));
  app = await startApp("app", "none");
});

after(async () => {
  await app?.stop();
});

test("CPU burnt between two rounds is not charged to the second round's requests", async () => {
  await app.reset(performance.now());
  const first = await app.round(0, 2);
  // Five requests of 0.4 s of Lua each, on another route, between the rounds: 2 s of CPU that the
  // cheap route's next round did not spend.
  for (let i = 0; i < 5; i++) assert.equal((await fetch(`http://127.0.0.1:${app.port}/burn`)).status, 200);
  const second = await app.round(1, 2);
  assert.ok(first.requests > 100 && second.requests > 100, `both rounds served the cheap route (${first.requests}, ${second.requests})`);
  assert.ok(
    second.cpuUsPerRequest < first.cpuUsPerRequest * 1.8,
    `the second round's CPU per request (${second.cpuUsPerRequest.toFixed(0)} µs) is near the first's (${first.cpuUsPerRequest.toFixed(0)} µs), not inflated by the 2 s burnt between them`,
  );
});

test("restart: each round on fresh processes, and the run holds what every process measured and sampled", async () => {
  const fresh = await startApp("restart", "sample");
  try {
    await fresh.startProfilers();
    await fresh.reset(performance.now());
    const first = await fresh.round(0, 2);
    const port = fresh.port;
    await fresh.restart();
    assert.notEqual(fresh.port, port, "a new server, on a new port");
    const second = await fresh.round(1, 2);
    const { run } = await fresh.finish();
    assert.equal(run.workers.length, 2, "one row per worker process");
    assert.notEqual(run.workers[0].pid, run.workers[1].pid);
    assert.equal(run.server.requests, run.workers[0].requests + run.workers[1].requests);
    assert.ok(Math.abs(run.server.requests - (first.requests + second.requests)) <= 4, `the run's ${run.server.requests} requests are its rounds' ${first.requests} + ${second.requests}`);
    assert.ok(run.profile.merged, "the profile merges both processes' samples");
    assert.deepEqual(run.warnings.filter((w) => /restart|did not hand in/.test(w)), []);
  } finally {
    await fresh.stop();
  }
});

test("restart refuses to load files that changed since the app was measured (MS_ERR_APP_CHANGED)", async () => {
  const changing = await startApp("changing", "none");
  const appFile = path.join(dir, "changing.lua");
  try {
    await changing.reset(performance.now());
    await changing.round(0, 2);
    writeFileSync(appFile, APP + "\n-- edited while measured\n");
    await assert.rejects(changing.restart(), (e: Error & { code?: string }) => {
      assert.equal(e.code, "MS_ERR_APP_CHANGED");
      assert.match(e.message, /changing\.lua changed while ab measured changing\.lua/);
      return true;
    });
  } finally {
    await changing.stop();
  }
});

test("a round's connections settle before its first request: a busy worker taking them one per turn is not in the client's latency", async () => {
  // One worker, 2 ms of Lua a request, 40 connections: opened under load, node:cluster hands the
  // worker one new connection per turn of its event loop, and a turn serves every connection it
  // already holds, so the last one's first request waited about 40²/2 × 2 ms = 1.6 s. Those 40
  // requests are more than 1% of the round, so they were its client p99.
  const appFile = path.join(dir, "heavy.lua");
  writeFileSync(appFile, burner("heavy", 0.002));
  // Each generator settles its own way (wrk.ts, autocannon-main.ts).
  for (const load of closedLoopGenerators()) {
    const heavy = await MeasuredApp.start({ appFile, route: "GET /heavy", durationMs: 3000, warmupMs: 0, connections: 40, workers: 1, mode: "none", load, budgets: [], cliPath: BIN }, path.join(dir, `heavy-run-${load}`), new Date());
    try {
      await heavy.reset(performance.now());
      const r = await heavy.round(0, 1);
      assert.ok(r.requests > 200, `${load}: the round served requests (${r.requests})`);
      assert.ok(
        r.latencyUs.p99 < r.latencyUs.p50 * 4,
        `${load}: client p99 ${(r.latencyUs.p99 / 1000).toFixed(0)} ms is near its p50 ${(r.latencyUs.p50 / 1000).toFixed(0)} ms (every connection waits its turn behind the other 39), not the connections' ramp`,
      );
      // The round is measured from its first request: the settling is not in its time or its rates.
      assert.ok(Math.abs(r.windowMs - 3000) < 400, `${load}: the round lasted ${r.windowMs.toFixed(0)} ms, its duration`);
    } finally {
      await heavy.stop();
    }
  }
});
