// Lua errors, runaway handlers, memory limits, crashed workers and shutdown, on real processes.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { alive, startProcess, startServer, writeApp, type RunningServer } from "../helpers/server";
import { get } from "../helpers/http";
import net from "node:net";

const FAULTY = `
function api.ok.get(ctx) return api.json { ok = true } end
function api.boom.get(ctx)
  error("the database is on fire")
end
local function deeper(t) return t.missing.field end
function api.nilindex.get(ctx) return api.json { v = deeper({}) } end
function api.spin.get(ctx)
  local n = 0
  while true do n = n + 1 end
end
function api.hog.get(ctx)
  local t = {}
  for i = 1, 1e9 do t[i] = string.rep("x", 1048576) .. i end
end
function api.badreturn.get(ctx) return function() end end
function api.cycle.get(ctx) local t = {} t.self = t return api.json(t) end
`;

describe("errors inside handlers", () => {
  let srv: RunningServer;
  before(async () => {
    srv = await startServer(writeApp(FAULTY), ["--handler-timeout", "300ms", "--memory-limit", "48MB"]);
  });
  after(() => srv?.stop());

  test("error() is a JSON 500 and a log line with the Lua traceback; the worker keeps serving", async () => {
    const r = await get(srv.port, "/boom");
    assert.equal(r.status, 500);
    const e = JSON.parse(r.body).error;
    assert.equal(e.code, "MS_ERR_LUA_RUNTIME");
    assert.match(e.message, /app\.lua:4: the database is on fire/);
    const line = await srv.waitForOutput(/MS_ERR_LUA_RUNTIME: GET \/boom/);
    assert.match(line, /app\.lua:4/);
    await srv.waitForOutput(/stack traceback/);
    const ok = await get(srv.port, "/ok");
    assert.equal(ok.status, 200);
  });

  test("a runtime error names file:line of the failing code", async () => {
    const r = await get(srv.port, "/nilindex");
    assert.equal(r.status, 500);
    assert.match(JSON.parse(r.body).error.message, /app\.lua:6: attempt to index a nil value/);
  });

  test("a handler that never returns is stopped with a 503 and the same worker keeps serving", async () => {
    const before = (await srv.stats()).workers[0].pid;
    const t0 = performance.now();
    const r = await get(srv.port, "/spin");
    const took = performance.now() - t0;
    assert.equal(r.status, 503);
    assert.equal(JSON.parse(r.body).error.code, "MS_ERR_LUA_TIMEOUT");
    assert.ok(took < 1500, `stopped after ${took.toFixed(0)} ms`);
    const ok = await get(srv.port, "/ok");
    assert.equal(ok.status, 200);
    assert.equal((await srv.stats()).workers[0].pid, before, "no restart was needed");
    await srv.waitForOutput(/MS_ERR_LUA_TIMEOUT/);
  });

  test("returning something that is not a response is a 500 that says what to return", async () => {
    const r = await get(srv.port, "/badreturn");
    assert.equal(r.status, 500);
    assert.match(JSON.parse(r.body).error.message, /returned a function/);
    const c = await get(srv.port, "/cycle");
    assert.equal(c.status, 500);
    assert.match(JSON.parse(r.body).error.code, /MS_ERR_LUA_RESULT/);
  });
});

describe("the per-state memory limit", () => {
  test("a handler that allocates without bound hits the memory limit with a 503; the worker keeps serving", async () => {
    // Its own server with a generous time budget, so the memory limit and not the watchdog stops it.
    const srv = await startServer(writeApp(FAULTY), ["--handler-timeout", "10s", "--memory-limit", "40MB"]);
    try {
      const r = await get(srv.port, "/hog");
      assert.equal(r.status, 503);
      assert.equal(JSON.parse(r.body).error.code, "MS_ERR_LUA_MEMORY");
      assert.match(JSON.parse(r.body).error.message, /40 MiB/);
      const ok = await get(srv.port, "/ok");
      assert.equal(ok.status, 200);
      assert.ok((await srv.stats()).workers[0].resources.luaHeapBytes <= 40 * 1048576);
    } finally {
      await srv.stop();
    }
  });
});

