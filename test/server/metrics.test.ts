// `moonscope serve --metrics`: Prometheus scrapes over a real socket, answered by whichever worker
// gets them with the master's merge of every worker; a path an app route takes is refused at start;
// a busy or dead worker leaves the scrape answering with the others.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { ROOT, startServer, writeApp, type RunningServer } from "../helpers/server";
import net from "node:net";
import { get, parseResponses, raw, type RawResponse } from "../helpers/http";
import { parseExposition, sumOf } from "../helpers/prometheus";
import { runCli } from "../helpers/cli";
import { PROMETHEUS_CONTENT_TYPE } from "../../profile/prometheus";

const HELLO = path.join(ROOT, "examples/hello/app.lua");

async function drive(port: number, n: number, p = "/hello"): Promise<void> {
  const res = await raw(port, `GET ${p} HTTP/1.1\r\nHost: x\r\n\r\n`.repeat(n), { expect: n, timeoutMs: 20000 });
  assert.equal(res.responses.length, n);
}

async function scrape(port: number, p = "/metrics") {
  const r = await get(port, p);
  assert.equal(r.status, 200, r.body);
  return { response: r, samples: parseExposition(r.body) };
}

describe("--metrics on two workers", () => {
  let srv: RunningServer;
  before(async () => {
    srv = await startServer(HELLO, ["--workers", "2", "--metrics"]);
  });
  after(() => srv?.stop());

  test("a scrape is the text format, and its counts are the server's own, merged over the workers", async () => {
    await drive(srv.port, 300);
    await get(srv.port, "/nothing-here");
    const { response, samples } = await scrape(srv.port);
    assert.equal(response.headers["content-type"], PROMETHEUS_CONTENT_TYPE);
    const snap = await srv.stats();
    const own = snap.workers.flatMap((w) => w.routes).filter((r) => r.route === "GET /hello");
    const ownRequests = own.reduce((a, r) => a + r.requests, 0);
    assert.equal(ownRequests, 300);
    assert.equal(sumOf(samples, "moonscope_requests_total", { route: "/hello", method: "GET", status: "2xx" }), 300);
    assert.equal(sumOf(samples, "moonscope_requests_total", { route: "(unmatched)", status: "4xx" }), 1);
    assert.equal(sumOf(samples, "moonscope_stage_duration_seconds_count", { route: "/hello", stage: "handler" }), 300);
    const inf = samples.find((s) => s.name === "moonscope_stage_duration_seconds_bucket" && s.labels.stage === "handler" && s.labels.le === "+Inf");
    assert.equal(inf?.value, 300);
    const handlerSumNs = own.reduce((a, r) => a + r.stages.handler.sum, 0);
    assert.ok(Math.abs(sumOf(samples, "moonscope_stage_duration_seconds_sum", { route: "/hello", stage: "handler" }) - handlerSumNs / 1e9) < 1e-9);
    assert.equal(sumOf(samples, "moonscope_workers"), 2);
    assert.equal(sumOf(samples, "moonscope_scrape_workers_answered"), 2);
    assert.equal(samples.filter((s) => s.name === "moonscope_lua_heap_bytes").length, 2);
    assert.ok(sumOf(samples, "moonscope_process_cpu_seconds_total", { worker: "1" }) > 0);
    // The scrape itself is nobody's request.
    const again = await scrape(srv.port);
    assert.equal(sumOf(again.samples, "moonscope_requests_total"), 301);
  });

  test("HEAD gets the head only; other methods on the path are 404 like any path without a route", async () => {
    const head = await raw(srv.port, "HEAD /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", { timeoutMs: 5000 });
    assert.match(head.text, /^HTTP\/1\.1 200 OK\r\n/);
    assert.ok(head.text.endsWith("\r\n\r\n"), "no body after the head");
    const post = await raw(srv.port, "POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", { expect: 1 });
    assert.equal(post.responses[0].status, 404);
  });

  test("a dead worker's requests stay counted, and its restart is counted", async () => {
    const before = (await scrape(srv.port)).samples;
    const total = sumOf(before, "moonscope_requests_total");
    // The one that served the requests (one pipelined connection lands on one worker) is the one to kill.
    const busiest = (await srv.stats()).workers.sort((a, b) => b.routes.reduce((n, r) => n + r.requests, 0) - a.routes.reduce((n, r) => n + r.requests, 0))[0];
    assert.ok(busiest.routes.some((r) => r.requests > 0));
    const restart = srv.waitForMessage((m) => m.type === "event" && m.code === "MS_WARN_WORKER_RESTART");
    process.kill(busiest.pid, "SIGKILL");
    await restart;
    const after = (await scrape(srv.port)).samples;
    assert.equal(sumOf(after, "moonscope_worker_restarts_total"), 1);
    assert.ok(sumOf(after, "moonscope_requests_total") >= total, `the counter went down: ${sumOf(after, "moonscope_requests_total")} < ${total}`);
    const answered = sumOf(after, "moonscope_scrape_workers_answered");
    assert.ok(answered === 1 || answered === 2, `answered ${answered}`);
  });
});

