// Real Lua libraries nobody here wrote, installed from Debian (npm run test:lua-libs installs them):
// Penlight in examples/modules, dkjson, inspect, basexx, MessagePack and Moses beside it, and the
// C modules of lpeg and LuaFileSystem, which must fail clearly.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { RunFile } from "../../profile/run";
import { loadTree } from "../../profile/tree-store";
import { findFrames } from "../../profile/calltree";
import { busyTree } from "../../profile/compare";
import { ROOT, startServer, writeAppTree, type RunningServer } from "../helpers/server";
import { get } from "../helpers/http";
import { runCli } from "../helpers/cli";

const NEEDED = ["/usr/share/lua/5.4/pl/tablex.lua", "/usr/share/lua/5.4/dkjson.lua", "/usr/share/lua/5.3/inspect.lua", "/usr/share/lua/5.2/basexx.lua", "/usr/share/lua/5.3/MessagePack.lua", "/usr/share/lua/5.4/re.lua"];
const missing = NEEDED.filter((f) => !existsSync(f));
const skip = missing.length ? `Debian's Lua libraries are not installed (${missing.join(", ")}); npm run test:lua-libs installs them` : null;
if (skip) console.log(`# SKIP test/lua-libs: ${skip}`);

const APP = path.join(ROOT, "examples/modules/app.lua");
/** Debian ships some libraries only for Lua 5.1 to 5.3; they run on 5.4 too. */
const OLDER = "/usr/share/lua/5.3/?.lua;/usr/share/lua/5.2/?.lua;;";

describe("examples/modules with Penlight", { skip: skip ?? false }, () => {
  let srv: RunningServer;
  before(async () => {
    srv = await startServer(APP, ["--workers", "2"]);
  });
  after(() => srv?.stop());

  test("the app loads its own modules and Penlight's, and every route answers", async () => {
    assert.match(srv.stdout(), /GET \/orders\/summary\s+api\.orders\.summary\.get\s+\(handlers\/orders\.lua:25\)/);
    const pending = JSON.parse((await get(srv.port, "/orders?status=pending")).body);
    assert.equal(pending.length, 133);
    assert.equal(JSON.parse((await get(srv.port, "/orders/5")).body).id, "5");
    assert.equal((await get(srv.port, "/orders/999")).status, 404);
    const summary = JSON.parse((await get(srv.port, "/orders/summary")).body);
    assert.equal(summary.count, 400);
    assert.match((await get(srv.port, "/reports/customers")).body, /^ada +\|\nbarbara/);
    assert.match((await get(srv.port, "/reports/raw")).body, /customer = "grace"/);
  });

  test("profiled, the time of GET /orders/summary shows in lib/stats.lua, and Penlight's frames name their files", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "moonscope-run-"));
    const r = await runCli(["profile", APP, "--route", "GET /orders/summary", "--duration", "3s", "--warmup", "1s", "--workers", "2", "--out", dir, "--json"]);
    assert.equal(r.code, 0, r.stderr);
    const run = JSON.parse(r.stdout) as RunFile;
    assert.deepEqual([run.route.file, run.route.line], ["handlers/orders.lua", 25]);
    const tree = busyTree(loadTree(run.profile.merged!));
    const stats = findFrames(tree, (f) => f.kind === "lua" && f.file === "lib/stats.lua");
    assert.ok(stats.total / tree.total >= 0.5, `lib/stats.lua carries ${((stats.total / tree.total) * 100).toFixed(1)}% of busy CPU`);
    const folded = readFileSync(path.join(dir, "profile.folded"), "utf8");
    assert.match(folded, /api\.orders\.summary\.get \(handlers\/orders\.lua:25\);spread \(lib\/stats\.lua:14\)/);
    assert.match(folded, /\(\/usr\/share\/lua\/5\.4\/pl\/tablex\.lua:\d+\)/);
  });
});

describe("other pure-Lua libraries from Debian", { skip: skip ?? false }, () => {
  test("dkjson, inspect, basexx, MessagePack and Moses load and work (the 5.1-5.3 folders through --lua-path)", async () => {
    const app = writeAppTree({
      "app.lua": `
local dkjson = require("dkjson")
local inspect = require("inspect")
local basexx = require("basexx")
local mp = require("MessagePack")
local moses = require("moses")
local class = require("pl.class")
local Point = class()
function Point:_init(x, y) self.x, self.y = x, y end
function Point:__tostring() return "(" .. self.x .. "," .. self.y .. ")" end
function api.libs.get(ctx)
  local packed = mp.pack({ a = 1, b = { 1, 2 } })
  return {
    dkjson = dkjson.encode({ a = { 1, 2 } }), decoded = dkjson.decode('{"x":[1,2,3]}').x[3],
    inspect = inspect({ 1, k = "v" }), base64 = basexx.to_base64("moonscope"),
    unpacked = mp.unpack(packed).b[2], sum = moses.sum({ 1, 2, 3 }), point = tostring(Point(1, 2)),
  }
end`,
    });
    const srv = await startServer(app, ["--lua-path", OLDER]);
    try {
      assert.deepEqual(JSON.parse((await get(srv.port, "/libs")).body), {
        dkjson: '{"a":[1,2]}',
        decoded: 3,
        inspect: '{ 1,\n  k = "v"\n}',
        base64: "bW9vbnNjb3Bl",
        unpacked: 2,
        sum: 6,
        point: "(1,2)",
      });
    } finally {
      await srv.stop();
    }
  });

  test("a C module (lfs), or a library that needs one (re needs lpeg), fails at load, naming the .so and the line that required it", async () => {
    for (const [mod, cmod, at] of [
      ["re", "lpeg", /^\/usr\/share\/lua\/5\.4\/re\.lua:\d+/],
      ["lfs", "lfs", /^app\.lua:1/],
    ] as const) {
      const app = writeAppTree({ "app.lua": `local m = require("${mod}")\nfunction api.x.get() return 1 end` });
      await assert.rejects(startServer(app), (e: Error & { code?: string }) => {
        assert.equal(e.code, "MS_ERR_LUA_LOAD");
        assert.match(e.message, at);
        assert.match(e.message, new RegExp(`module '${cmod}' is a C module \\([^)]*${cmod}\\.so\\); Moonscope runs Lua in WebAssembly`));
        return true;
      });
    }
    // Penlight catches the failure itself and says what it needs.
    const app = writeAppTree({ "app.lua": `local path = require("pl.path")\nfunction api.x.get() return 1 end` });
    await assert.rejects(startServer(app), /\/usr\/share\/lua\/5\.4\/pl\/path\.lua:\d+: error while loading: pl\.path requires LuaFileSystem/);
  });
});
