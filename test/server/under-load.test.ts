// Faults while the server is under real load: a runaway handler and a killed worker.
import { test } from "node:test";
import assert from "node:assert/strict";
import { chooseGenerator, runLoad } from "../../daemon/load";
import { startServer, writeApp } from "../helpers/server";
import { get } from "../helpers/http";

const APP = `
function api.ok.get(ctx) return api.json { ok = true } end
function api.spin.get(ctx) while true do end end
`;

test("a runaway handler is stopped with a 503 while the load on other routes sees no error", async (t) => {
  const srv = await startServer(writeApp(APP), ["--workers", "2", "--handler-timeout", "300ms"]);
  try {
    const generator = chooseGenerator();
    const load = runLoad(generator, { url: `http://127.0.0.1:${srv.port}/ok`, connections: 8, durationMs: 3000 });
    const spins: { status: number; ms: number }[] = [];
    for (let i = 0; i < 3; i++) {
      const t0 = performance.now();
      const r = await get(srv.port, "/spin");
      spins.push({ status: r.status, ms: performance.now() - t0 });
    }
    const res = await load;
    t.diagnostic(`${generator}: ${res.requests} requests to /ok, ${res.errors} errors, ${res.non2xx} non-2xx, p99 ${res.latencyUs.p99} us; /spin answered ${spins.map((s) => `${s.status} in ${s.ms.toFixed(0)} ms`).join(", ")}`);
    for (const s of spins) {
      assert.equal(s.status, 503);
      assert.ok(s.ms < 1500, `stopped within ${s.ms.toFixed(0)} ms`);
    }
    assert.equal(res.errors, 0);
    assert.equal(res.non2xx, 0);
    assert.ok(res.requests > 100);
    assert.equal((await srv.stats()).restarts, 0, "no worker had to be replaced");
  } finally {
    await srv.stop();
  }
});

test("a worker killed under load is replaced; the failed requests are bounded by its connections and reported", async (t) => {
  const srv = await startServer(writeApp(APP), ["--workers", "2"]);
  try {
    const generator = chooseGenerator();
    const connections = 16;
    const load = runLoad(generator, { url: `http://127.0.0.1:${srv.port}/ok`, connections, durationMs: 3000 });
    // Kill once the load is flowing: the first stats snapshot with requests counted.
    for (;;) {
      const s = await srv.stats();
      if (s.workers.reduce((a, w) => a + w.routes.reduce((b, r) => b + r.requests, 0), 0) > 200) break;
    }
    process.kill(srv.pids[0], "SIGKILL");
    await srv.waitForMessage((m) => m.type === "event" && m.code === "MS_WARN_WORKER_RESTART");
    const res = await load;
    const failed = res.errors + res.non2xx;
    t.diagnostic(`${generator}: ${res.requests} requests, ${failed} failed after SIGKILL of one of 2 workers (${connections} connections)`);
    assert.ok(failed <= connections, `${failed} failed requests`);
    assert.equal((await get(srv.port, "/ok")).status, 200);
    const snap = await srv.stats();
    assert.equal(snap.restarts, 1);
    assert.equal(snap.workers.length, 2);
  } finally {
    await srv.stop();
  }
});