describe("--metrics with a worker busy in a long handler", () => {
  let srv: RunningServer;
  before(async () => {
    const app = writeApp(`
function api.spin.get(ctx) local t = os.clock() while os.clock() - t < 4 do end return api.json { ok = true } end
function api.hello.get(ctx) return api.json { ok = true } end
`);
    srv = await startServer(app, ["--workers", "2", "--metrics", "--handler-timeout", "0"]);
  });
  after(() => srv?.stop());

  test("the scrape answers within the master's second with the worker that answered, and requests go on meanwhile", async () => {
    const started = Date.now();
    const spin = get(srv.port, "/spin");
    // The busy worker cannot take new connections while it spins (cluster hands them to the free one),
    // except maybe one already handed to it: of a few scrapes, the first answer comes from the free worker.
    const first = await Promise.any([0, 1, 2].map(() => get(srv.port, "/metrics")));
    // The same holds for the request: the spinning worker can still be on cluster's free list (it
    // took its last connection before it began to spin), so it may get one more of them.
    const hello = await Promise.any([0, 1, 2].map(() => get(srv.port, "/hello")));
    const elapsed = Date.now() - started;
    assert.equal(hello.status, 200);
    assert.equal(first.status, 200);
    assert.ok(elapsed < 3500, `a scrape and a request took ${elapsed} ms next to a 4 s handler`);
    const samples = parseExposition(first.body);
    assert.equal(sumOf(samples, "moonscope_workers"), 2);
    assert.equal(sumOf(samples, "moonscope_scrape_workers_answered"), 1);
    assert.equal((await spin).status, 200);
  });
});

/** One keep-alive connection: send a request, get its response (the connection stays with the worker that took it). */
async function connection(port: number) {
  const s = net.connect(port, "127.0.0.1");
  await new Promise((r, j) => s.once("connect", r).once("error", j));
  let text = "";
  let seen = 0;
  let waiter: (() => void) | null = null;
  s.on("data", (d: Buffer) => {
    text += d.toString("latin1");
    waiter?.();
  });
  return {
    async send(path: string, timeoutMs = 15000): Promise<RawResponse> {
      s.write(`GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`);
      const want = ++seen;
      await new Promise<void>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`no answer to ${path} within ${timeoutMs} ms`)), timeoutMs);
        const check = () => {
          if (parseResponses(text).length >= want) {
            clearTimeout(t);
            waiter = null;
            resolve();
          }
        };
        waiter = check;
        check();
      });
      return parseResponses(text)[want - 1];
    },
    close: () => s.destroy(),
  };
}

describe("--metrics with a master that does not answer", () => {
  test("the scrape gets a 503 after 5 s, and the worker serves its other connections meanwhile", async () => {
    // No liveness check (--handler-timeout 0): the stopped master must not kill the worker when it wakes up.
    const srv = await startServer(HELLO, ["--metrics", "--handler-timeout", "0"]);
    // The master accepts connections for its workers, so both are opened while it runs.
    const scraper = await connection(srv.port);
    const client = await connection(srv.port);
    assert.equal((await scraper.send("/hello")).status, 200);
    assert.equal((await client.send("/hello")).status, 200);
    const master = srv.child.pid!;
    process.kill(master, "SIGSTOP");
    try {
      const started = Date.now();
      const scrape = scraper.send("/metrics");
      for (let i = 0; i < 5; i++) assert.equal((await client.send("/hello")).status, 200);
      assert.ok(Date.now() - started < 4000, "requests were served while the scrape waited");
      const r = await scrape;
      assert.equal(r.status, 503);
      assert.equal(JSON.parse(r.body).error.code, "MS_ERR_METRICS_TIMEOUT");
      assert.ok(Date.now() - started >= 4900, `the 503 came after ${Date.now() - started} ms`);
    } finally {
      process.kill(master, "SIGCONT");
      scraper.close();
      client.close();
      await srv.stop();
    }
  });
});

describe("--metrics-path and path clashes", () => {
  test("--metrics-path moves the endpoint; /metrics is then the app's (here: no route, 404)", async () => {
    const srv = await startServer(HELLO, ["--metrics-path", "/__prom"]);
    try {
      await drive(srv.port, 3);
      const { samples } = await scrape(srv.port, "/__prom");
      assert.equal(sumOf(samples, "moonscope_requests_total", { route: "/hello" }), 3);
      assert.equal((await get(srv.port, "/metrics")).status, 404);
    } finally {
      await srv.stop();
    }
  });

  test("a --metrics-path that is not a path, or is the stats endpoint's, is a usage error", async () => {
    for (const [bad, why] of [["metrics", /starting with \//], ["/m?x=1", /no query/], ["/__moonscope/stats", /--stats answers/]] as const) {
      const r = await runCli(["serve", HELLO, "--port", "0", "--metrics-path", bad]);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /MS_ERR_USAGE: --metrics-path/);
      assert.match(r.stderr, why);
    }
  });

  test("without --metrics there is no endpoint", async () => {
    const srv = await startServer(HELLO);
    try {
      assert.equal((await get(srv.port, "/metrics")).status, 404);
    } finally {
      await srv.stop();
    }
  });

  test("an app route on the metrics path (a param route too) is refused at start, naming the route and the way out", async () => {
    const app = writeApp(`function api.metrics.get(ctx) return api.json {} end`);
    await assert.rejects(startServer(app, ["--metrics"]), (e: Error & { code?: string }) => {
      assert.equal(e.code, "MS_ERR_METRICS_PATH");
      assert.match(e.message, /GET \/metrics .*app\.lua:1.*--metrics-path/);
      return true;
    });
    const params = writeApp(`function api.p_page.post(ctx) return api.json {} end`);
    await assert.rejects(startServer(params, ["--metrics"]), (e: Error & { code?: string }) => e.code === "MS_ERR_METRICS_PATH" && /POST \/metrics/.test(e.message));
    // The same app is fine with the endpoint elsewhere.
    const srv = await startServer(app, ["--metrics", "--metrics-path", "/__moonscope/metrics"]);
    await srv.stop();
  });
});
