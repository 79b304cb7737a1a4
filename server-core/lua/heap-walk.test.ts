// The heap walk against lua_getinfo on Lua that reaches a probe every way a stack can look: C
// functions calling back into Lua, every metamethod, to-be-closed variables, message handlers,
// coroutines, deep recursion, chunks loaded at run time. And the comparison itself must be able to
// fail: a walk that is wrong by a line or a name is caught.
import { test } from "node:test";
import assert from "node:assert/strict";
import { AR_SIZE } from "./debug-info";
import { HeapWalker, type ProtoInfo } from "./heap-walk";
import { recordHeapSample } from "./heap-sample";
import { LuaStackCounts } from "./stack-counts";
import { compareWalks, heapViews, heapWalkProblem, walkerFor } from "./heap-walk-check";
import { LUA_OK, LuaRuntime, big } from "./runtime";
import { CALL_INFO, LUA_STATE, PROTO } from "./lua-layout";

const VARIED = `
local probe = ...
string.gsub("ab", "%w", function(c) probe() end)
local sorted = false
table.sort({ 3, 1 }, function(a, b) if not sorted then sorted = true; probe() end return a < b end)
xpcall(function() error("boom") end, function(m) probe() return m end)
local function va(...) return select("#", ...) + probe() end
va(1, 2, 3)
local a = { b = { c = {} } }
function a.b.c.d() return probe() + 0 end
a.b.c.d()
local mt = {}
mt.__call = function(self, x) return probe() end
mt.__concat = function() probe() return "" end
mt.__eq = function() probe() return true end
mt.__lt = function() probe() return true end
mt.__le = function() probe() return true end
mt.__unm = function() probe() return 0 end
mt.__len = function() probe() return 0 end
mt.__newindex = function() probe() end
mt.__close = function() probe() end
local o1, o2 = setmetatable({}, mt), setmetatable({}, mt)
local _ = o1(1)
_ = o1 .. "x"
_ = o1 == o2
_ = o1 < o2
_ = o1 <= o2
_ = -o1
_ = #o1
o1.k = 1
do local c <close> = o1 end
local function rec(n) if n == 0 then return probe() end return 0 + rec(n - 1) end
rec(40)
local co = coroutine.create(function() probe(); coroutine.yield(); probe() end)
coroutine.resume(co)
coroutine.resume(co)
load("local p = ... return p() + 0", "=loaded at run time")(probe)
string.probe = probe
local _ = ("x"):probe()
`;
/** How often VARIED reaches the probe (a typo that skips a call would otherwise go unseen). */
const VARIED_PROBES = 20;

async function luaState(): Promise<{ rt: LuaRuntime; L: number }> {
  const rt = await LuaRuntime.create({ memoryLimitBytes: 64 * 1024 * 1024 });
  const L = rt.x.luaL_newstate();
  rt.x.luaL_openlibs(L);
  return { rt, L };
}

/** Runs chunk with a probe as its argument; at each probe, the differences between the walks. */
function probeWalks(rt: LuaRuntime, L: number, chunk: string, walker: HeapWalker): string[][] {
  const ar = rt.x.malloc(AR_SIZE);
  const what = rt.cstr("Sln");
  const seen: string[][] = [];
  try {
    runWithProbe(rt, L, chunk, (l) => seen.push(compareWalks(rt, l, walker, ar, what)));
  } finally {
    rt.x.free(ar);
  }
  return seen;
}

/** Runs chunk with a probe (a C function returning 0) as its argument; onProbe runs at each call. */
function runWithProbe(rt: LuaRuntime, L: number, chunk: string, onProbe: (l: number) => void): void {
  const x = rt.x;
  const probe = rt.addCFunction((l) => {
    onProbe(l);
    x.lua_pushinteger(l, big(0));
    return 1;
  });
  const bytes = Buffer.from(chunk, "utf8");
  const p = rt.scratch(bytes.length);
  rt.refreshViews();
  rt.heap.set(bytes, p);
  try {
    assert.equal(x.luaL_loadbufferx(L, p, bytes.length, rt.cstr("=varied"), rt.cstr("t")), LUA_OK, "the chunk loads");
    x.lua_pushcclosure(L, probe, 0);
    const status = x.lua_pcallk(L, 1, 0, 0, 0, 0);
    assert.equal(status, LUA_OK, status === LUA_OK ? "" : (rt.toString(L, -1) ?? "an error without a message"));
  } finally {
    x.lua_settop(L, 0);
  }
}

