// The watchdog's stop lands as an interrupt, at any point between two WebAssembly instructions.
// These tests make it land at the worst points on purpose, from inside the handler, instead of
// waiting for the timing to line up (test/server/faults.test.ts covers the real watchdog).
import { test } from "node:test";
import assert from "node:assert/strict";
import os from "node:os";
import { LuaApp } from "./app";

/** Loads source and gives its Lua a global stop_now() that does what the watchdog's interrupt does. */
async function appWithStopNow(source: string): Promise<LuaApp> {
  const app = await LuaApp.load(source, { chunkName: "app.lua", appDir: os.tmpdir(), memoryLimitBytes: 64 << 20 });
  const { rt, L } = app;
  const fn = rt.addCFunction(() => {
    app.stop.request();
    return 0;
  });
  rt.x.lua_pushcclosure(L, fn, 0);
  rt.x.lua_setglobal(L, rt.cstr("stop_now"));
  return app;
}

function run(app: LuaApp, name: string) {
  const route = app.routes.find((r) => r.name === name);
  assert.ok(route, `no route ${name}`);
  app.pushContext(route, "GET", "/", [], [], [], null);
  try {
    return app.call();
  } finally {
    app.stop.clear();
  }
}

test("a stop that lands between debug.sethook's check and its real call still stops the handler", async () => {
  // A call hook fires the stop just as the sandbox's debug.sethook calls the real one, after its
  // "am I being stopped?" check has passed: the real call then clears the stop's hook.
  const app = await appWithStopNow(`
function api.race.get(ctx)
  debug.sethook(function()
    if debug.getinfo(2, "n").name == "real_sethook" then stop_now() end
  end, "c")
  debug.sethook()
  for i = 1, 1000 do end
  return api.text("ran to the end")
end
function api.ok.get(ctx) return api.text("ok") end
`);
  const outcome = run(app, "api.race.get");
  assert.equal(outcome.ok ? "ran to the end" : outcome.kind, "timeout");
  // The state serves the next request, with no hook left behind.
  assert.deepEqual(run(app, "api.ok.get"), { ok: true });
});

test("the same race inside a coroutine stops the handler too", async () => {
  const app = await appWithStopNow(`
function api.race.get(ctx)
  coroutine.wrap(function()
    debug.sethook(function()
      if debug.getinfo(2, "n").name == "real_sethook" then stop_now() end
    end, "c")
    debug.sethook()
    for i = 1, 1000 do end
    coroutine_finished = true
  end)()
  return api.text("ran to the end")
end
`);
  const outcome = run(app, "api.race.get");
  assert.equal(outcome.ok ? "ran to the end" : outcome.kind, "timeout");
  // Stopped in the coroutine, not only once it handed back to the main thread (whose hook stayed).
  assert.equal(app.eval("return tostring(coroutine_finished)"), "nil");
});
