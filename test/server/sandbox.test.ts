// What handlers may touch on the host: no file access, no processes, no ending the worker, unless
// the app is served with --allow; require of Lua modules and the standard streams always work.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { startServer, writeApp, type RunningServer } from "../helpers/server";
import { get } from "../helpers/http";

const APP = `
local function callable(f) return type(f) == "function" end
local function refused(f, ...)
  local ok, err = pcall(f, ...)
  return not ok and tostring(err) or false
end
function api.probe.get(ctx)
  return api.json {
    require = callable(require), package = type(package) == "table",
    time = callable(os.time), clock = callable(os.clock), date = callable(os.date), getenv = callable(os.getenv),
    write = callable(io.write), stdout = io.type(io.stdout) == "file",
    exit = refused(os.exit, 3), execute = refused(os.execute, "id"), remove = refused(os.remove, "/tmp/x"),
    rename = refused(os.rename, "/tmp/x", "/tmp/y"), tmpname = refused(os.tmpname),
    open = refused(io.open, "/etc/passwd"), popen = refused(io.popen, "id"), lines = refused(io.lines, "/etc/passwd"),
    read = refused(io.read), loadlib = package.loadlib("/lib/x.so", "f") == nil,
    -- the loaded-module table holds the sandboxed libraries, not the full ones
    loaded_io_open = refused(package.loaded.io.open, "/etc/passwd") ~= false,
    loaded_os_exit = refused(package.loaded.os.exit) ~= false,
    registry_os_execute = refused(function() return debug.getregistry()._LOADED.os.execute("id") end) ~= false,
    outside = select(2, loadfile("/etc/passwd")),
  }
end
function api.exit.get(ctx) os.exit(1) end
function api.env.get(ctx) return api.text(os.getenv("MOONSCOPE_SANDBOX_PROBE") or "unset") end
-- Every other door the issue found: the registry (the original io and os), upvalues, binary chunks,
-- the collector's switches, the real stdout handle inside the stub.
function api.doors.get(ctx)
  local chunk = string.char(27) .. "LuaT" .. string.rep("\0", 40)
  local fn, why = load(chunk)
  local fn_b, why_b = load("return 1", "x", "b")
  return api.json {
    getregistry = refused(debug.getregistry),
    getupvalue = refused(debug.getupvalue, io.write, 1),
    setupvalue = refused(debug.setupvalue, io.write, 1, nil),
    upvaluejoin = refused(debug.upvaluejoin, io.write, 1, io.write, 1),
    setlocal = refused(debug.setlocal, 1, 1, nil),
    loaded_debug = refused(package.loaded.debug.getregistry),
    binary = fn == nil and why, binary_mode = fn_b == nil and why_b,
    dump = refused(string.dump, function() end),
    gc_stop = refused(collectgarbage, "stop"), gc_gen = refused(collectgarbage, "generational"),
    gc_count = type(collectgarbage("count")) == "number", gc_collect = collectgarbage() == 0,
    text_load = load("return 40 + 2")(), env_load = load("return x", "=t", "t", {x = 7})(),
    stdout_inside = rawget(io.stdout, "f") == nil and select(2, pcall(debug.getupvalue, io.stdout.write, 1)) ~= nil,
    traceback = type(debug.traceback("x")) == "string", getinfo = debug.getinfo(1, "S").short_src,
    string_mt = debug.getmetatable("").__index == string,
  }
end
-- A call hook meets every function called, the originals the sandbox's wrappers call and the host's
-- functions too: getinfo and getlocal must not hand any of them out.
function api.hooked.get(ctx)
  local reachable = {}
  for _, t in pairs({_G, io, os, debug, coroutine, string, math, table, utf8, package, package.searchers}) do
    for _, v in pairs(t) do reachable[v] = true end
  end
  local seen, leaked = {}, {}
  debug.sethook(function()
    local info = debug.getinfo(2, "f")
    if info and info.func then seen[info.func] = true end
    for i = 1, 4 do
      local _, v = debug.getlocal(2, i)
      if v ~= nil then seen[v] = true end
    end
  end, "c")
  load("return 1")
  load(function() return nil end)
  collectgarbage("count")
  io.stdout:write("")
  io.write("")
  math.randomseed(1)
  xpcall(function() end, function() end)
  debug.sethook()
  for v in pairs(seen) do
    local t = type(v)
    if not reachable[v] and (t == "userdata" or (t == "function" and debug.getinfo(v, "S").what == "C")) then
      leaked[#leaked + 1] = tostring(v)
    end
  end
  return api.json {
    leaked = api.array(leaked), saw_load = seen[load] == true,
    level1 = debug.getinfo(1, "S").short_src, local1 = (debug.getlocal(1, 1)),
    co_level1 = coroutine.wrap(function() return debug.getinfo(coroutine.running(), 1, "S").short_src end)(),
  }
end
-- A one-byte-corrupted string.dump chunk used to end the worker with "memory access out of bounds".
local function victim(a, b) local t = {} for i = 1, 10 do t[i] = a .. i .. b end return table.concat(t) end
function api.corrupt.get(ctx)
  local ok, chunk = pcall(string.dump, victim)
  if not ok then return api.text("dump: " .. chunk) end
  local fn, why = load(chunk:sub(1, 29) .. string.char(255) .. chunk:sub(31), "x", "bt")
  if not fn then return api.text("load: " .. tostring(why)) end
  return api.text(tostring(pcall(fn, "a", "b")))
end
`;

