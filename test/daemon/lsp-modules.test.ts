// The language server on an app whose handlers live in modules: lenses in the module's file at the
// handler's line, and "Profile" there profiles the app that requires the module.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import type { MessageConnection } from "vscode-jsonrpc/node";
import * as P from "../../protocol/lsp";
import { writeAppTree } from "../helpers/server";
import { startLsp, type LspClient } from "../helpers/lsp";
import { processesMentioning } from "../helpers/cli";

interface Lens {
  range: { start: { line: number } };
  command?: { title: string; command: string; arguments?: unknown[] };
}

const FILES = {
  "app.lua": `local users = require("handlers.users")
require("handlers.admin")
api.users.get = users.list
api.users.p_id.get = users.show
function api.ping.get(ctx) return "pong" end
`,
  "handlers/users.lua": `local store = require("lib.store")
local M = {}

function M.list(ctx)
  return api.json(api.array(store.all()))
end

function M.show(ctx)
  return api.json(store.all()[tonumber(ctx.params.id)] or api.null)
end

return M
`,
  "handlers/admin.lua": `-- handlers defined on api from inside a module
function api.admin.stats.get(ctx)
  return { ok = true }
end
`,
  "lib/store.lua": `local rows = { { id = 1, name = "Ada" }, { id = 2, name = "Grace" } }
return { all = function() return rows end }
`,
};

describe("moonscope lsp on an app with modules", () => {
  let lsp: LspClient;
  let conn: MessageConnection;
  let app: string;
  let dir: string;
  let usersUri: string;

  before(async () => {
    app = writeAppTree(FILES);
    dir = path.dirname(app);
    lsp = await startLsp(dir);
    conn = lsp.conn;
    usersUri = await lsp.open(path.join(dir, "handlers/users.lua"));
  });
  after(() => lsp?.close());

  const lensesOf = (uri: string) => conn.sendRequest<Lens[]>("textDocument/codeLens", { textDocument: { uri } });

  test("a module's handlers get their lenses in the module, at the handler's line", async () => {
    const ls = await lensesOf(usersUri);
    assert.deepEqual(
      ls.map((l) => `${l.range.start.line}:${l.command?.title}`),
      ["3:▶ Profile GET /users", "7:▶ Profile GET /users/:id"],
    );
    const adminUri = await lsp.open(path.join(dir, "handlers/admin.lua"));
    assert.deepEqual((await lensesOf(adminUri)).map((l) => `${l.range.start.line}:${l.command?.title}`), ["1:▶ Profile GET /admin/stats"]);
    const appUri = await lsp.open(app);
    assert.deepEqual((await lensesOf(appUri)).map((l) => `${l.range.start.line}:${l.command?.title}`), ["4:▶ Profile GET /ping"]);
  });

  test("listRoutes lists every route of the workspace's apps, with the file that defines it and the app that serves it", async () => {
    const { routes } = await conn.sendRequest<{ routes: P.RouteEntry[] }>(P.listRoutes.method, {});
    const brief = routes.map((r) => `${r.method} ${r.path} ${path.relative(dir, r.file)}:${r.line} ${path.relative(dir, r.appFile ?? "")}`).sort();
    assert.deepEqual(brief, ["GET /admin/stats handlers/admin.lua:1 app.lua", "GET /ping app.lua:4 app.lua", "GET /users handlers/users.lua:3 app.lua", "GET /users/:id handlers/users.lua:7 app.lua"]);
  });

  test("Profile on a handler in a module profiles the app that requires it; the figures lens then shows in the module", async () => {
    const { run } = await conn.sendRequest<{ run: P.RunSummary }>(P.startProfile.method, {
      uri: usersUri,
      route: "GET /users",
      options: { durationMs: 1000, warmupMs: 0, connections: 2, workers: 1 },
    } satisfies P.StartProfileParams);
    assert.equal(run.appFile, app);
    assert.equal(run.route, "GET /users");
    const { run: full } = await conn.sendRequest<{ run: { route: { file: string; line: number } } }>(P.getRun.method, { id: run.id });
    assert.deepEqual(full.route.file, "handlers/users.lua");
    assert.equal(full.route.line, 4);
    const ls = await lensesOf(usersUri);
    const figures = ls.find((l) => l.range.start.line === 3 && l.command?.command === P.COMMANDS.openRun);
    assert.match(figures?.command?.title ?? "", /^p50 /);
    assert.deepEqual(processesMentioning(dir), []);
  });
});
