import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { routeOfName, scanRoutes } from "./routes";

const brief = (src: string) => scanRoutes(src).routes.map((r) => `${r.method} ${r.path} ${r.name} @${r.line + 1}:${r.character}`);

test("both handler forms, params, nested namespaces, every method", () => {
  assert.deepEqual(
    brief(`local x = 1
function api.hello.get(ctx) return api.json { ok = true } end
function api.users.p_id.get(ctx) end
  function api.orgs.p_org.repos.p_repo.delete(ctx) end
api.note.post = function(ctx) end
function api.get(ctx) end
`),
    ["GET /hello api.hello.get @2:0", "GET /users/:id api.users.p_id.get @3:0", "DELETE /orgs/:org/repos/:repo api.orgs.p_org.repos.p_repo.delete @4:2", "POST /note api.note.post @5:0", "GET / api.get @6:0"],
  );
});

test("functions that are not handlers are not routes", () => {
  assert.deepEqual(brief("function helper() end\nlocal function api_x() end\nfunction api.users.list(ctx) end\nfunction M.get() end\n"), []);
  assert.deepEqual(routeOfName(["api", "error", "get"]), { method: "GET", path: "/error" }, "a route may be named like a builtin (the builtin is also a namespace)");
  assert.equal(routeOfName(["api", "before", "auth"]), null, "middleware is not a route");
  assert.equal(routeOfName(["api", "admin", "before", "get"]), null, "not even one named like a method");
});

test("Lua 5.4 syntax luaparse cannot read falls back to the line scan, and says so", () => {
  const r = scanRoutes("local limit <const> = 10\nfunction api.items.get(ctx) return api.json{} end\n");
  assert.match(r.syntaxError ?? "", /./);
  assert.deepEqual(r.routes.map((x) => `${x.method} ${x.path} @${x.line}`), ["GET /items @1"]);
});

test("the examples scan to the routes the server itself reports", () => {
  const root = path.resolve(__dirname, "..", "..");
  assert.deepEqual(brief(readFileSync(path.join(root, "examples/users/app.lua"), "utf8")).map((s) => s.split(" ").slice(0, 2).join(" ")), ["GET /users/:id", "GET /users", "POST /users", "DELETE /users/:id", "GET /note"]);
  assert.deepEqual(brief(readFileSync(path.join(root, "examples/slow/app.lua"), "utf8")), ["GET /crunch api.crunch.get @17:0", "GET /fast api.fast.get @22:0"]);
});
