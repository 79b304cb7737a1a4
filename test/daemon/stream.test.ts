// The daemon's live stream: loopback only, token and Origin checked, hello first, frames while a
// session measures, then the finished run; stored runs readable through the API and nothing else.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { copyFileSync, mkdtempSync } from "node:fs";
import http from "node:http";
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

  before(async () => {
    const workspace = mkdtempSync(path.join(tmpdir(), "moonscope-ws-"));
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
