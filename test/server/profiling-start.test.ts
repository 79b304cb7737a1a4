// Starting the profilers right after a warm-up must not hang a worker. With V8's dynamic wasm
// tiering, Profiler.start deadlocked a worker in about 1 start in 5 at this point (the hot Lua
// functions were being recompiled in the background); workers now compile wasm eagerly.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { chooseGenerator, runLoad } from "../../daemon/load";
import { ServerProcess } from "../../daemon/session/server-process";
import { ROOT } from "../helpers/server";

const APP = path.join(ROOT, "examples/hello/app.lua");
const CLI = path.join(ROOT, "dist", "cli", "moonscope.js");

test("workers run with eager wasm tier-up", async () => {
  const sp = await ServerProcess.start({ appFile: APP, workers: 2, cliPath: CLI });
  try {
    const workers = sp.pids.filter((p) => p !== sp.child.pid);
    assert.ok(workers.length >= 2, `worker pids ${sp.pids.join(",")}`);
    for (const pid of workers) {
      const argv = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
      assert.ok(argv.includes("--no-wasm-dynamic-tiering"), `worker ${pid}: ${argv.join(" ")}`);
    }
  } finally {
    await sp.stop();
  }
});

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