describe("default sandbox", () => {
  let srv: RunningServer;
  before(async () => {
    process.env.MOONSCOPE_SANDBOX_PROBE = "from the host";
    srv = await startServer(writeApp(APP));
  });
  after(() => srv?.stop());

  test("require, package, time, clock, date, getenv and the standard streams stay; every way to the host's files or processes raises a clear error", async () => {
    const r = JSON.parse((await get(srv.port, "/probe")).body);
    for (const k of ["require", "package", "time", "clock", "date", "getenv", "write", "stdout", "loadlib", "loaded_io_open", "loaded_os_exit", "registry_os_execute"]) {
      assert.equal(r[k], true, k);
    }
    for (const k of ["exit", "execute", "remove", "rename", "tmpname"]) {
      assert.match(r[k], new RegExp(`os\\.${k} is not available: Moonscope's sandbox .* --allow os`), k);
    }
    for (const k of ["open", "popen", "lines", "read"]) assert.match(r[k], new RegExp(`io\\.${k} is not available: Moonscope's sandbox keeps handlers off the host's files`), k);
    assert.match(r.outside, /Moonscope's sandbox loads only Lua files of the app's folder/);
  });

  test("debug keeps what reads the app's own code; the registry, upvalues, binary chunks, string.dump and the collector's switches raise clear errors", async () => {
    const r = JSON.parse((await get(srv.port, "/doors")).body);
    for (const k of ["getregistry", "getupvalue", "setupvalue", "upvaluejoin", "setlocal", "loaded_debug"]) {
      assert.match(r[k], new RegExp(`debug\\.\\w+ is not available: Moonscope's sandbox keeps handlers out of the server's internals`), k);
    }
    assert.match(r.binary, /binary chunks cannot be loaded: Moonscope's sandbox runs Lua source only/);
    assert.match(r.binary_mode, /binary chunks cannot be loaded/);
    assert.match(r.dump, /string\.dump is not available/);
    assert.match(r.gc_stop, /collectgarbage\("stop"\) is not available: the server owns the collector's settings/);
    assert.match(r.gc_gen, /collectgarbage\("generational"\) is not available/);
    assert.equal(r.gc_count, true);
    assert.equal(r.gc_collect, true);
    assert.equal(r.text_load, 42);
    assert.equal(r.env_load, 7);
    assert.equal(r.stdout_inside, true, "the real stdout handle is out of reach");
    assert.equal(r.traceback, true);
    assert.equal(r.getinfo, "app.lua");
    assert.equal(r.string_mt, true);
  });

  test("a call hook meets the sandbox's originals and the host's functions on the stack, but getinfo and getlocal never hand them out", async () => {
    const r = JSON.parse((await get(srv.port, "/hooked")).body);
    assert.deepEqual(r.leaked, [], "C functions and handles the app cannot name otherwise");
    assert.equal(r.saw_load, true, "the hook did see the calls");
    assert.equal(r.level1, "app.lua", "levels count from the caller, as in Lua");
    assert.equal(r.local1, "ctx");
    assert.equal(r.co_level1, "app.lua");
  });

  test("a damaged binary chunk is refused, not run: the worker lives", async () => {
    const pid = (await srv.stats()).workers[0].pid;
    const r = await get(srv.port, "/corrupt");
    assert.equal(r.status, 200);
    assert.match(r.body, /^dump: string\.dump is not available/);
    assert.equal((await srv.stats()).workers[0].pid, pid);
  });

  test("a handler calling os.exit gets a 500 naming the problem, and the worker lives on", async () => {
    const pid = (await srv.stats()).workers[0].pid;
    const r = await get(srv.port, "/exit");
    assert.equal(r.status, 500);
    assert.match(JSON.parse(r.body).error.message, /app\.lua:\d+: os\.exit is not available/);
    assert.equal((await srv.stats()).workers[0].pid, pid);
  });

  test("os.getenv reads the host's environment (Lua's own would see WebAssembly's made-up one)", async () => {
    assert.equal((await get(srv.port, "/env")).body, "from the host");
  });
});

describe("--allow io,os", () => {
  test("gives the libraries back (io over the worker's in-memory file system, not the host's)", async () => {
    const srv = await startServer(
      writeApp(`
function api.probe.get(ctx)
  local f = io.open("/tmp/moonscope-probe", "w"); f:write("in memory"); f:close()
  local back = io.open("/tmp/moonscope-probe"):read("a")
  return api.json { back = back, host = io.open("/etc/hostname") ~= nil, exit = type(os.exit) }
end`),
      ["--allow", "io,os"],
    );
    try {
      const r = JSON.parse((await get(srv.port, "/probe")).body);
      assert.deepEqual(r, { back: "in memory", host: false, exit: "function" });
    } finally {
      await srv.stop();
    }
  });

  test("--allow require (from before require was always on) still parses; an unknown library is a usage error", async () => {
    const srv = await startServer(writeApp(`function api.x.get() return "ok" end`), ["--allow", "require"]);
    await srv.stop();
    await assert.rejects(startServer(writeApp(`function api.x.get() return "ok" end`), ["--allow", "net"]), /--allow takes io and os, not net/);
  });
});

test("an app file that is a binary chunk is refused at start", async () => {
  await assert.rejects(startServer(writeApp("\x1bLua" + "\0".repeat(40))), /attempt to load a binary chunk/);
});

describe("math.random in several workers", () => {
  test("each worker starts from its own seed, and math.randomseed() with no argument draws a new one", async () => {
    // The first numbers each worker draws at load time, with the worker's number (from the options the master gave it).
    const srv = await startServer(
      writeApp(`
local first = {}
for i = 1, 4 do first[i] = math.random(0, 2^40) end
local worker = os.getenv("MOONSCOPE_WORKER"):match('"worker":(%d+)')
function api.first.get(ctx) return api.json { worker = worker, first = first } end
function api.reseed.get(ctx)
  math.randomseed(7) local a = math.random(0, 2^40)
  math.randomseed(7) local b = math.random(0, 2^40)
  math.randomseed() local c = math.random(0, 2^40)
  return api.json { same = a == b, fresh = c ~= a }
end`),
      ["--workers", "2"],
    );
    try {
      const seen = new Map<string, string>();
      for (let i = 0; i < 200 && seen.size < 2; i++) {
        const r = JSON.parse((await get(srv.port, "/first")).body) as { worker: string; first: number[] };
        seen.set(r.worker, JSON.stringify(r.first));
      }
      assert.equal(seen.size, 2, "both workers answered");
      const [a, b] = [...seen.values()];
      assert.notEqual(a, b, "the two workers drew different numbers");
      assert.deepEqual(JSON.parse((await get(srv.port, "/reseed")).body), { same: true, fresh: true });
    } finally {
      await srv.stop();
    }
  });
});
