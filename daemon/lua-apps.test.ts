import { test } from "node:test";
import assert from "node:assert/strict";
import { cpSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { LuaWorkspace } from "./lua-apps";
import { scanLua } from "./lsp/routes";

const ROOT = path.resolve(__dirname, "..");

function workspace(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), "moonscope-apps-"));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

test("scanLua: requires, exported functions, routes assigned from a module, rover.server's local, handlers inside functions", () => {
  const s = scanLua(`local users = require("handlers.users")
local util = require "lib.util"
local app = rover.server { port = 3000 }
app.users.get = users.list
api.users.p_id.get = require("handlers.users").show
function app.health.get(ctx) return "ok" end
local function local_handler(ctx) end
api.local_route.get = local_handler
function app.before.auth(ctx) end
return function(api)
  function api.inner.post(ctx) end
end
`);
  assert.deepEqual(s.requires, ["handlers.users", "lib.util", "handlers.users"]);
  assert.equal(s.createsApp, true);
  assert.deepEqual(
    s.routes.map((r) => `${r.method} ${r.path} ${r.name} @${r.line}`),
    ["GET /health api.health.get @5", "GET /local_route api.local_route.get @6", "POST /inner api.inner.post @10"],
  );
  assert.deepEqual(
    s.linked.map((r) => `${r.method} ${r.path} ${r.module}.${r.field} @${r.line}`),
    ["GET /users handlers.users.list @3", "GET /users/:id handlers.users.show @4"],
  );
  const m = scanLua(`local M = {}\nfunction M.list(ctx) end\nM.show = function(ctx) end\nlocal function count() end\nreturn { count = count, other = function() end }\n`);
  assert.deepEqual([...m.exported.entries()], [["list", 1], ["show", 2], ["count", 3], ["other", 4]]);
});

test("an app with modules: one entry, its closure, every route at the file and line of its handler", () => {
  const dir = path.join(mkdtempSync(path.join(tmpdir(), "moonscope-apps-")), "modules");
  cpSync(path.join(ROOT, "examples/modules"), dir, { recursive: true });
  const ws = new LuaWorkspace(path.dirname(dir));
  const app = path.join(dir, "app.lua");
  assert.deepEqual(ws.entries(), [app]);
  assert.deepEqual(ws.closure(app).map((f) => path.relative(dir, f)).sort(), ["app.lua", "handlers/orders.lua", "handlers/reports.lua", "lib/stats.lua", "lib/store.lua"]);
  const routes = ws.routes().map((r) => `${r.method} ${r.path} ${path.relative(dir, r.file)}:${r.line + 1} via ${path.relative(dir, r.appFile ?? "")}`);
  assert.deepEqual(routes.sort(), [
    "GET /health app.lua:14 via app.lua",
    "GET /orders handlers/orders.lua:9 via app.lua",
    "GET /orders/:id handlers/orders.lua:16 via app.lua",
    "GET /orders/summary handlers/orders.lua:25 via app.lua",
    "GET /reports/customers handlers/reports.lua:7 via app.lua",
    "GET /reports/raw handlers/reports.lua:17 via app.lua",
  ]);
  // The lines are the ones the server reports for the same handlers (serve prints handlers/orders.lua:9 ...).
  const orders = path.join(dir, "handlers/orders.lua");
  assert.equal(ws.entryFor(orders), app);
  assert.equal(ws.entryFor(app), app);
  assert.deepEqual(
    ws.routesDefinedIn(orders).map((r) => `${r.method} ${r.path} @${r.line + 1}`),
    ["GET /orders @9", "GET /orders/:id @16", "GET /orders/summary @25"],
  );
  assert.deepEqual(ws.routesDefinedIn(path.join(dir, "lib/store.lua")), []);
});

test("several apps in one workspace: a module is served by the app that requires it, the nearest when two do", () => {
  const dir = workspace({
    "a/app.lua": `local h = require("h")\napi.x.get = h.x`,
    "a/h.lua": `local M = {}\nfunction M.x(ctx) end\nreturn M`,
    "b/app.lua": `function api.y.get(ctx) end`,
    "shared/app.lua": `require("a.h")\nfunction api.z.get(ctx) end`,
    "loose.lua": `function api.loose.get(ctx) end`,
    "notes/util.lua": `return { pad = function(s) return s end }`,
  });
  const ws = new LuaWorkspace(dir);
  const rel = (f: string | null) => (f ? path.relative(dir, f) : null);
  assert.deepEqual(ws.entries().map(rel).sort(), ["a/app.lua", "b/app.lua", "loose.lua", "shared/app.lua"]);
  assert.equal(rel(ws.entryFor(path.join(dir, "a/h.lua"))), "a/app.lua");
  assert.equal(rel(ws.entryFor(path.join(dir, "notes/util.lua"))), null);
});

test("open editor buffers win over the disk", () => {
  const dir = workspace({ "app.lua": `function api.a.get(ctx) end` });
  const ws = new LuaWorkspace(dir);
  const app = path.join(dir, "app.lua");
  ws.setOverlay((f) => (f === app ? `function api.a.get(ctx) end\nfunction api.b.get(ctx) end` : undefined));
  assert.deepEqual(ws.routesDefinedIn(app).map((r) => r.path), ["/a", "/b"]);
});
