// The daemon's language server over stdio, driven the way an editor drives it.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import type { MessageConnection } from "vscode-jsonrpc/node";
import * as P from "../../protocol/lsp";
import type { RunFile } from "../../profile/run";
import { BIN, ROOT } from "../helpers/server";
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

  test("listRoutes without a uri reads apps from disk: a file the editor never opened is listed (Profile Route opens no document)", async () => {
    mkdirSync(path.join(workspace, "other"));
    writeFileSync(path.join(workspace, "other", "app.lua"), "function api.disk.get(ctx)\n  return api.text('from disk')\nend\n");
    const { routes } = await conn.sendRequest<{ routes: P.RouteEntry[] }>(P.listRoutes.method, {});
    const disk = routes.find((r) => r.path === "/disk");
    assert.ok(disk, routes.map((r) => `${r.method} ${r.path}`).join(", "));
    assert.equal(disk.file, path.join(workspace, "other", "app.lua"));
    assert.equal(disk.line, 0);
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
    // Valid JSON with the right envelope but a damaged inside: MS_ERR_RUN_CORRUPT naming the field, not a TypeError.
    const good = JSON.parse(readFileSync(path.join(runs[0].dir, "run.json"), "utf8"));
    const damage: [string, (r: Record<string, any>) => void, RegExp][] = [
      ["0001-tree", (r) => (r.profile.merged.nodes[0][0] = 99_999), /profile\.merged\.nodes\[0\] does not name a frame/],
      ["0002-stages", (r) => (r.server.stages = [null]), /server\.stages\[0\] is not an object/],
      ["0003-route", (r) => delete r.route.method, /route\.method is not a string/],
      ["0004-hotspot", (r) => (r.hotSpots = [{}]), /hotSpots\[0\]\.frame is not an object/],
    ];
    for (const [id, hurt, why] of damage) {
      const r = JSON.parse(JSON.stringify(good));
      r.id = id;
      hurt(r);
      mkdirSync(path.join(workspace, ".moonscope", "runs", id), { recursive: true });
      writeFileSync(path.join(workspace, ".moonscope", "runs", id, "run.json"), JSON.stringify(r));
      for (const method of [P.getRun.method, P.exportRun.method]) {
        await assert.rejects(conn.sendRequest(method, { id, format: "svg", file: path.join(workspace, `${id}.svg`) }), (e: Error & { data?: { code: string } }) => {
          assert.equal(e.data?.code, "MS_ERR_RUN_CORRUPT", `${id} ${method}: ${e.message}`);
          assert.match(e.message, why);
          return true;
        });
      }
    }
    const listed = await conn.sendRequest<{ runs: P.RunSummary[] }>(P.listRuns.method, {});
    for (const [id, , why] of damage) assert.match(listed.runs.find((r) => r.id === id)?.error ?? "", why, id);
  });

  test("deleteRun removes a run's folder through the run store; an unknown id is MS_ERR_RUN_NOT_FOUND", async () => {
    const before = await conn.sendRequest<{ runs: P.RunSummary[] }>(P.listRuns.method, {});
    const broken = before.runs.find((r) => r.id === "0000-broken")!;
    const r = await conn.sendRequest<{ deleted: string }>(P.deleteRun.method, { id: "0000-broken" });
    assert.equal(r.deleted, broken.dir);
    assert.equal(existsSync(broken.dir), false);
    const after = await conn.sendRequest<{ runs: P.RunSummary[] }>(P.listRuns.method, {});
    assert.deepEqual(after.runs.map((x) => x.id), before.runs.filter((x) => x.id !== "0000-broken").map((x) => x.id));
    await assert.rejects(conn.sendRequest(P.deleteRun.method, { id: "0000-broken" }), (e: Error & { data?: { code: string } }) => e.data?.code === "MS_ERR_RUN_NOT_FOUND");
    await assert.rejects(conn.sendRequest(P.deleteRun.method, {}), (e: Error & { data?: { code: string } }) => e.data?.code === "MS_ERR_USAGE");
    // A real run's summary names its mode and the Node that ran it.
    const real = after.runs.find((x) => !x.error)!;
    assert.equal(real.mode, "sample");
    assert.equal(real.node, process.version);
    const { run: full } = await conn.sendRequest<{ run: RunFile }>(P.getRun.method, { id: real.id });
    assert.equal(full.machine?.execPath, process.execPath);
    assert.equal(full.machine?.electron, undefined);
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

describe("moonscope lsp --stdio against odd documents and broken frames", () => {
  let lsp: LspClient;
  let conn: MessageConnection;
  let workspace: string;

  before(async () => {
    workspace = mkdtempSync(path.join(tmpdir(), "moonscope-lsp-odd-"));
    lsp = await startLsp(workspace);
    conn = lsp.conn;
  });

  after(() => lsp?.close());

  const APP = `function api.hello.get(ctx) return api.json { ok = true } end\n`;
  const open = (uri: string, text: string) => conn.sendNotification("textDocument/didOpen", { textDocument: { uri, languageId: "lua", version: 1, text } });
  const lensesOf = (uri: string) => conn.sendRequest<Lens[]>("textDocument/codeLens", { textDocument: { uri } });

  test("an unsaved buffer and a file:// URI with a host get no lenses and no routes, not an error", async () => {
    for (const uri of ["untitled:Untitled-1", "file://fileserver/share/app.lua"]) {
      await open(uri, APP);
      assert.deepEqual(await lensesOf(uri), [], uri);
      assert.deepEqual(await conn.sendRequest(P.listRoutes.method, { uri }), { routes: [] }, uri);
    }
    const file = path.join(workspace, "app.lua");
    writeFileSync(file, APP);
    const uri = await lsp.open(file);
    assert.equal((await lensesOf(uri)).length, 1, "a real file still gets its lens");
  });

  test("a 50k-line file is parsed once per text: eight quick edits, then lenses within a second or two", async () => {
    const file = path.join(workspace, "big.lua");
    let text = APP + "local function filler(x)\n";
    for (let i = 0; i < 50_000; i++) text += `  x = x + ${i}\n`;
    text += "  return x\nend\n";
    writeFileSync(file, text);
    const uri = await lsp.open(file);
    assert.equal((await lensesOf(uri)).length, 1);
    const t0 = performance.now();
    for (let v = 2; v <= 9; v++) {
      await conn.sendNotification("textDocument/didChange", {
        textDocument: { uri, version: v },
        contentChanges: [{ range: { start: { line: 2, character: 2 }, end: { line: 2, character: 2 } }, text: " " }],
      });
    }
    const ls = await lensesOf(uri);
    const took = performance.now() - t0;
    assert.equal(ls.length, 1);
    assert.ok(took < 2000, `lenses after eight edits took ${took.toFixed(0)} ms`);
  });

  test("startProfile's params are checked before a session starts: a wrong shape is MS_ERR_USAGE naming the field", async () => {
    const file = path.join(workspace, "app.lua");
    writeFileSync(file, APP);
    const uri = pathToFileURL(file).href;
    const cases: [unknown, RegExp][] = [
      [{ uri: 5, route: "GET /hello" }, /startProfile: uri is not a string/],
      [{ uri, route: ["GET /hello"] }, /startProfile: route is not a string/],
      [{ uri, route: "GET /hello", options: { durationMs: "10s" } }, /startProfile: options\.durationMs is not a non-negative number/],
      [{ uri, route: "GET /hello", options: { mode: "fast" } }, /startProfile: options\.mode "fast" is not a mode/],
      [{ uri, route: "GET /hello", options: { load: "k6" } }, /startProfile: options\.load "k6" is not one of wrk, autocannon, external/],
      [{ uri, route: "GET /hello", options: { headers: { "X Bad": "1" } } }, /startProfile: options\.headers: "X Bad" is not a header name/],
      [{ uri, route: "GET /hello", options: { headers: { "X-Split": "a\r\nHost: evil" } } }, /startProfile: options\.headers\.X-Split is not a one-line string/],
      [{ uri, route: "GET /hello", options: { body: 42 } }, /startProfile: options\.body is not a string/],
      [{ uri: "file://fileserver/share/app.lua", route: "GET /hello" }, /startProfile: file:\/\/fileserver\/share\/app\.lua is not a file on this machine/],
    ];
    for (const [params, why] of cases) {
      await assert.rejects(conn.sendRequest(P.startProfile.method, params), (e: Error & { data?: { code: string } }) => {
        assert.equal(e.data?.code, "MS_ERR_USAGE", `${JSON.stringify(params)}: ${e.message}`);
        assert.match(e.message, why);
        return true;
      });
    }
    const { sessions } = await conn.sendRequest<{ sessions: P.SessionState[] }>(P.getSessionState.method, {});
    assert.deepEqual(sessions, [], "no session was started");
  });

  // The test's timeout is the bound: a server that does not exit fails it.
  test("the server exits when the editor's end of stdin closes (no shutdown, no processId)", { timeout: 10_000 }, async () => {
    const child = spawn(process.execPath, [BIN, "lsp", "--stdio"], { cwd: workspace, stdio: ["pipe", "pipe", "ignore"] });
    try {
      // Ready when it answers an initialize (a server still starting would not see stdin close).
      let out = "";
      const answered = new Promise<void>((r) => child.stdout!.on("data", (d: Buffer) => (out += d).includes('"id":1') && r()));
      const init = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize", params: { processId: null, rootUri: null, capabilities: {} } });
      child.stdin!.write(`Content-Length: ${Buffer.byteLength(init)}\r\n\r\n${init}`);
      await answered;
      const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
      child.stdin!.end();
      const code = await exited;
      // An exit code, not a signal: it ended by itself.
      assert.notEqual(code, null);
    } finally {
      child.kill("SIGKILL");
    }
  });

  test("a frame without a usable Content-Length is reported and skipped; the server answers the next message", { timeout: 20_000 }, async () => {
    const stdin = lsp.child.stdin!;
    let stderr = "";
    lsp.child.stderr!.on("data", (d) => (stderr += d));
    for (const bad of ["Content-Lengthxx: 5\r\n\r\n{bad}", "Content-Length: -5\r\n\r\n", "Content-Length: 99999999999\r\n\r\n", "X: 1\r\n\r\n{}"]) {
      stdin.write(bad);
      const { runs } = await conn.sendRequest<{ runs: P.RunSummary[] }>(P.listRuns.method, {});
      assert.ok(Array.isArray(runs), `answered after ${JSON.stringify(bad)}`);
    }
    assert.match(stderr, /moonscope lsp: a malformed message from the editor: a message header without Content-Length; skipped/);
    assert.match(stderr, /Content-Length "-5" is not a number of bytes/);
  });
});
