// Lua errors, runaway handlers, memory limits, crashed workers and shutdown, on real processes.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { alive, startProcess, startServer, writeApp, type RunningServer } from "../helpers/server";
import { get, raw } from "../helpers/http";
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
-- Runaways the stop must reach: in a coroutine, under pcall (again and again), under xpcall whose
-- handler loops too, and in api.on_error-free code that catches the stop and tries to carry on.
function api.co_spin.get(ctx) coroutine.wrap(function() while true do end end)() end
function api.co_resume_spin.get(ctx)
  local co = coroutine.create(function() while true do coroutine.resume(coroutine.create(function() while true do end end)) end end)
  while true do coroutine.resume(co) end
end
function api.pcall_spin.get(ctx) while true do pcall(function() while true do end end) end end
function api.xpcall_spin.get(ctx) while true do xpcall(function() while true do end end, function() while true do end end) end end
function api.sethook_spin.get(ctx) while true do pcall(debug.sethook) end end
-- 2^22 leaves that are all the same few tables: small in Lua, huge to walk
-- 2^22 tables to walk (22 in memory, shared), about 17 MB of JSON
function api.shared.get(ctx)
  local t = 0
  for i = 1, 22 do t = {t, t} end
  return api.json(t)
end
-- one 1 MB string, 2000 times: 2 MB in Lua, 2 GB as JSON
function api.fanout.get(ctx)
  local s, t = string.rep("y", 1048576), {}
  for i = 1, 2000 do t[i] = s end
  return api.json(t)
end
-- the same two through cjson.encode, a C function called from Lua, under pcall
function api.fanout_cjson.get(ctx)
  local s, t = string.rep("y", 1048576), {}
  for i = 1, 2000 do t[i] = s end
  local ok, err = pcall(require("cjson").encode, t)
  return api.json { ok = ok, err = tostring(err) }
end
function api.shared_cjson.get(ctx)
  local t, u, v = {}, {}, {}
  for i = 1, 1000 do t[i] = i end
  for i = 1, 1000 do u[i] = t end
  for i = 1, 100 do v[i] = u end
  local ok = pcall(require("cjson").encode, v)
  return api.text("the stop was caught: " .. tostring(ok))
