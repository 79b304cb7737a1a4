// Starting the profilers right after a warm-up must not hang a worker. V8 deadlocked in
// Profiler.start in about 1 start in 7 at this point (a GC inside its code logging; see
// startCpuProfiler in server-core/worker.ts); a GC just before the start prevents it (0 in 30), and a
// worker that hangs anyway is replaced and its replacement profiled.
import { test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { chooseGenerator, runLoad } from "../../daemon/load";
import { ServerProcess } from "../../daemon/session/server-process";
import { ROOT } from "../helpers/server";

const APP = path.join(ROOT, "examples/hello/app.lua");
const CLI = path.join(ROOT, "dist", "cli", "moonscope.js");

test("profiling starts in every worker right after a warm-up, start after start", async () => {
  const generator = chooseGenerator();
  for (let i = 0; i < 5; i++) {
    const sp = await ServerProcess.start({ appFile: APP, workers: 2, cliPath: CLI });
    try {
      await runLoad(generator, { url: `http://127.0.0.1:${sp.port}/hello`, method: "GET", connections: 50, durationMs: 1000 });
      const r = await sp.startProfiling({ cpuIntervalUs: 2500, luaIntervalMs: 2 });
      assert.deepEqual(r.errors, [], `start ${i + 1}`);
      assert.equal(r.workers.length, 2);
    } finally {
      await sp.stop();
    }
  }
});

test("a worker that hangs while its profiler starts is replaced, and the replacement is profiled", async () => {
  const sp = await ServerProcess.start({ appFile: APP, workers: 2, cliPath: CLI });
  try {
    const workers = sp.pids.filter((p) => p !== sp.child.pid);
    // SIGSTOP: as stuck as the V8 deadlock left a worker, and just as unable to answer.
    process.kill(workers[0], "SIGSTOP");
    const r = await sp.startProfiling({ cpuIntervalUs: 2500, luaIntervalMs: 2 });
    assert.equal(r.errors.length, 1, r.errors.join("; "));
    assert.match(r.errors[0], new RegExp(`^worker \\d \\(pid ${workers[0]}\\) hung starting its profiler and was replaced`));
    // The replacement comes up, joins the profile, and serves.
    let stats = await sp.stats();
    while (stats.workers.length < 2 || stats.workers.some((w) => w.pid === workers[0])) stats = await sp.stats();
    assert.ok(stats.restarts >= 1);
    const res = await fetch(`http://127.0.0.1:${sp.port}/hello`);
    assert.equal(res.status, 200);
    const { profiles, missing } = await sp.stopProfiling();
    assert.deepEqual(missing, []);
    assert.equal(profiles.length, 2);
    assert.ok(profiles.every((p) => p.cpuprofile !== null && !p.error), JSON.stringify(profiles.map((p) => ({ w: p.worker, err: p.error, cpu: p.cpuprofile !== null }))));
    assert.deepEqual(processesAlive([workers[0]]), []);
  } finally {
    await sp.stop();
  }
});

function processesAlive(pids: number[]): number[] {
  return pids.filter((p) => {
    try {
      process.kill(p, 0);
      return true;
    } catch {
      return false;
    }
  });
}
