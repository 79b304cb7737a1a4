// Lua 5.4 (wasmoon's WebAssembly build) reached through the raw WebAssembly exports.
//
// Why not wasmoon's own API: every call goes through Emscripten's `ccall` with debug assertions
// (175 ns for a trivial call against 12.6 ns for the export itself, measured here), which halves
// the server's throughput. wasmoon does not expose the instance, and reading `module.asm` aborts
// the runtime, so the exports are captured by wrapping `WebAssembly.instantiate` for the duration
// of wasmoon's own initialisation. The same wrap lets us cap heap growth (the per-state memory
// limit) at zero cost until the heap actually needs to grow.
import { LuaFactory } from "wasmoon";
import { withSharedMemory } from "./wasm-shared-memory";

/** Buffer's unchecked UTF-8 codecs (present in every Node version we support; the checked
 * toString/write variants validate their arguments on each call, which shows on this hot path). */
interface FastBuffer extends Buffer {
  utf8Write(s: string, offset: number, max: number): number;
  utf8Slice(start: number, end: number): string;
  latin1Write(s: string, offset: number, max: number): number;
}

/** The subset of Lua's C API this project calls, with wasm32 types (pointers are numbers). */
export interface LuaExports {
  luaL_newstate(): number;
  luaL_openlibs(L: number): void;
  luaL_loadbufferx(L: number, buf: number, size: number, name: number, mode: number): number;
  luaL_ref(L: number, t: number): number;
  luaL_traceback(L: number, L1: number, msg: number, level: number): void;
  lua_close(L: number): void;
  lua_gettop(L: number): number;
  lua_checkstack(L: number, n: number): number;
  lua_settop(L: number, idx: number): void;
  lua_pushvalue(L: number, idx: number): void;
  lua_type(L: number, idx: number): number;
  lua_isinteger(L: number, idx: number): number;
  lua_toboolean(L: number, idx: number): number;
  lua_tonumberx(L: number, idx: number, isnum: number): number;
  lua_tointegerx(L: number, idx: number, isnum: number): bigint;
  lua_touserdata(L: number, idx: number): number;
  lua_pushlightuserdata(L: number, p: number): void;
  lua_setupvalue(L: number, funcindex: number, n: number): number;
  luaL_where(L: number, level: number): void;
  lua_tolstring(L: number, idx: number, len: number): number;
  lua_rawlen(L: number, idx: number): bigint;
  lua_pushnil(L: number): void;
  lua_pushnumber(L: number, n: number): void;
  lua_pushinteger(L: number, n: bigint): void;
  lua_pushboolean(L: number, b: number): void;
  lua_pushlstring(L: number, s: number, len: number): number;
  lua_pushcclosure(L: number, fn: number, n: number): void;
  lua_createtable(L: number, narr: number, nrec: number): void;
  lua_setfield(L: number, idx: number, k: number): void;
  lua_getfield(L: number, idx: number, k: number): number;
  lua_rawset(L: number, idx: number): void;
  lua_rawseti(L: number, idx: number, n: bigint): void;
  lua_rawgeti(L: number, idx: number, n: bigint): number;
  lua_rawget(L: number, idx: number): number;
  lua_setmetatable(L: number, idx: number): number;
  lua_getmetatable(L: number, idx: number): number;
  lua_rawequal(L: number, a: number, b: number): number;
  lua_getglobal(L: number, name: number): number;
  lua_setglobal(L: number, name: number): void;
  lua_next(L: number, idx: number): number;
  lua_pcallk(L: number, nargs: number, nresults: number, msgh: number, ctx: number, k: number): number;
  lua_error(L: number): number;
  lua_sethook(L: number, fn: number, mask: number, count: number): void;
  lua_getstack(L: number, level: number, ar: number): number;
  lua_tothread(L: number, idx: number): number;
  lua_newthread(L: number): number;
  lua_resume(L: number, from: number, nargs: number, nresults: number): number;
  lua_resetthread(L: number): number;
  lua_status(L: number): number;
  lua_xmove(from: number, to: number, n: number): void;
  lua_rotate(L: number, idx: number, n: number): void;
  lua_concat(L: number, n: number): void;
  luaL_checktype(L: number, arg: number, t: number): void;
  luaL_typeerror(L: number, arg: number, tname: number): number;
  lua_getinfo(L: number, what: number, ar: number): number;
  malloc(n: number): number;
  free(p: number): void;
}

