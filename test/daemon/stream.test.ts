// The daemon's live stream: loopback only, token and Origin checked, hello first, frames while a
// session measures, then the finished run; stored runs readable through the API and nothing else.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import WebSocket from "ws";
import type { MessageConnection } from "vscode-jsonrpc/node";
import * as P from "../../protocol/lsp";
import type { Reply, ToClient } from "../../protocol/ws";
import { ROOT } from "../helpers/server";
import { startLsp, type LspClient } from "../helpers/lsp";

function httpGet(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { headers, agent: false }, (res) => {
        let body = "";
        res.on("data", (d) => (body += d));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on("error", reject);
  });
}

/** The least a run.json holds that readers accept (a summary and a lens can be made of it). */
function minimalRun(id: string): Record<string, unknown> {
  const latency = { min: 1, mean: 2, p50: 2, p90: 3, p99: 4, p999: 5, max: 6 };
  return {
    $schema: "moonscope-run", version: 1, id, createdAt: "1999-01-01T00:00:00.000Z",
    tool: { name: "moonscope", version: "0", node: "v0" },
    app: { file: "/nowhere/app.lua", routes: [] }, route: { method: "GET", path: "/flood", name: "api.flood.get", line: 1 },
    options: {}, client: { generator: "wrk", requests: 1, durationMs: 1, rps: 1, latencyUs: latency, non2xx: 0, errors: 0, cpuPercent: 0, saturated: false },
    server: { requests: 1, errors: 0, statuses: {}, latencyUs: { p50: 1, p99: 1, mean: 1 }, stageSumUs: 0, unaccountedUs: 0, stages: [{ stage: "handler", p50Us: 1, p99Us: 1, meanUs: 1, share: 1, priority: "LOW" }] },
    workers: [], verdict: { bottleneck: "unknown", message: "x".repeat(200) }, hotSpots: [],
    profile: { mode: "none", luaSamples: 0, merged: null, perWorker: [], files: {} }, budgets: [], warnings: [],
  };
}

function wsOutcome(url: string, headers: Record<string, string> = {}): Promise<string> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { headers });
    ws.on("unexpected-response", (_req, res) => {
      resolve(`refused ${res.statusCode}`);
      ws.terminate();
    });
    ws.on("message", (d) => {
      resolve(`open ${(JSON.parse(String(d)) as ToClient).type}`);
      ws.close();
    });
    ws.on("error", () => resolve("error"));
  });
}

