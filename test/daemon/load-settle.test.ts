// A load generator that settles (LoadOptions.settleMs) leaves its idle settling out of what it
// reports: the duration, the rates and its own CPU% are the measured part's.
import { test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { runLoad } from "../../daemon/load";
import { closedLoopGenerators, startServer, ROOT } from "../helpers/server";

test("a settling generator's duration, rate and CPU% are its measured part's, the settling left out", async (t) => {
  const srv = await startServer(path.join(ROOT, "examples/hello/app.lua"), ["--workers", "1"]);
  try {
    const url = `http://127.0.0.1:${srv.port}/hello`;
    for (const generator of closedLoopGenerators()) {
      const plain = await runLoad(generator, { url, connections: 8, durationMs: 2000 });
      let releasedAt = 0;
      const spawned = performance.now();
      const settled = await runLoad(generator, { url, connections: 8, durationMs: 2000, settleMs: 1500 }, undefined, (at) => (releasedAt = at));
      t.diagnostic(`${generator}: plain ${plain.rps.toFixed(0)} req/s at ${plain.cpuPercent.toFixed(0)}% CPU; settled ${settled.rps.toFixed(0)} req/s at ${settled.cpuPercent.toFixed(0)}% CPU over ${settled.durationMs.toFixed(0)} ms, released ${(releasedAt - spawned).toFixed(0)} ms after the spawn`);
      assert.ok(releasedAt - spawned >= 1500, `${generator}: the first requests went out after the settling`);
      assert.ok(Math.abs(settled.durationMs - 2000) < 300, `${generator}: the measured part lasted ${settled.durationMs.toFixed(0)} ms`);
      // Idle settling counted in would dilute both by about 2 s in 4 (wrk and autocannon settle to a whole second).
      assert.ok(settled.rps > plain.rps * 0.7, `${generator}: ${settled.rps.toFixed(0)} req/s against ${plain.rps.toFixed(0)} without settling`);
      assert.ok(settled.cpuPercent > plain.cpuPercent * 0.7, `${generator}: its CPU ${settled.cpuPercent.toFixed(0)}% against ${plain.cpuPercent.toFixed(0)}% without settling`);
    }
  } finally {
    await srv.stop();
  }
});
