// Reading lua_getinfo's answers straight from struct lua_Debug in the wasm heap (no Lua call, no
// global `debug` the app could have replaced).
import type { LuaRuntime } from "./runtime";

// struct lua_Debug on wasm32 (Lua 5.4): event@0 name@4 namewhat@8 what@12 source@16 srclen@20
// currentline@24 linedefined@28 lastlinedefined@32 ... short_src@44 (60 bytes) i_ci@104.
export const AR_SIZE = 128;
export const AR = { name: 4, what: 12, source: 16, currentline: 24, linedefined: 28 } as const;

/** A C string of the wasm heap (at most 256 bytes). */
export function heapString(rt: LuaRuntime, p: number): string {
  if (p === 0) return "";
  rt.refreshViews();
  const h = rt.heap;
  let e = p;
  while (h[e] !== 0 && e - p < 256) e++;
  return rt.heapBuf.toString("utf8", p, e);
}

/** "@lib/util.lua" → "lib/util.lua"; "=moonscope" → "moonscope"; a chunk loaded from a string → "(string)". */
export function fileOfSource(source: string): string {
  return source.startsWith("@") || source.startsWith("=") ? source.slice(1) : "(string)";
}

/** Where the Lua function on top of L's stack was defined; pops it. ar is a scratch lua_Debug of AR_SIZE bytes. */
export function definitionOf(rt: LuaRuntime, L: number, ar: number): { file: string; line: number } {
  const x = rt.x;
  if (x.lua_getinfo(L, rt.cstr(">S"), ar) === 0) return { file: "", line: 0 };
  rt.refreshViews();
  const h32 = new Int32Array(rt.heap.buffer);
  const base = ar >> 2;
  return { file: fileOfSource(heapString(rt, h32[base + (AR.source >> 2)])), line: h32[base + (AR.linedefined >> 2)] };
}
