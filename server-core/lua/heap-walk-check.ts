// Holds the heap walk (heap-walk.ts) against Lua's own lua_getinfo, on live stacks: a probe C
// function, called from Lua code that reaches it every way a name can come about (global, local,
// upvalue, field, method, metamethod, for iterator, pcall, tail call), compares the two walks
// frame by frame. The stack reader runs this once per Lua state before it trusts the walk, so a
// wasmoon built from another Lua release falls back to the interrupt sampler instead of counting garbage.
import { AR, AR_SIZE, heapString } from "./debug-info";
import { HeapWalker, type HeapViews } from "./heap-walk";
import { LUA_OK, big, type LuaRuntime } from "./runtime";

/** Lua code that calls the probe (its first argument) from every kind of call site. */
export const PROBE_CHUNK = `
local probe = ...
local M = {}
function M.field(x) return probe() + x end
function M:method() return M.field(1) + 0 end
local function viaLocal() return M:method() + 0 end
local upvalueFn = viaLocal
local meta = setmetatable({}, { __index = function(_, k) return upvalueFn() + 0 end, __add = function(a, b) return probe() end })
local function deep(n)
  if n == 0 then return meta.anything + 0 end
  return deep(n - 1) + 0
end
local function tail() return probe() end
local total = deep(3) + (meta + 1) + tail()
for _ in function() probe() return nil end do end
local ok = pcall(probe)
local co = coroutine.wrap(function() return probe() + 0 end)
return total + co()
`;

/** One frame as lua_getinfo("Sln") reports it. */
interface ApiFrame {
  name: string;
  source: string;
  linedefined: number;
  currentline: number;
  what: string;
}

function apiWalk(rt: LuaRuntime, L: number, ar: number, what: number): ApiFrame[] {
  const x = rt.x;
  const out: ApiFrame[] = [];
  for (let level = 0; level < 64 && x.lua_getstack(L, level, ar) !== 0; level++) {
    if (x.lua_getinfo(L, what, ar) === 0) break;
    rt.refreshViews();
    const h32 = new Int32Array(rt.heap.buffer);
    const b = ar >> 2;
    out.push({
      name: heapString(rt, h32[b + (AR.name >> 2)]),
      source: heapString(rt, h32[b + (AR.source >> 2)]),
      linedefined: h32[b + (AR.linedefined >> 2)],
      currentline: h32[b + (AR.currentline >> 2)],
      what: heapString(rt, h32[b + (AR.what >> 2)]),
    });
  }
  return out;
}

/** The differences between the heap walk and lua_getinfo on L's current stack ("" frames match). */
export function compareWalks(rt: LuaRuntime, L: number, walker: HeapWalker, ar: number, what: number): string[] {
  const api = apiWalk(rt, L, ar, what);
  const n = walker.walk(L);
  if (n !== api.length) return [`depth ${n} read from the heap, ${api.length} from lua_getinfo`];
  const diffs: string[] = [];
  for (let i = 0; i < n; i++) {
    const a = api[i];
    const f = walker.frames[i];
    const name = walker.frameName(i, n) ?? "";
    const heap = f.lua
      ? (() => {
          const info = walker.proto(f.fn);
          return { what: info && info.linedefined === 0 ? "main" : "Lua", source: info?.source ?? "?", linedefined: info?.linedefined ?? -1, currentline: walker.line(f.fn, f.pc), name };
        })()
      : { what: "C", source: "=[C]", linedefined: -1, currentline: -1, name };
    for (const k of ["what", "source", "linedefined", "currentline", "name"] as const) {
      if (String(heap[k]) !== String(a[k])) diffs.push(`level ${i}: ${k} ${JSON.stringify(heap[k])} from the heap, ${JSON.stringify(a[k])} from lua_getinfo`);
    }
  }
  return diffs;
}

/** rt's current heap views, for a HeapWalker on rt's own thread. */
export function heapViews(rt: LuaRuntime): () => HeapViews {
  let i32: Int32Array<ArrayBufferLike> = new Int32Array(0);
  return () => {
    rt.refreshViews();
    if (i32.buffer !== rt.heap.buffer) i32 = new Int32Array(rt.heap.buffer);
    return { u8: rt.heap, i32 };
  };
}

/** A walker over rt's current heap views. */
export function walkerFor(rt: LuaRuntime): HeapWalker {
  return new HeapWalker(heapViews(rt));
}

const checked = new WeakMap<LuaRuntime, string | null>();

/**
 * Runs PROBE_CHUNK on L and compares the walks at every probe: null when they agree everywhere,
 * else what differed first. Once per runtime (the answer cannot change); call between requests.
 */
export function heapWalkProblem(rt: LuaRuntime, L: number): string | null {
  const known = checked.get(rt);
  if (known !== undefined) return known;
  const x = rt.x;
  const walker = walkerFor(rt);
  const ar = x.malloc(AR_SIZE);
  const what = rt.cstr("Sln");
  const diffs: string[] = [];
  let probes = 0;
  const probe = rt.addCFunction((l) => {
    probes++;
    if (diffs.length === 0) diffs.push(...compareWalks(rt, l, walker, ar, what));
    x.lua_pushinteger(l, big(0));
    return 1;
  });
  const top = x.lua_gettop(L);
  let problem: string | null = null;
  try {
    const bytes = Buffer.from(PROBE_CHUNK, "utf8");
    const p = rt.scratch(bytes.length);
    rt.refreshViews();
    rt.heap.set(bytes, p);
    if (x.luaL_loadbufferx(L, p, bytes.length, rt.cstr("=moonscope/heap-walk-check"), rt.cstr("t")) !== LUA_OK) problem = `the check chunk did not load: ${rt.toString(L, -1)}`;
    else {
      x.lua_pushcclosure(L, probe, 0);
      if (x.lua_pcallk(L, 1, 0, 0, 0, 0) !== LUA_OK) problem = `the check chunk failed: ${rt.toString(L, -1)}`;
      else if (probes !== 6) problem = `the probe ran ${probes} times, not 6`;
      else if (diffs.length) problem = diffs.slice(0, 3).join("; ");
    }
  } finally {
    x.lua_settop(L, top);
    x.free(ar);
  }
  checked.set(rt, problem);
  return problem;
}