interface EmscriptenModule {
  addFunction(fn: (...args: number[]) => number | void, sig: string): number;
  removeFunction(index: number): void;
}

export const LUA_REGISTRYINDEX = -1001000;
export const LUA_OK = 0;
export const LUA_YIELD = 1;
export const LUA_ERRRUN = 2;
export const LUA_ERRSYNTAX = 3;
export const LUA_ERRMEM = 4;
export const LUA_ERRERR = 5;
export const LUA_MASKCOUNT = 1 << 3;
export const LUA_MASKLINE = 1 << 2;

export const enum LuaType {
  None = -1,
  Nil = 0,
  Boolean = 1,
  LightUserdata = 2,
  Number = 3,
  String = 4,
  Table = 5,
  Function = 6,
  Userdata = 7,
  Thread = 8,
}

export interface RuntimeOptions {
  /** The wasm heap may not grow past this many bytes; Lua then sees an allocation failure (LUA_ERRMEM). */
  memoryLimitBytes: number;
}

/** One WebAssembly instance of Lua with helpers for moving strings across without per-call glue. */
export class LuaRuntime {
  readonly x: LuaExports;
  private readonly emscripten: EmscriptenModule;
  private readonly memory: WebAssembly.Memory;
  private bufferSeen: ArrayBuffer;
  /** Views over the whole wasm heap; replaced whenever the heap grows (growth detaches the old buffer). */
  heap: Uint8Array;
  heapBuf: FastBuffer;
  private scratchPtr: number;
  private scratchSize: number;
  /** A 4-byte slot for out-parameters such as lua_tolstring's length. */
  readonly lenPtr: number;
  private readonly interned = new Map<string, number>();
  private readonly growth: { limit: number; refusedAt: number };

  private constructor(x: LuaExports, emscripten: EmscriptenModule, memory: WebAssembly.Memory, growth: { limit: number; refusedAt: number }) {
    this.x = x;
    this.emscripten = emscripten;
    this.memory = memory;
    this.growth = growth;
    this.bufferSeen = memory.buffer;
    this.heap = new Uint8Array(memory.buffer);
    this.heapBuf = Buffer.from(memory.buffer) as FastBuffer;
    this.scratchSize = 64 * 1024;
    this.scratchPtr = x.malloc(this.scratchSize);
    this.lenPtr = x.malloc(8);
    this.refreshViews();
  }

  static async create(opts: RuntimeOptions): Promise<LuaRuntime> {
    const captured = await captureInstance(opts.memoryLimitBytes);
    return new LuaRuntime(captured.exports, captured.module, captured.memory, captured.growth);
  }

  /** Bytes the heap refused to grow to, or 0 if it never hit the limit (reset by the caller). */
  get refusedGrowth(): number {
    return this.growth.refusedAt;
  }
  clearRefusedGrowth(): void {
    this.growth.refusedAt = 0;
  }
  /** The heap's memory if it is shared (readable from another thread), else null. */
  get sharedMemory(): WebAssembly.Memory | null {
    return this.memory.buffer instanceof SharedArrayBuffer ? this.memory : null;
  }
  get heapBytes(): number {
    return this.memory.buffer.byteLength;
  }
  get memoryLimitBytes(): number {
    return this.growth.limit;
  }

