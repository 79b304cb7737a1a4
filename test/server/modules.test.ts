// require of pure-Lua modules, found the way Lua finds them: the app's folder first, then --lua-path,
// then LUA_PATH_5_4 / LUA_PATH (";;" is the default path); clear errors naming the module, the file
// and line, and the files tried.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { startServer, writeAppTree, type RunningServer } from "../helpers/server";
import { get } from "../helpers/http";

const TREE = {
  "app.lua": `
local util = require("lib.util")
local shapes = require("shapes")            -- shapes/init.lua
local again = require("lib.util")
local counter = require("lib.counter")

function api.double.get(ctx)
  return api.json { value = util.double(tonumber(ctx.query.x) or 0), same = util == again, loads = counter.loads }
end
function api.area.get(ctx)
  return api.json { area = shapes.square(3) }
end
function api.paths.get(ctx)
  return api.json { path = package.path, cpath = package.cpath, loaded = package.loaded["lib.util"] == util }
end
function api.late.get(ctx)
  -- required on first use, inside a handler
  return api.text(require("lib.late").hello())
end
function api.boom.get(ctx)
  return util.explode()
end
function api.config.get(ctx)
  return api.json(dofile("conf/settings.lua"))
end
function api.args.get(ctx)
  return api.json { name = util.name, file = util.file:match("[^/]+/[^/]+$") }
end
`,
  "lib/util.lua": `local name, file = ...
local M = { name = name, file = file }
function M.double(x)
  return x * 2
end
function M.explode()
  error("exploded in a module")
end
return M
`,
  "lib/counter.lua": `counter_loads = (counter_loads or 0) + 1
return { loads = counter_loads }
`,
  "lib/late.lua": `return { hello = function() return "loaded late" end }`,
  "shapes/init.lua": `return { square = function(s) return s * s end }`,
  "conf/settings.lua": `return { mode = "test", workers = 2 }`,
};

describe("require in an app with its own modules", () => {
  let srv: RunningServer;
  let dir: string;
  before(async () => {
    const app = writeAppTree(TREE);
    dir = path.dirname(app);
    srv = await startServer(app);
  });
  after(() => srv?.stop());

  test("modules are found in the app's folder (?.lua and ?/init.lua) and loaded once per state", async () => {
    assert.deepEqual(JSON.parse((await get(srv.port, "/double?x=21")).body), { value: 42, same: true, loads: 1 });
    assert.deepEqual(JSON.parse((await get(srv.port, "/area")).body), { area: 9 });
  });

  test("a module gets its name and file as arguments, as with Lua's own searcher", async () => {
    assert.deepEqual(JSON.parse((await get(srv.port, "/args")).body), { name: "lib.util", file: "lib/util.lua" });
  });

  test("package.path shows the real search path, the app's folder first; package.loaded holds the module", async () => {
    const r = JSON.parse((await get(srv.port, "/paths")).body);
    const entries = r.path.split(";");
    assert.deepEqual(entries.slice(0, 2), [path.join(dir, "?.lua"), path.join(dir, "?", "init.lua")]);
    assert.ok(entries.includes("/usr/share/lua/5.4/?.lua"), r.path);
    assert.equal(r.loaded, true);
    assert.match(r.cpath, /\?\.so/);
  });

  test("a module required inside a handler loads on first use", async () => {
    assert.equal((await get(srv.port, "/late")).body, "loaded late");
    assert.equal((await get(srv.port, "/late")).body, "loaded late");
  });

  test("errors in a module name the module's file relative to the app's folder", async () => {
    const r = await get(srv.port, "/boom");
    assert.equal(r.status, 500);
    assert.equal(JSON.parse(r.body).error.message, "lib/util.lua:7: exploded in a module");
    const line = await srv.waitForOutput(/MS_ERR_LUA_RUNTIME: GET \/boom/);
    assert.match(line, /lib\/util\.lua:7/);
  });

  test("dofile loads a Lua file of the app's folder", async () => {
    assert.deepEqual(JSON.parse((await get(srv.port, "/config")).body), { mode: "test", workers: 2 });
  });

  test("routes say which file defines them", async () => {
    const out = srv.stdout();
    assert.match(out, /GET \/double\s+api\.double\.get\s+\(app\.lua:7\)/);
  });
});

