// A table that holds one large string many times: each walk decodes that string once, so it
// reaches the byte budget at once instead of decoding the same megabytes until the watchdog stops it.
import { test } from "node:test";
import assert from "node:assert/strict";
import os from "node:os";
import { LuaApp } from "./app";

const FANOUT = `
local function fanout()
  local s, t = string.rep("y", 1048576), {}
  for i = 1, 2000 do t[i] = s end
  return t
end
function api.fanout.get(ctx) return api.json(fanout()) end
function api.fanout_cjson.get(ctx)
  local ok, err = pcall(require("cjson").encode, fanout())
  return api.text(tostring(ok) .. " " .. tostring(err))
end
`;

/** Runs one route's handler and counts how often a string of a megabyte or more was decoded. */
async function largeDecodes(route: string): Promise<{ outcome: unknown; result?: unknown; decodes: number }> {
  const app = await LuaApp.load(FANOUT, { chunkName: "app.lua", appDir: os.tmpdir(), memoryLimitBytes: 48 << 20 });
  const rt = app.rt;
  const decode = rt.toString.bind(rt);
  let decodes = 0;
  rt.toString = (L: number, idx: number) => {
    const s = decode(L, idx);
    if (s !== null && s.length >= 1048576) decodes++;
    return s;
  };
  const r = app.routes.find((x) => x.name === route)!;
  app.pushContext(r, "GET", "/", [], [], [], null);
  try {
    const outcome = app.call();
    // The serialize stage, as the worker runs it after a handler that returned.
    let result: unknown;
    try {
      result = app.readResult();
    } catch (e) {
      result = e;
    }
    return { outcome, result, decodes };
  } finally {
    app.stop.clear();
  }
}

test("api.json of one 1 MiB string held 2000 times decodes it once and refuses the 2 GB response", async () => {
  const { outcome, result, decodes } = await largeDecodes("api.fanout.get");
  assert.deepEqual(outcome, { ok: true });
  assert.match(String((result as Error).message), /larger than the Lua state's memory limit/);
  assert.equal((result as { code?: string }).code, "MS_ERR_LUA_RESULT");
  assert.equal(decodes, 1);
});

test("cjson.encode of the same table decodes the string once and raises the size error", async () => {
  const { outcome, result, decodes } = await largeDecodes("api.fanout_cjson.get");
  assert.deepEqual(outcome, { ok: true });
  assert.match(new TextDecoder().decode((result as { body: Uint8Array }).body), /^false the response would be larger than the Lua state's memory limit/);
  assert.equal(decodes, 1);
});