  refreshViews(): void {
    if (this.bufferSeen !== this.memory.buffer || this.heap.byteLength === 0) {
      this.bufferSeen = this.memory.buffer;
      this.heap = new Uint8Array(this.bufferSeen);
      this.heapBuf = Buffer.from(this.bufferSeen) as FastBuffer;
    }
  }

  /** A pointer to at least n bytes of scratch space, valid until the next scratch request. */
  scratch(n: number): number {
    if (n > this.scratchSize) {
      this.x.free(this.scratchPtr);
      this.scratchSize = Math.max(n, this.scratchSize * 2);
      this.scratchPtr = this.x.malloc(this.scratchSize);
      if (this.scratchPtr === 0) throw new Error("out of wasm memory for a string of " + n + " bytes");
      this.refreshViews();
    }
    return this.scratchPtr;
  }

  /** A NUL-terminated copy of s that lives as long as the runtime (for field names used on every request). */
  cstr(s: string): number {
    let p = this.interned.get(s);
    if (p === undefined) {
      const bytes = Buffer.from(s + "\0", "utf8");
      p = this.x.malloc(bytes.length);
      this.refreshViews();
      this.heap.set(bytes, p);
      this.interned.set(s, p);
    }
    return p;
  }

  /** Push a JS string as a Lua string (UTF-8). Short ASCII strings are copied byte by byte, the rest encoded in place. */
  pushString(L: number, s: string): void {
    const n = s.length;
    if (n <= 64) {
      const p = this.scratch(n);
      this.refreshViews();
      const h = this.heap;
      let i = 0;
      for (; i < n; i++) {
        const c = s.charCodeAt(i);
        if (c > 0x7f) break;
        h[p + i] = c;
      }
      if (i === n) {
        this.x.lua_pushlstring(L, p, n);
        return;
      }
    }
    const max = n * 3;
    const p = this.scratch(max);
    this.refreshViews();
    const written = this.heapBuf.utf8Write(s, p, max);
    this.x.lua_pushlstring(L, p, written);
  }

  /** Push a string whose char codes are bytes (the parser's latin1 header values) as those exact bytes. */
  pushLatin1(L: number, s: string): void {
    const n = s.length;
    const p = this.scratch(n);
    this.refreshViews();
    if (n <= 64) {
      const h = this.heap;
      for (let i = 0; i < n; i++) h[p + i] = s.charCodeAt(i);
    } else this.heapBuf.latin1Write(s, p, n);
    this.x.lua_pushlstring(L, p, n);
  }

  /** Push raw bytes as a Lua string. */
  pushBytes(L: number, b: Uint8Array, start = 0, end = b.length): void {
    const n = end - start;
    const p = this.scratch(n);
    this.refreshViews();
    this.heap.set(start === 0 && end === b.length ? b : b.subarray(start, end), p);
    this.x.lua_pushlstring(L, p, n);
  }

  /** The int32 at p in the wasm heap (an out-parameter such as lua_resume's result count). */
  readInt(p: number): number {
    this.refreshViews();
    const h = this.heap;
    return h[p] | (h[p + 1] << 8) | (h[p + 2] << 16) | (h[p + 3] << 24);
  }

  /** lua_tolstring's pointer (0 when idx is not a string or number) and, in this.lastLen, its length. */
  private stringAt(L: number, idx: number): number {
    const p = this.x.lua_tolstring(L, idx, this.lenPtr);
    if (p === 0) return 0;
    this.refreshViews();
    const h = this.heap;
    const lp = this.lenPtr;
    this.lastLen = h[lp] | (h[lp + 1] << 8) | (h[lp + 2] << 16) | (h[lp + 3] << 24);
    return p;
  }
  private lastLen = 0;

  /** The address of the string at idx (0 when it is not a string or number) and its length in bytes. */
  stringRef(L: number, idx: number): { address: number; bytes: number } {
    const address = this.stringAt(L, idx);
    return { address, bytes: address === 0 ? 0 : this.lastLen };
  }