describe("where require looks after the app's folder", () => {
  const vendor = mkdtempSync(path.join(tmpdir(), "moonscope-vendor-"));
  mkdirSync(path.join(vendor, "a"), { recursive: true });
  writeFileSync(path.join(vendor, "a", "greet.lua"), `return { hi = function() return "from vendor" end }`);
  const envLib = mkdtempSync(path.join(tmpdir(), "moonscope-envlib-"));
  writeFileSync(path.join(envLib, "fromenv.lua"), `return "from LUA_PATH"`);
  const app = writeAppTree({
    "app.lua": `
local greet = require("a.greet")
local env = require("fromenv")
function api.x.get(ctx) return api.json { greet = greet.hi(), env = env, path = package.path } end
`,
  });

  test("--lua-path, then LUA_PATH_5_4 with ;; standing for the default path", async () => {
    const srv = await startServer(app, ["--lua-path", path.join(vendor, "?.lua")], { env: { ...process.env, LUA_PATH_5_4: `${path.join(envLib, "?.lua")};;`, LUA_PATH: "/nowhere/?.lua" } });
    try {
      const r = JSON.parse((await get(srv.port, "/x")).body);
      assert.equal(r.greet, "from vendor");
      assert.equal(r.env, "from LUA_PATH");
      const entries: string[] = r.path.split(";");
      const at = (t: string) => entries.indexOf(t);
      assert.ok(at(path.join(path.dirname(app), "?.lua")) === 0);
      assert.ok(at(path.join(vendor, "?.lua")) > 0 && at(path.join(vendor, "?.lua")) < at(path.join(envLib, "?.lua")), r.path);
      assert.ok(at("/usr/local/share/lua/5.4/?.lua") > at(path.join(envLib, "?.lua")), "the default comes where ;; was");
      assert.equal(at("/nowhere/?.lua"), -1, "LUA_PATH_5_4 wins over LUA_PATH");
    } finally {
      await srv.stop();
    }
  });

  test("LUA_PATH is used when LUA_PATH_5_4 is not set; without ;; the default is left out", async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, LUA_PATH: path.join(envLib, "?.lua") };
    delete env.LUA_PATH_5_4;
    const srv = await startServer(app, ["--lua-path", path.join(vendor, "?.lua")], { env });
    try {
      const r = JSON.parse((await get(srv.port, "/x")).body);
      assert.equal(r.env, "from LUA_PATH");
      assert.ok(!r.path.includes("/usr/local/share/lua/5.4/"), r.path);
    } finally {
      await srv.stop();
    }
  });
});

describe("modules that cannot load stop the app with a clear error", () => {
  const startFails = async (files: Record<string, string>) => {
    try {
      const srv = await startServer(writeAppTree(files));
      await srv.stop();
    } catch (e) {
      return e as Error & { code?: string };
    }
    throw new Error("the app started");
  };

  test("a missing module: its name, where it was required, and every file tried", async () => {
    const e = await startFails({ "app.lua": `\nlocal x = require("lib.nope")\nfunction api.a.get() return 1 end` });
    assert.equal(e.code, "MS_ERR_LUA_LOAD");
    assert.match(e.message, /^app\.lua:2: error while loading: module 'lib\.nope' not found:/);
    assert.match(e.message, /no file '[^']*\/lib\/nope\.lua'/);
    assert.match(e.message, /no file '[^']*\/lib\/nope\/init\.lua'/);
    assert.match(e.message, /no file '\/usr\/share\/lua\/5\.4\/lib\/nope\.lua'/);
  });

  test("a syntax error in a module: the module's file and line, and where it was required", async () => {
    const e = await startFails({ "app.lua": `local b = require("lib.bad")\nfunction api.a.get() return 1 end`, "lib/bad.lua": "local M = {}\nfunction M.f(\n  return 1\nend\nreturn M\n" });
    assert.equal(e.code, "MS_ERR_LUA_LOAD");
    assert.match(e.message, /^lib\/bad\.lua:3: syntax error: .* \(syntax error in module 'lib\.bad', required at app\.lua:1\)$/);
  });

  test("an error while a module runs names the module's line", async () => {
    const e = await startFails({ "app.lua": `require("lib.oops")\nfunction api.a.get() return 1 end`, "lib/oops.lua": "\n\nlocal t = nil\nreturn t.field\n" });
    assert.match(e.message, /^lib\/oops\.lua:4: error while loading: attempt to index a nil value/);
  });

  test("a C module is named as one, with the file that was found, and why it cannot load", async () => {
    const e = await startFails({ "app.lua": `local m = require("native")\nfunction api.a.get() return 1 end`, "native.so": "\x7fELF" });
    assert.match(e.message, /app\.lua:1: .*module 'native' is a C module \([^)]*native\.so\); Moonscope runs Lua in WebAssembly, which cannot load C modules: use a pure-Lua library instead/);
  });
});
