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
    registry_os_execute = refused(debug.getregistry()._LOADED.os.execute, "id") ~= false,
    outside = select(2, loadfile("/etc/passwd")),
  }
end
function api.exit.get(ctx) os.exit(1) end
function api.env.get(ctx) return api.text(os.getenv("MOONSCOPE_SANDBOX_PROBE") or "unset") end
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