  /** The string (or number, converted in place by Lua) at idx, decoded as UTF-8; null if not convertible. */
  toString(L: number, idx: number): string | null {
    const p = this.stringAt(L, idx);
    if (p === 0) return null;
    const h = this.heap;
    const len = this.lastLen;
    if (len <= 32) {
      let s = "";
      for (let i = 0; i < len; i++) {
        const c = h[p + i];
        if (c > 0x7f) return this.heapBuf.utf8Slice(p, p + len);
        s += String.fromCharCode(c);
      }
      return s;
    }
    return this.heapBuf.utf8Slice(p, p + len);
  }

  /** The exact bytes of the Lua string at idx (copied out of the heap). */
  toBytes(L: number, idx: number): Buffer | null {
    const p = this.stringAt(L, idx);
    if (p === 0) return null;
    return Buffer.from(this.heap.subarray(p, p + this.lastLen));
  }

  /** Register a JS function as a Lua C function (signature int f(lua_State*)). */
  addCFunction(fn: (L: number) => number): number {
    return this.emscripten.addFunction(fn, "ii");
  }
  addHookFunction(fn: (L: number, ar: number) => void): number {
    return this.emscripten.addFunction(fn, "vii");
  }
}

const BIGINTS: bigint[] = [];
for (let i = 0; i < 1024; i++) BIGINTS.push(BigInt(i));
/** Lua integers cross the boundary as BigInt; small ones come from a cache to avoid an allocation per call. */
export function big(n: number): bigint {
  return n >= 0 && n < 1024 ? BIGINTS[n] : BigInt(n);
}

interface Captured {
  exports: LuaExports;
  module: EmscriptenModule;
  memory: WebAssembly.Memory;
  growth: { limit: number; refusedAt: number };
}

let initLock: Promise<unknown> = Promise.resolve();

async function captureInstance(memoryLimitBytes: number): Promise<Captured> {
  // Serialise: the wrap of WebAssembly.instantiate is global while one initialisation runs.
  const prev = initLock;
  let release!: () => void;
  initLock = new Promise<void>((r) => (release = r));
  await prev;
  const original = WebAssembly.instantiate;
  const growth = { limit: memoryLimitBytes, refusedAt: 0 };
  let instance: WebAssembly.Instance | undefined;
  try {
    (WebAssembly as { instantiate: unknown }).instantiate = async function (source: unknown, imports?: WebAssembly.Imports) {
      const env = imports?.env as Record<string, unknown> | undefined;
      const resize = env?.emscripten_resize_heap as ((n: number) => number) | undefined;
      if (env && resize) {
        env.emscripten_resize_heap = (requested: number) => {
          const bytes = requested >>> 0;
          if (bytes > growth.limit) {
            growth.refusedAt = bytes;
            return 0;
          }
          return resize(requested);
        };
      }
      // A shared heap lets the Lua stack be sampled from another thread (wasm-shared-memory.ts).
      if (source instanceof Uint8Array || source instanceof ArrayBuffer) source = withSharedMemory(new Uint8Array(source as ArrayBuffer)) ?? source;
      const result = (await (original as (s: unknown, i?: WebAssembly.Imports) => Promise<unknown>)(source, imports)) as
        | WebAssembly.WebAssemblyInstantiatedSource
        | WebAssembly.Instance;
      instance = "instance" in result ? result.instance : result;
      return result;
    } as typeof WebAssembly.instantiate;
    const factory = new LuaFactory();
    const luaWasm = (await factory.getLuaModule()) as unknown as { module: EmscriptenModule };
    if (!instance) throw new Error("could not reach the Lua WebAssembly instance (wasmoon changed how it loads)");
    const ex = instance.exports as unknown as LuaExports & { memory: WebAssembly.Memory };
    return { exports: ex, module: luaWasm.module, memory: ex.memory, growth };
  } finally {
    (WebAssembly as { instantiate: unknown }).instantiate = original;
    release();
  }
}
