// `moonscope serve --metrics` against the real Prometheus (Debian's `prometheus` package, installed
// by `npm run test:prometheus`): promtool checks a scrape, then a Prometheus on loopback scrapes the
// server every second while it is under load, and what its HTTP API computes (the handler stage's
// p99 and the request rate) is compared with the server's own statistics.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { EventEmitter } from "node:events";
import http from "node:http";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { ROOT, startServer, type RunningServer } from "../helpers/server";
import { get } from "../helpers/http";
import { chooseGenerator, runLoad } from "../../daemon/load";
import { LogHistogram } from "../../profile/histogram";
import { DURATION_BOUNDS_SECONDS } from "../../server-core/metrics";
import type { StatsSnapshot } from "../../server-core/ipc";

const SLOW = path.join(ROOT, "examples/slow/app.lua");
const ROUTE = "GET /crunch";
const URL_PATH = "/crunch?rounds=12";

/** A free loopback port: Prometheus cannot listen on port 0 and tell which port it got. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/**
 * Prometheus scrapes the server through this relay, so the test waits for scrapes as they happen
 * instead of polling Prometheus. A scrape loop is sequential: when scrape n+1 arrives, the sample of
 * scrape n is stored and queryable.
 */
async function scrapeRelay(target: number): Promise<{ port: number; scrapeNo(): number; scrape(n: number): Promise<void>; close(): Promise<void> }> {
  const arrived = new EventEmitter();
  let count = 0;
  const server = http.createServer((req, res) => {
    arrived.emit("scrape", ++count);
    const up = http.get({ host: "127.0.0.1", port: target, path: req.url, headers: req.headers }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    up.on("error", () => res.writeHead(502).end());
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  return {
    port: (server.address() as net.AddressInfo).port,
    scrapeNo: () => count,
    scrape: (n) => (count >= n ? Promise.resolve() : new Promise<void>((r) => arrived.on("scrape", function seen(k: number) {
      if (k < n) return;
      arrived.off("scrape", seen);
      r();
    }))),
    close: () => new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    }),
  };
}

/** Resolves when the process writes a line matching `re` (its own readiness message). */
function logLine(child: ChildProcess, re: RegExp, what: string, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = "";
    const timer = setTimeout(() => reject(new Error(`${what}: no line matching ${re} within ${timeoutMs} ms`)), timeoutMs);
    const on = (d: Buffer) => {
      seen += d;
      if (re.test(seen)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on("data", on);
    child.stderr!.on("data", on);
    child.once("exit", (code) => reject(new Error(`${what}: it exited (${code}) first`)));
  });
}

/** The handler stage of the route, merged over workers. */
function handlerOf(s: StatsSnapshot): { requests: number; handler: LogHistogram } {
  const h = new LogHistogram();
  let requests = 0;
  for (const w of s.workers) {
    for (const r of w.routes) {
      if (r.route !== ROUTE) continue;
      requests += r.requests;
      h.merge(r.stages.handler);
    }
  }
  return { requests, handler: h };
}

describe("the real Prometheus", () => {
  let srv: RunningServer;
  let prom: ChildProcess | null = null;
  let promLog = "";
  let promPort = 0;
  const dir = mkdtempSync(path.join(tmpdir(), "moonscope-prometheus-"));

  before(async () => {
    for (const tool of ["prometheus", "promtool"]) {
      const r = spawnSync(tool, ["--version"], { encoding: "utf8" });
      assert.equal(r.status, 0, `${tool} is not installed: run bash scripts/install-prometheus.sh (Debian's prometheus package)`);
    }
    srv = await startServer(SLOW, ["--workers", "2", "--metrics"]);
    // Every series exists before Prometheus first scrapes it: rate() only sees increases between its samples.
    for (let i = 0; i < 20; i++) assert.equal((await get(srv.port, URL_PATH)).status, 200);
  });

  after(async () => {
    if (prom && prom.exitCode === null) {
      const exited = new Promise((r) => prom!.once("exit", r));
      prom.kill("SIGTERM");
      const timer = setTimeout(() => prom?.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(timer);
    }
    await srv?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test("promtool check metrics finds nothing to complain about in a scrape", async () => {
    const r = await get(srv.port, "/metrics");
    assert.equal(r.status, 200);
    const check = spawnSync("promtool", ["check", "metrics"], { input: r.body, encoding: "utf8" });
    assert.equal(check.status, 0, check.stdout + check.stderr);
    assert.equal((check.stdout + check.stderr).trim(), "", "promtool's lint is silent");
  });

  test("Prometheus scraping under load computes the handler p99 and the request rate the server measured", async () => {
    promPort = await freePort();
    const relay = await scrapeRelay(srv.port);
    const config = path.join(dir, "prometheus.yml");
    writeFileSync(
      config,
      [
        "global:",
        "  scrape_interval: 1s",
        "  evaluation_interval: 1s",
        "scrape_configs:",
        "  - job_name: moonscope",
        "    static_configs:",
        `      - targets: ["127.0.0.1:${relay.port}"]`,
        "",
      ].join("\n"),
    );
    prom = spawn("prometheus", [`--config.file=${config}`, `--storage.tsdb.path=${path.join(dir, "data")}`, `--web.listen-address=127.0.0.1:${promPort}`], { stdio: ["ignore", "pipe", "pipe"] });
    prom.stdout!.on("data", (d) => (promLog += d));
    prom.stderr!.on("data", (d) => (promLog += d));
    const ready = logLine(prom, /Server is ready to receive web requests/, "Prometheus", 30_000);
    const api = async (query: string, time?: number): Promise<{ metric: Record<string, string>; value: [number, string] }[]> => {
      const q = new URLSearchParams({ query, ...(time !== undefined ? { time: String(time) } : {}) });
      const res = await fetch(`http://127.0.0.1:${promPort}/api/v1/query?${q}`);
      const body = (await res.json()) as { status: string; error?: string; data: { result: { metric: Record<string, string>; value: [number, string] }[] } };
      assert.equal(body.status, "success", body.error);
      return body.data.result;
    };
    const scalar = async (query: string, time?: number) => {
      const r = await api(query, time);
      return r.length === 1 ? Number(r[0].value[1]) : undefined;
    };
    try {
      await ready;
      // A few scrapes before the load, so the window below starts on samples taken while nothing ran
      // (the fourth arriving means the third is stored).
      await relay.scrape(4);
      assert.equal(await scalar('up{job="moonscope"}'), 1, "Prometheus scrapes the server");

      const start = handlerOf(await srv.stats());
      const loadStarted = Date.now();
      const load = await runLoad(chooseGenerator(), { url: `http://127.0.0.1:${srv.port}${URL_PATH}`, connections: 4, durationMs: 6000 });
      assert.equal(load.errors + load.non2xx, 0, "the load ran clean");
      const end = handlerOf(await srv.stats());
      const served = end.requests - start.requests;
      assert.ok(served > 100, `only ${served} requests under load`);
      // Scraped enough: a scrape that started after the load is stored once the next one arrives, and
      // then Prometheus holds the server's final count (nothing runs after the load).
      await relay.scrape(relay.scrapeNo() + 2);
      assert.equal(await scalar(`sum(moonscope_requests_total{route="/crunch"})`), end.requests, "Prometheus has the server's final count");

      // One window, evaluated now, that holds the whole load and idle samples on both sides.
      const at = Date.now() / 1000;
      const windowS = Math.ceil((Date.now() - loadStarted) / 1000) + 2;

      // The request rate. The counters are the server's exactly, and the window's first and last
      // samples were taken while nothing ran, so the increase Prometheus sees is the server's count
      // of the load. rate() divides it by the time between those samples and then extrapolates to
      // the window's edges, never shrinking it: the answer is at least served/window, and at most
      // served/(window - 2 scrape intervals, plus 0.5 s for scrape jitter), when both samples sit
      // a whole interval inside the window. A lost worker or a double count falls far outside.
      const promRate = await scalar(`sum(rate(moonscope_requests_total{route="/crunch"}[${windowS}s]))`, at);
      const ownRate = served / windowS;
      assert.ok(promRate !== undefined, "Prometheus has a request rate");
      const most = served / (windowS - 2.5);
      assert.ok(promRate >= ownRate * 0.999 && promRate <= most, `rate: Prometheus ${promRate.toFixed(1)}/s, server ${ownRate.toFixed(1)}/s over ${windowS} s (allowed up to ${most.toFixed(1)}/s)`);

      // The p99: Prometheus interpolates linearly inside the ladder's bucket that holds the 99th
      // percentile; the server's own p99 (log-linear, within 1/64) must lie in that same bucket.
      // The bucket is the histogram's resolution: nothing finer can be asked of Prometheus's answer.
      const promP99 = await scalar(`histogram_quantile(0.99, sum by (le) (rate(moonscope_stage_duration_seconds_bucket{route="/crunch",stage="handler"}[${windowS}s])))`, at);
      const ownP99 = end.handler.since(start.handler).percentile(99) / 1e9;
      assert.ok(promP99 !== undefined && Number.isFinite(promP99), `Prometheus has a p99: ${promP99}`);
      const k = DURATION_BOUNDS_SECONDS.findIndex((b) => b >= promP99);
      assert.ok(k >= 0, `p99 ${promP99} s is past the last bound`);
      const lo = k > 0 ? DURATION_BOUNDS_SECONDS[k - 1] : 0;
      const hi = DURATION_BOUNDS_SECONDS[k];
      assert.ok(ownP99 >= lo * (1 - 1 / 64) && ownP99 <= hi * (1 + 1 / 64), `p99: Prometheus ${(promP99 * 1000).toFixed(3)} ms, server ${(ownP99 * 1000).toFixed(3)} ms, bucket (${lo}, ${hi}] s`);
      console.log(`# ${served} requests in ${windowS} s: rate Prometheus ${promRate.toFixed(1)}/s, server ${ownRate.toFixed(1)}/s; handler p99 Prometheus ${(promP99 * 1000).toFixed(3)} ms, server ${(ownP99 * 1000).toFixed(3)} ms (bucket ${lo * 1000}-${hi * 1000} ms)`);
    } catch (e) {
      (e as Error).message += `\nPrometheus log:\n${promLog.slice(-3000)}`;
      throw e;
    } finally {
      await relay.close();
    }
  });
});
