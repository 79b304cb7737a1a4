// Per-stage timing as seen from outside: histograms per route and worker, over IPC and HTTP.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { ROOT, startServer, type RunningServer } from "../helpers/server";
import { get, raw } from "../helpers/http";
import { STAGES } from "../../server-core/stages";
import { LogHistogram } from "../../profile/histogram";

const HELLO = path.join(ROOT, "examples/hello/app.lua");
const PIPELINED = 200;

async function drive(port: number, n: number): Promise<void> {
  const one = "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n";
  const res = await raw(port, one.repeat(n), { expect: n, timeoutMs: 20000 });
  assert.equal(res.responses.length, n);
}

describe("stage timing on", () => {
  let srv: RunningServer;
  before(async () => {
    srv = await startServer(HELLO, ["--workers", "2", "--stats"]);
  });
  after(() => srv?.stop());

  test("every request lands in every stage histogram, and the stages add up to the total", async () => {
    await srv.stats(true);
    await drive(srv.port, PIPELINED);
    const snap = await srv.stats();
    const routes = snap.workers.flatMap((w) => w.routes).filter((r) => r.route === "GET /hello");
    const requests = routes.reduce((a, r) => a + r.requests, 0);
    assert.equal(requests, PIPELINED);
    for (const r of routes) {
      let sum = 0;
      for (const s of STAGES) {
        assert.equal(r.stages[s].count, r.requests, `stage ${s}`);
        sum += r.stages[s].sum;
      }
      assert.ok(Math.abs(sum - r.total.sum) <= r.total.sum * 1e-9 + 1, `stages sum ${sum} vs total ${r.total.sum}`);
      assert.ok(r.stages.handler.sum > 0 && r.stages.write.sum > 0 && r.stages.parse.sum > 0);
      assert.equal(r.statuses["2xx"], r.requests);
    }
    // Pipelined requests wait behind the ones before them: that wait is queueing, not parsing.
    const merged = new LogHistogram();
    for (const r of routes) merged.merge(r.stages.queue);
    assert.ok(merged.max > 0, "pipelined requests show a queue time");
  });

  test("resources are reported per worker", async () => {
    const snap = await srv.stats();
    assert.equal(snap.workers.length, 2);
    for (const w of snap.workers) {
      assert.ok(w.resources.rssBytes > 10e6);
      assert.ok(w.resources.luaHeapBytes >= 16 * 1048576);
      assert.ok(w.resources.cpuPercent >= 0);
      assert.ok(w.resources.uptimeMs > 0);
    }
  });

  test("GET /__moonscope/stats answers the merged snapshot when --stats is on", async () => {
    await get(srv.port, "/hello");
    const r = await get(srv.port, "/__moonscope/stats");
    assert.equal(r.status, 200);
    const snap = JSON.parse(r.body);
    assert.equal(snap.workers.length, 2);
    assert.ok(snap.workers.some((w: { routes: { route: string }[] }) => w.routes.some((x) => x.route === "GET /hello")));
  });

  test("unmatched requests and protocol errors are counted apart", async () => {
    await srv.stats(true);
    await get(srv.port, "/nope");
    await raw(srv.port, "BAD REQUEST\r\n\r\n");
    const snap = await srv.stats();
    const un = snap.workers.flatMap((w) => w.routes).filter((r) => r.route === "(unmatched)");
    assert.equal(
      un.reduce((a, r) => a + r.statuses["4xx"], 0),
      2,
    );
  });
});

describe("stage timing off (--no-stages)", () => {
  let srv: RunningServer;
  before(async () => {
    srv = await startServer(HELLO, ["--no-stages"]);
  });
  after(() => srv?.stop());

  test("requests are counted but no stage is timed; the stats endpoint is off without --stats", async () => {
    await drive(srv.port, 20);
    const snap = await srv.stats();
    const r = snap.workers[0].routes.find((x) => x.route === "GET /hello")!;
    assert.equal(r.requests, 20);
    assert.equal(r.stages.handler.count, 0);
    const s = await get(srv.port, "/__moonscope/stats");
    assert.equal(s.status, 404);
  });
});