end
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

  test("a runaway loop in a coroutine, under pcall or xpcall, or nested in resumed coroutines is stopped with a 503 too; the worker lives", async () => {
    const before = (await srv.stats()).workers[0].pid;
    for (const route of ["/co_spin", "/co_resume_spin", "/pcall_spin", "/xpcall_spin", "/sethook_spin"]) {
      const t0 = performance.now();
      const r = await get(srv.port, route);
      const took = performance.now() - t0;
      assert.equal(r?.status, 503, `${route}: ${r?.body} (server log: ${srv.stderr().slice(-800)})`);
      assert.equal(JSON.parse(r.body).error.code, "MS_ERR_LUA_TIMEOUT", route);
      assert.ok(took < 1500, `${route} stopped after ${took.toFixed(0)} ms`);
      assert.equal((await get(srv.port, "/ok"))?.status, 200, `${route}: the next request is served (server log: ${srv.stderr().slice(-600)})`);
    }
    // Coroutines still work after a stop (no hook is left behind on the state).
    assert.equal((await srv.stats()).workers[0].pid, before, "no restart was needed");
  });

  test("the other requests of a worker wait behind a stopped one and are answered, not lost", async () => {
    const spinning = get(srv.port, "/co_spin");
    await new Promise((r) => setTimeout(r, 50));
    const others = Promise.all([get(srv.port, "/ok"), get(srv.port, "/ok")]);
    assert.equal((await spinning).status, 503);
    assert.deepEqual((await others).map((r) => r.status), [200, 200]);
  });

  test("serialising a table of shared references stops at the time budget (503); one that would be gigabytes of JSON is a 500 at once", async () => {
    // The serialiser's byte budget is the memory limit; with 48 MiB, which of the two limits ends
    // the shared walk first depends on the machine's speed. With 512 MiB only the time can.
    const roomy = await startServer(writeApp(FAULTY), ["--handler-timeout", "300ms", "--memory-limit", "512MB"]);
    try {
      const t0 = performance.now();
      const r = await get(roomy.port, "/shared");
      assert.equal(r?.status, 503, `${r?.body} (server log: ${roomy.stderr().slice(-600)})`);
      assert.match(JSON.parse(r.body).error.message, /serialising the response took longer than the time budget/);
      assert.ok(performance.now() - t0 < 1500, `stopped after ${(performance.now() - t0).toFixed(0)} ms`);
    } finally {
      await roomy.stop();
    }
    const f = await get(srv.port, "/fanout");
    assert.equal(f.status, 500);
    assert.equal(JSON.parse(f.body).error.code, "MS_ERR_LUA_RESULT");
    assert.match(JSON.parse(f.body).error.message, /larger than the Lua state's memory limit \(48 MiB\)/);
    assert.equal((await get(srv.port, "/ok")).status, 200);
  });

  test("cjson.encode meets the same limits: a too large result is a Lua error, the stop stays the stop (503); the worker's Lua state stays sound", async () => {
    const pid = (await srv.stats()).workers[0].pid;
    const f = await get(srv.port, "/fanout_cjson");
    assert.equal(f.status, 200, f.body);
    assert.deepEqual(JSON.parse(f.body).ok, false);
    assert.match(JSON.parse(f.body).err, /larger than the Lua state's memory limit/);
    const s = await get(srv.port, "/shared_cjson");
    assert.equal(s.status, 503, s.body);
    assert.equal(JSON.parse(s.body).error.code, "MS_ERR_LUA_TIMEOUT");
    for (let i = 0; i < 3; i++) assert.equal((await get(srv.port, "/ok")).status, 200);
    assert.equal((await srv.stats()).workers[0].pid, pid, "the worker was not replaced");
  });

  test("one flat table whose walk alone outlasts the budget is stopped with a 503 between its entries, not by killing the worker", { timeout: 60_000 }, async () => {
    // 8M numbers (~128 MB of Lua heap), built at load: only the serialiser's walk runs per request.
    const big = await startServer(
      writeApp(`
local flat = {}
for i = 1, 2^23 do flat[i] = i + 0.5 end
function api.flat.get(ctx) return api.json(flat) end
function api.ok.get(ctx) return api.json { ok = true } end`),
      ["--workers", "1", "--handler-timeout", "300ms", "--memory-limit", "512MB"],
    );
    try {
      const [pid] = big.pids;
      const t0 = performance.now();
      const r = await raw(big.port, "GET /flat HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", { expect: 1, timeoutMs: 20_000 });
      assert.equal(r.responses[0].status, 503, r.text.slice(0, 300));
      assert.match(JSON.parse(r.responses[0].body).error.message, /serialising the response took longer than the time budget/);
      assert.ok(performance.now() - t0 < 1200, `stopped after ${(performance.now() - t0).toFixed(0)} ms`);
      assert.equal((await get(big.port, "/ok")).status, 200);
      assert.equal((await big.stats()).workers[0].pid, pid, "the worker was not killed");
    } finally {
      await big.stop();
    }
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

  test("with --port 0, a worker that replaces the only one listens on the same port", async () => {
    const srv = await startServer(writeApp("function api.ok.get() return api.json{ok=true} end"), ["--workers", "1"]);
    assert.equal((await get(srv.port, "/ok")).status, 200);
    process.kill(srv.pids[0], "SIGKILL");
    await srv.waitForOutput(/worker 1 is back/);
    assert.equal((await get(srv.port, "/ok")).status, 200);
    await srv.stop();
  });

  test("a worker stuck where its watchdog cannot reach (a __gc finalizer that never returns, run while ctx is built) is killed and replaced", async () => {
    // The finalizer loops only when it runs outside the handler: the handler makes garbage with
    // finalizers, and the next request's many headers make the allocations that collect it.
    const srv = await startServer(
      writeApp(`
local in_handler = false
local mt = {__gc = function() if not in_handler then while true do end end end}
function api.gc.get(ctx)
  in_handler = true
  for i = 1, 20 do setmetatable({}, mt) end
  in_handler = false
  return "made garbage"
end
function api.ok.get() return api.json{ok=true} end`),
      ["--workers", "1", "--handler-timeout", "300ms"],
    );
    const headers = Object.fromEntries(Array.from({ length: 90 }, (_, i) => [`x-filler-${i}`, "v".repeat(100)]));
    const first = srv.pids[0];
    const t0 = Date.now();
    let lost = 0;
    for (let i = 0; i < 400 && lost === 0; i++) {
      const r = await get(srv.port, "/gc", headers).catch(() => null);
      if (!r || r.status !== 200) lost++;
    }
    assert.equal(lost, 1, "one request was lost with its worker");
    await srv.waitForOutput(/did not stop within 1000 ms of CPU time after its stop request/);
    await srv.waitForOutput(/worker 1 is back/);
    assert.ok(Date.now() - t0 < 15_000);
    const r = await get(srv.port, "/ok");
    assert.equal(r.status, 200);
    assert.notEqual((await srv.stats()).workers[0].pid, first);
    await srv.stop();
  });

  test("a worker that stops answering the master (here: SIGSTOP) is killed and replaced after the liveness limit", async () => {
    const srv = await startServer(writeApp("function api.ok.get() return api.json{ok=true} end"), ["--workers", "1"]);
    const [victim] = srv.pids;
    process.kill(victim, "SIGSTOP");
    const restart = await srv.waitForMessage((m) => m.type === "event" && m.code === "MS_WARN_WORKER_RESTART", 15_000);
    assert.match((restart as { message: string }).message, /stopped answering for [\d.]+ s .* and was killed/);
    await srv.waitForOutput(/worker 1 is back/);
    assert.equal((await get(srv.port, "/ok")).status, 200);
    assert.equal(alive(victim), false);
    await srv.stop();
  });

  test("a worker whose event loop is busy past the liveness limit (pipelined requests to a slow handler) is not killed: requests that end count as answers", { timeout: 60_000 }, async () => {
    const srv = await startServer(
      writeApp(`
function api.slow.get(ctx)
  local t = os.clock() + 0.6
  while os.clock() < t do end
  return "done"
end`),
      ["--workers", "1"],
    );
    try {
      const [pid] = srv.pids;
      // 16 pipelined requests (the pipeline depth) of 0.6 s each are one turn of the worker's event
      // loop, 9.6 s, past the 5 s liveness limit (--handler-timeout 1s): it reads no ping meanwhile.
      const n = 16;
      const text = "GET /slow HTTP/1.1\r\nHost: x\r\n\r\n".repeat(n - 1) + "GET /slow HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
      const r = await raw(srv.port, text, { expect: n, timeoutMs: 30_000 });
      assert.deepEqual(r.responses.map((x) => x.status), Array(n).fill(200));
      const snap = await srv.stats();
      assert.equal(snap.restarts, 0, srv.stderr());
      assert.equal(snap.workers[0].pid, pid);
      assert.doesNotMatch(srv.stderr() + srv.stdout(), /stopped answering/);
    } finally {
      await srv.stop();
    }
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