test("the self-check passes on this build of Lua, and its answer is kept per runtime", async () => {
  const { rt, L } = await luaState();
  assert.equal(heapWalkProblem(rt, L), null);
  assert.equal(heapWalkProblem(rt, L), null);
  assert.equal(rt.x.lua_gettop(L), 0, "the check leaves the stack as it found it");
});

test("the heap walk agrees with lua_getinfo frame by frame wherever varied Lua reaches the probe", async () => {
  const { rt, L } = await luaState();
  const seen = probeWalks(rt, L, VARIED, walkerFor(rt));
  assert.equal(seen.length, VARIED_PROBES);
  assert.deepEqual(seen.flat(), []);
});

test("a walk wrong by one line is caught", async () => {
  const { rt, L } = await luaState();
  class OffByOne extends HeapWalker {
    override line(p: number, pc: number): number {
      return super.line(p, pc) + 1;
    }
  }
  const seen = probeWalks(rt, L, VARIED, new OffByOne(heapViews(rt)));
  assert.ok(seen.every((d) => d.some((m) => /currentline/.test(m))), JSON.stringify(seen.slice(0, 2)));
});

test("a walk that misnames a frame is caught", async () => {
  const { rt, L } = await luaState();
  class Misnamed extends HeapWalker {
    override frameName(i: number, n: number): string | null {
      const name = super.frameName(i, n);
      return name === "d" ? "e" : name;
    }
  }
  const seen = probeWalks(rt, L, VARIED, new Misnamed(heapViews(rt)));
  assert.deepEqual(seen.flat().filter((m) => /name "e" from the heap, "d" from lua_getinfo/.test(m)).length, 1, JSON.stringify(seen.flat()));
});

test("a sample whose Proto cannot be read counts as missed, and none of its lines is counted", async () => {
  const { rt, L } = await luaState();
  // The outermost Lua frame's Proto reads as torn: the frames nearer the probe are read first.
  class TornOutermost extends HeapWalker {
    outermost = 0;
    override walk(l: number): number {
      const n = super.walk(l);
      this.outermost = this.frames[n - 1].fn;
      return n;
    }
    override proto(p: number): ProtoInfo | null {
      return p === this.outermost ? null : super.proto(p);
    }
  }
  const walker = new TornOutermost(heapViews(rt));
  const counts = new LuaStackCounts(new Map());
  let recorded: boolean | undefined;
  runWithProbe(rt, L, "local probe = ...\nlocal function inner() return probe() + 0 end\nreturn inner() + 0", (l) => (recorded = recordHeapSample(walker, counts, l, "GET /x")));
  assert.equal(recorded, false);
  const data = counts.take("heap");
  assert.deepEqual([data.samples, data.missed, data.lines ?? []], [0, 1, []]);
});

test("a caller that reads as not started is a CallInfo the VM reused during the walk: the walk is torn, not a frame named (anonymous)", async () => {
  const { rt, L } = await luaState();
  const walker = walkerFor(rt);
  const views = heapViews(rt);
  const word = (a: number) => views().i32[a >> 2];
  const setWord = (a: number, v: number) => void (views().i32[a >> 2] = v);
  let whole = 0;
  let reused = 0;
  runWithProbe(rt, L, "local probe = ...\nlocal function inner() return probe() + 0 end\nreturn inner() + 0", (l) => {
    whole = walker.walk(l);
    // What the walk reads when inner returned and a new call took its CallInfo before starting:
    // inner's savedpc at its first instruction, while the frame above it is still there.
    const innerCi = word(word(l + LUA_STATE.ci) + CALL_INFO.previous);
    const saved = word(innerCi + CALL_INFO.savedpc);
    setWord(innerCi + CALL_INFO.savedpc, word(walker.frames[1].fn + PROTO.code));
    try {
      reused = walker.walk(l);
    } finally {
      setWord(innerCi + CALL_INFO.savedpc, saved);
    }
  });
  assert.ok(whole >= 3, `the probe, inner and the chunk (${whole} frames)`);
  assert.equal(walker.frames[1].lua, true);
  assert.equal(reused, -1);
});
