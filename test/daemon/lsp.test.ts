// The daemon's language server over stdio, driven the way an editor drives it.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { MessageConnection } from "vscode-jsonrpc/node";
import * as P from "../../protocol/lsp";
import { ROOT } from "../helpers/server";
import { startLsp, type LspClient } from "../helpers/lsp";
import { processesMentioning } from "../helpers/cli";

interface Lens {
  range: { start: { line: number } };
  command?: { title: string; command: string; arguments?: unknown[] };
}

describe("moonscope lsp --stdio", () => {
  let lsp: LspClient;
  let conn: MessageConnection;
  let workspace: string;
  let appUri: string;
  let appFile: string;
  const states: P.SessionState[] = [];
  let refreshes = 0;

  before(async () => {
    workspace = mkdtempSync(path.join(tmpdir(), "moonscope-ws-"));
    mkdirSync(path.join(workspace, "api"));
    appFile = path.join(workspace, "api", "app.lua");
    copyFileSync(path.join(ROOT, "examples/users/app.lua"), appFile);
    lsp = await startLsp(workspace, { workspace: { codeLens: { refreshSupport: true } } }, (c) => {
      c.onNotification(P.sessionState.method, (s: P.SessionState) => states.push(s));
      c.onRequest("workspace/codeLens/refresh", () => {
        refreshes++;
        return null;
      });
    });
    conn = lsp.conn;
    assert.ok(lsp.initialize.capabilities.codeLensProvider);
    appUri = await lsp.open(appFile);
  });

  after(() => lsp?.close());

  const lenses = () => conn.sendRequest<Lens[]>("textDocument/codeLens", { textDocument: { uri: appUri } });

  test("one ▶ Profile lens per handler, at its line, carrying the route", async () => {
    const ls = await lenses();
    assert.deepEqual(
      ls.map((l) => `${l.range.start.line}:${l.command?.title}`),
      ["10:▶ Profile GET /users/:id", "19:▶ Profile GET /users", "30:▶ Profile POST /users", "42:▶ Profile DELETE /users/:id", "48:▶ Profile GET /note"],
    );
    assert.equal(ls[0].command?.command, P.COMMANDS.profileRoute);
    assert.deepEqual(ls[0].command?.arguments, [{ uri: appUri, route: "GET /users/:id" }]);
    const { routes } = await conn.sendRequest<{ routes: P.RouteEntry[] }>(P.listRoutes.method, {});
    assert.equal(routes.length, 5);
    assert.equal(routes[0].name, "api.users.p_id.get");
  });

  test("startProfile streams session states, writes a run, and the figures lens appears; a second request meanwhile is busy", async () => {
    const params: P.StartProfileParams = { uri: appUri, route: "GET /users/1", options: { durationMs: 1500, warmupMs: 0, connections: 4, workers: 1 } };
    const first = conn.sendRequest<{ sessionId: number; run: P.RunSummary }>(P.startProfile.method, params);
    // Wait until the session is under way, then ask again: the answer is a clear "busy".
    while (!states.some((s) => s.phase === "measuring")) await new Promise((r) => setImmediate(r));
    await assert.rejects(conn.sendRequest(P.startProfile.method, params), (e: Error & { data?: { code: string } }) => e.data?.code === "MS_ERR_BUSY" && /busy: GET \/users\/1/.test(e.message));
    const live = await lenses();
    assert.ok(live.some((l) => /^\$\(watch\) measuring/.test(l.command?.title ?? "")), live.map((l) => l.command?.title).join(" | "));
    const { run } = await first;
    assert.equal(run.route, "GET /users/:id");
    assert.ok(run.rps > 0);
    assert.equal(states[states.length - 1].phase, "done");
    assert.ok(refreshes > 0, "the client was asked to refresh its lenses");
    const ls = await lenses();
    const figures = ls.find((l) => l.range.start.line === 10 && l.command?.command === P.COMMANDS.openRun);
    assert.match(figures?.command?.title ?? "", /^p50 [\d.]+ ms · p99 [\d.]+ ms · [\d.]+k? req\/s · \w+ \d+%/);
    const { runs } = await conn.sendRequest<{ runs: P.RunSummary[] }>(P.listRuns.method, {});
    assert.equal(runs.length, 1);
    assert.ok(runs[0].dir.startsWith(path.join(workspace, ".moonscope", "runs")));
    assert.deepEqual(processesMentioning(appFile), []);
  });

  test("export and compare work on stored runs; a corrupt run is listed with its error, not dropped", async () => {
    const { runs } = await conn.sendRequest<{ runs: P.RunSummary[] }>(P.listRuns.method, {});
    const svg = path.join(workspace, "out.svg");
    const ex = await conn.sendRequest<{ bytes: number }>(P.exportRun.method, { id: runs[0].id, format: "svg", file: svg });
    assert.ok(ex.bytes > 1000);
    assert.match(readFileSync(svg, "utf8"), /<\/svg>\s*$/);
    const cmp = await conn.sendRequest<{ comparison: { stageMeans: unknown[] } }>(P.compareRuns.method, { before: runs[0].id, after: runs[0].id });
    assert.equal(cmp.comparison.stageMeans.length, 7);
    const bad = path.join(workspace, ".moonscope", "runs", "0000-broken");
    mkdirSync(bad, { recursive: true });
    writeFileSync(path.join(bad, "run.json"), "{ truncated");
    const after = await conn.sendRequest<{ runs: P.RunSummary[] }>(P.listRuns.method, {});
    assert.equal(after.runs.length, 2);
    assert.match(after.runs.find((r) => r.id === "0000-broken")?.error ?? "", /not valid JSON/);
    await assert.rejects(conn.sendRequest(P.getRun.method, { id: "0000-broken" }), (e: Error & { data?: { code: string } }) => e.data?.code === "MS_ERR_RUN_CORRUPT");
  });

  test("a route that does not exist fails the request with a clear error and leaves no process", async () => {
    await assert.rejects(
      conn.sendRequest(P.startProfile.method, { uri: appUri, route: "GET /nope", options: { durationMs: 1000, warmupMs: 0, workers: 1 } }),
      (e: Error & { data?: { code: string } }) => e.data?.code === "MS_ERR_ROUTE_NOT_FOUND" && /has no route GET \/nope/.test(e.message),
    );
    assert.equal(states[states.length - 1].phase, "failed");
    assert.deepEqual(processesMentioning(appFile), []);
  });
});