describe("the daemon's stream (moonscope/streamInfo)", () => {
  let lsp: LspClient;
  let conn: MessageConnection;
  let info: { url: string; wsUrl: string; port: number; token: string };
  let appUri: string;

  let workspaceDir: string;

  before(async () => {
    const workspace = mkdtempSync(path.join(tmpdir(), "moonscope-ws-"));
    workspaceDir = workspace;
    const appFile = path.join(workspace, "app.lua");
    copyFileSync(path.join(ROOT, "examples/hello/app.lua"), appFile);
    lsp = await startLsp(workspace);
    conn = lsp.conn;
    appUri = await lsp.open(appFile);
    info = await conn.sendRequest(P.streamInfo.method, {});
  });

  after(() => lsp?.close());

  test("it listens on 127.0.0.1 with a long random token", () => {
    assert.match(info.url, /^http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]{32}$/);
  });

  test("no token, a wrong token, a foreign Origin or a foreign Host are refused", async () => {
    const base = `ws://127.0.0.1:${info.port}/ws`;
    assert.equal(await wsOutcome(base), "refused 401");
    assert.equal(await wsOutcome(`${base}?token=${"x".repeat(info.token.length)}`), "refused 401");
    assert.equal(await wsOutcome(info.wsUrl, { Origin: "https://evil.example" }), "refused 403");
    assert.equal(await wsOutcome(info.wsUrl, { Host: `attacker.test:${info.port}` }), "refused 403");
    assert.equal(await wsOutcome(info.wsUrl, { Origin: `http://127.0.0.1:${info.port}` }), "open hello");
    assert.equal((await httpGet(`http://127.0.0.1:${info.port}/api/runs`)).status, 401);
  });

  test("hello first, frames with the stage table while measuring, then the finished run; its files are served, nothing else is", async () => {
    const ws = new WebSocket(info.wsUrl);
    const got: ToClient[] = [];
    ws.on("message", (d) => got.push(JSON.parse(String(d)) as ToClient));
    await new Promise<void>((r) => ws.once("open", () => r()));
    const overLsp: ToClient[] = [];
    const sub = conn.onNotification(P.streamMessage.method, (m: ToClient) => overLsp.push(m));
    const { run } = await conn.sendRequest<{ run: P.RunSummary }>(P.startProfile.method, { uri: appUri, route: "GET /hello", options: { durationMs: 2000, warmupMs: 0, connections: 4, workers: 1 } });
    while (!got.some((m) => m.type === "runDone")) await new Promise((r) => setImmediate(r));
    ws.close();
    assert.equal(got[0].type, "hello");
    assert.equal((got[0] as Extract<ToClient, { type: "hello" }>).protocolVersion, 1);
    const frames = got.filter((m): m is Extract<ToClient, { type: "frame" }> => m.type === "frame");
    assert.ok(frames.length >= 4, `${frames.length} frames in 2 s`);
    assert.deepEqual(frames[frames.length - 1].stages.map((s) => s.stage), ["parse", "extract", "queue", "context", "handler", "serialize", "write"]);
    assert.ok(frames[frames.length - 1].rps > 0);
    // Per worker too, so the panel can show imbalance.
    const lastWorkers = frames[frames.length - 1].workers;
    assert.equal(lastWorkers.length, 1);
    assert.equal(lastWorkers[0].stages.length, 7);
    assert.ok(lastWorkers[0].requests > 0 && lastWorkers[0].pid > 0);
    // The editor's panel gets the same stream over the language server connection.
    sub.dispose();
    assert.ok(overLsp.filter((m) => m.type === "frame").length >= frames.length - 1, `${overLsp.length} stream notifications`);
    assert.ok(overLsp.some((m) => m.type === "runDone"));
    const done = got.find((m): m is Extract<ToClient, { type: "runDone" }> => m.type === "runDone")!;
    assert.equal(done.run.id, run.id);

    const api = (p: string) => httpGet(`http://127.0.0.1:${info.port}${p}${p.includes("?") ? "&" : "?"}token=${info.token}`);
    const list = JSON.parse((await api("/api/runs")).body) as { runs: P.RunSummary[] };
    assert.equal(list.runs[0].id, run.id);
    const svg = await api(`/api/runs/${run.id}/flamegraph.svg`);
    assert.equal(svg.status, 200);
    assert.match(svg.body, /<svg/);
    for (const bad of [`/api/runs/${run.id}/..%2F..%2F..%2Fetc%2Fpasswd`, `/api/runs/..%2F..%2F/run.json`, `/api/runs/${run.id}/app.lua`, "/../../etc/passwd"]) {
      assert.equal((await api(bad)).status, 404, bad);
    }
  });

  test("the dashboard page: token required, a nonce CSP, no inline script; only the panel's own assets are served", async () => {
    const base = `http://127.0.0.1:${info.port}`;
    assert.equal((await httpGet(`${base}/`)).status, 401);
    const page = await new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }>((resolve, reject) => {
      http.get(`${base}/?token=${info.token}`, { agent: false }, (res) => {
        let body = "";
        res.on("data", (d) => (body += d));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      }).on("error", reject);
    });
    assert.equal(page.status, 200);
    const csp = String(page.headers["content-security-policy"]);
    const nonce = /script-src 'nonce-([^']+)'/.exec(csp)?.[1];
    assert.ok(nonce, csp);
    assert.match(csp, /default-src 'none'/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    assert.equal(page.headers["x-frame-options"], "DENY");
    const scripts = [...page.body.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)];
    assert.equal(scripts.length, 1);
    assert.match(scripts[0][1], new RegExp(`nonce="${nonce.replace(/[+/=]/g, (c) => `\\${c}`)}" src="/assets/panel.js"`));
    assert.equal(scripts[0][2].trim(), "", "no inline script");
    assert.doesNotMatch(page.body, /token/, "the token is not written into the page");
    const js = await httpGet(`${base}/assets/panel.js`);
    assert.equal(js.status, 200);
    assert.ok(js.body.length > 10_000);
    for (const bad of ["/assets/../package.json", "/assets/%2e%2e%2fpackage.json", "/assets/panel.js.map", "/assets/run.json", "/assets/..%2F..%2Fpackage.json"]) {
      const r = await httpGet(`${base}${bad}?token=${info.token}`);
      assert.ok(r.status === 404, `${bad}: ${r.status}`);
    }
  });

  test("a dashboard can list routes, start a session and stop it over the socket; a second start is busy", async () => {
    const ws = new WebSocket(info.wsUrl);
    const got: (ToClient | Reply)[] = [];
    ws.on("message", (d) => got.push(JSON.parse(String(d)) as ToClient | Reply));
    await new Promise<void>((r) => ws.once("open", () => r()));
    const ask = async (id: number, method: string, params: unknown) => {
      ws.send(JSON.stringify({ type: "request", id, method, params }));
      for (;;) {
        const r = got.find((m): m is Extract<Reply, { type: "reply" }> => m.type === "reply" && m.id === id);
        if (r) return r;
        await new Promise((res) => setImmediate(res));
      }
    };
    const routes = await ask(1, "listRoutes", {});
    assert.deepEqual((routes.result as { routes: P.RouteEntry[] }).routes.map((r) => `${r.method} ${r.path}`), ["GET /hello"]);
    const start = { uri: appUri, route: "GET /hello", options: { durationMs: 30_000, warmupMs: 0, connections: 2, workers: 1 } };
    const started = await ask(2, "startProfile", start);
    assert.ok((started.result as { sessionId: number }).sessionId > 0, JSON.stringify(started));
    const busy = await ask(3, "startProfile", start);
    assert.equal(busy.error?.code, "MS_ERR_BUSY");
    while (!got.some((m) => m.type === "frame")) await new Promise((r) => setImmediate(r));
    const stopped = await ask(4, "stopProfile", {});
    assert.deepEqual(stopped.result, { stopped: true });
    while (!got.some((m) => m.type === "state" && ["cancelled", "done"].includes(m.state.phase))) await new Promise((r) => setImmediate(r));
    ws.close();
  });

  /** Sends raw bytes to the stream's port and resolves with what came back before the close. */
  const rawHttp = (bytes: string) =>
    new Promise<string>((resolve) => {
      const sock = net.connect(info.port, "127.0.0.1", () => sock.write(bytes));
      let got = "";
      sock.on("data", (d) => (got += d));
      sock.on("close", () => resolve(got));
      sock.on("error", () => resolve(got));
    });
  const stillServes = async () => assert.equal((await httpGet(`http://127.0.0.1:${info.port}/api/runs?token=${info.token}`)).status, 200, "the daemon still serves");

  test("a request target that is no URL, and bad percent-encoding in a run path, get a 400; the daemon lives (no token needed to try)", async () => {
    const host = `Host: 127.0.0.1:${info.port}\r\nConnection: close\r\n\r\n`;
    assert.match(await rawHttp(`GET http://[ HTTP/1.1\r\n${host}`), /^HTTP\/1\.1 400[^]*MS_ERR_HTTP_BAD_TARGET/);
    assert.match(await rawHttp(`GET http://[ HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nHost: 127.0.0.1:${info.port}\r\n\r\n`), /^HTTP\/1\.1 400/);
    await stillServes();
    const r = await httpGet(`http://127.0.0.1:${info.port}/api/runs/%E0%A4%A/run.json?token=${info.token}`);
    assert.equal(r.status, 400);
    assert.equal(JSON.parse(r.body).error.code, "MS_ERR_HTTP_BAD_ENCODING");
    await stillServes();
  });

  test("a WebSocket message over 64 KiB closes that connection (1009, message too big); the daemon and other clients go on", async () => {
    const ws = new WebSocket(info.wsUrl);
    await new Promise<void>((r) => ws.once("open", () => r()));
    const closed = new Promise<number>((r) => ws.once("close", (code) => r(code)));
    ws.on("error", () => {});
    ws.send(JSON.stringify({ type: "ping", id: 1, pad: "x".repeat(70 * 1024) }));
    assert.equal(await closed, 1009);
    assert.equal(await wsOutcome(info.wsUrl), "open hello");
    await stillServes();
  });

  test("a client that asks without reading is no longer read once 1 MiB waits for it: the daemon's memory stays put", async () => {
    const rssOf = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))![1]) * 1024;
    const pid = lsp.child.pid!;
    // 100 runs make each answer to listRuns about 40 KB.
    const runs = path.join(workspaceDir, ".moonscope", "runs");
    for (let i = 0; i < 100; i++) {
      const id = `1999-01-01T00-00-${String(i).padStart(2, "0")}-GET-flood`;
      mkdirSync(path.join(runs, id), { recursive: true });
      writeFileSync(path.join(runs, id, "run.json"), JSON.stringify(minimalRun(id)));
    }
    const ws = new WebSocket(info.wsUrl);
    await new Promise<void>((r) => ws.once("open", () => r()));
    ws.on("error", () => {});
    // Read nothing from now on.
    (ws as unknown as { _socket: net.Socket })._socket.pause();
    const before = rssOf(pid);
    const ask = JSON.stringify({ type: "listRuns" });
    for (let i = 0; i < 200_000; i++) ws.send(ask);
    // Unbounded, the answers (8 GB of them) grew the daemon by about 70 MB a second here. What is
    // checked is a growth rate, so this is a measuring window, not a wait for something to be ready:
    // a daemon that stopped reading has no message to wait for.
    const MEASURING_WINDOW_MS = 5000;
    await new Promise((r) => setTimeout(r, MEASURING_WINDOW_MS));
    const grown = rssOf(pid) - before;
    assert.ok(grown < 120 * 1024 * 1024, `the daemon grew by ${(grown / 1048576).toFixed(0)} MB`);
    ws.terminate();
    await stillServes();
    for (let i = 0; i < 100; i++) rmSync(path.join(runs, `1999-01-01T00-00-${String(i).padStart(2, "0")}-GET-flood`), { recursive: true, force: true });
  });

  test("a message that is not one the daemon knows (null, a number, an unknown type or request) gets an error; the daemon and the connection live on", async () => {
    const ws = new WebSocket(info.wsUrl);
    const got: (ToClient | Reply)[] = [];
    ws.on("message", (d) => got.push(JSON.parse(String(d)) as ToClient | Reply));
    await new Promise<void>((r) => ws.once("open", () => r()));
    for (const bad of ["null", "42", '"text"', "[]", '{"type":"nope"}', "{not json"]) ws.send(bad);
    ws.send(JSON.stringify({ type: "request", id: 7, method: "deleteEverything", params: {} }));
    ws.send(JSON.stringify({ type: "ping", id: 8 }));
    // (the reply to request 7 comes from a promise, so it may arrive after the pong)
    while (!got.some((m) => m.type === "pong" && m.id === 8) || !got.some((m) => m.type === "reply" && m.id === 7)) await new Promise((r) => setImmediate(r));
    const errors = got.filter((m) => m.type === "error");
    assert.equal(errors.length, 6, JSON.stringify(got));
    for (const e of errors) assert.equal((e as { code: string }).code, "MS_ERR_BAD_MESSAGE");
    const unknown = got.find((m): m is Extract<Reply, { type: "reply" }> => m.type === "reply" && m.id === 7);
    assert.equal(unknown?.error?.code, "MS_ERR_BAD_MESSAGE");
    assert.match(unknown?.error?.message ?? "", /unknown request "deleteEverything"; known: listRoutes, startProfile, stopProfile/);
    ws.close();
  });
});