describe("load errors refuse to start", () => {
  test("a syntax error names file:line and the message", async () => {
    const p = await startProcess(["serve", writeApp("function api.x.get(ctx)\n  return api.json { a = 1 \nend\n"), "--port", "0", "--workers", "1"]);
    const r = await p.exited;
    assert.equal(r.code, 1);
    assert.match(r.stderr, /error MS_ERR_LUA_LOAD: app\.lua:3: syntax error: .*'}' expected/);
    assert.doesNotMatch(r.stderr, /at .*\.js:\d+/, "no JS stack trace");
  });

  test("an error while the app loads names file:line", async () => {
    const p = await startProcess(["serve", writeApp("local x = nil\nlocal y = x.field\n"), "--port", "0", "--workers", "1"]);
    const r = await p.exited;
    assert.equal(r.code, 1);
    assert.match(r.stderr, /MS_ERR_LUA_LOAD: app\.lua:2: error while loading: attempt to index a nil value/);
  });

  test("a missing app file and an app with no routes are clear errors", async () => {
    const a = await (await startProcess(["serve", "/no/such/app.lua", "--port", "0"])).exited;
    assert.equal(a.code, 1);
    assert.match(a.stderr, /MS_ERR_APP_NOT_FOUND: no Lua app at \/no\/such\/app\.lua/);
    const b = await (await startProcess(["serve", writeApp("local x = 1\n"), "--port", "0", "--workers", "1"])).exited;
    assert.equal(b.code, 1);
    assert.match(b.stderr, /MS_ERR_APP_NO_ROUTES/);
  });

  test("a port in use is a clear error", async () => {
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, "127.0.0.1", r));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const r = await (await startProcess(["serve", writeApp("function api.a.get() return 'a' end"), "--port", String(port), "--workers", "1"])).exited;
      assert.equal(r.code, 1);
      assert.match(r.stderr, new RegExp(`MS_ERR_PORT_IN_USE: port ${port} .* --port 0`));
    } finally {
      blocker.close();
    }
  });

  test("bad flags are usage errors with exit code 2", async () => {
    const r = await (await startProcess(["serve", "x.lua", "--workers", "many"])).exited;
    assert.equal(r.code, 2);
    assert.match(r.stderr, /MS_ERR_USAGE: --workers takes a whole number/);
  });
});

describe("workers and shutdown", () => {
  test("a killed worker is replaced and logged; SIGTERM leaves no process behind", async () => {
    const srv = await startServer(writeApp("function api.ok.get() return api.json{ok=true} end"), ["--workers", "2"]);
    const [victim, other] = srv.pids;
    process.kill(victim, "SIGKILL");
    const restart = await srv.waitForMessage((m) => m.type === "event" && m.code === "MS_WARN_WORKER_RESTART");
    assert.match((restart as { message: string }).message, /killed by SIGKILL/);
    await srv.waitForOutput(/worker \d is back/);
    const snap = await srv.stats();
    assert.equal(snap.workers.length, 2);
    assert.equal(snap.restarts, 1);
    const pids = snap.workers.map((w) => w.pid);
    assert.ok(!pids.includes(victim) && pids.includes(other));
    for (let i = 0; i < 4; i++) assert.equal((await get(srv.port, "/ok")).status, 200);
    const code = await srv.stop("SIGTERM");
    assert.equal(code, 0);
    for (const pid of [srv.child.pid!, ...pids]) assert.equal(alive(pid), false, `pid ${pid} is gone`);
  });

  test("SIGINT finishes an in-flight keep-alive connection's request, then exits", async () => {
    const srv = await startServer(writeApp("function api.ok.get() return api.json{ok=true} end"), ["--workers", "1"]);
    const pids = [...srv.pids];
    const code = await srv.stop("SIGINT");
    assert.equal(code, 0);
    for (const pid of pids) assert.equal(alive(pid), false);
  });

  test("if the master is killed outright, its workers exit too", async () => {
    const srv = await startServer(writeApp("function api.ok.get() return api.json{ok=true} end"), ["--workers", "2"]);
    const pids = [...srv.pids];
    process.kill(srv.child.pid!, "SIGKILL");
    // Workers notice the closed IPC channel; poll for their exit instead of sleeping a fixed time.
    const deadline = Date.now() + 5000;
    while (pids.some(alive) && Date.now() < deadline) await new Promise((r) => setImmediate(r));
    for (const pid of pids) assert.equal(alive(pid), false, `worker ${pid} exited`);
  });
});
