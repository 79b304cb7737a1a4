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
import type { ToClient } from "../../protocol/ws";
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
    const { run } = await conn.sendRequest<{ run: P.RunSummary }>(P.startProfile.method, { uri: appUri, route: "GET /hello", options: { durationMs: 2000, warmupMs: 0, connections: 4, workers: 1 } });
    while (!got.some((m) => m.type === "runDone")) await new Promise((r) => setImmediate(r));
    ws.close();
    assert.equal(got[0].type, "hello");
    assert.equal((got[0] as Extract<ToClient, { type: "hello" }>).protocolVersion, 1);
    const frames = got.filter((m): m is Extract<ToClient, { type: "frame" }> => m.type === "frame");
    assert.ok(frames.length >= 4, `${frames.length} frames in 2 s`);
    assert.deepEqual(frames[frames.length - 1].stages.map((s) => s.stage), ["parse", "extract", "queue", "context", "handler", "serialize", "write"]);
    assert.ok(frames[frames.length - 1].rps > 0);
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
});
