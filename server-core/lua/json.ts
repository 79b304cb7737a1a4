// JSON between Lua values and text, in the two flavours a handler meets:
// - the server's own (api.json, a returned table, ctx:json()): a table whose keys are 1..n is an
//   array, any other table an object, an empty one {}; api.array marks arrays, api.null is null;
// - lua-cjson's (require "cjson"): arrays are tables with only positive integer keys (holes become
//   null, excessively sparse ones are refused), NaN and infinities are refused, "/" is escaped,
//   numbers are written with 14 significant digits, cjson.null is a NULL light userdata.
// Both read the Lua stack directly through the raw C API (see runtime.ts); cjson's encoder writes
// the text itself, the server's builds JS values for JSON.stringify (V8's is the fastest writer).
// Integers beyond 2^53 are written with all their digits, as lua-cjson does (a JS number would round
// them), and read back as Lua integers when they fit in 64 bits.
// Every walk ends when the watchdog stops the request (a table of shared references can have
// millions of leaves), and past a byte budget: JS strings are not under the Lua state's memory limit.
import { LuaType, LUA_REGISTRYINDEX, big, type LuaRuntime } from "./runtime";
import { MoonscopeError } from "../../profile/errors";
import type { LuaStop } from "./stop";

/**
 * Strings at least this long are decoded (and, for cjson, quoted) once per walk, keyed by their
 * address: a table that holds one large string many times then costs one decode, and reaches the
 * byte budget in microseconds instead of decoding the same megabytes until the watchdog stops it.
 */
const REUSED_STRING_MIN_BYTES = 4096;

/** Nesting limit of the server's own JSON (api.json, ctx:json()). */
export const MAX_JSON_DEPTH = 100;

export function luaTypeName(t: number): string {
  return ["nil", "boolean", "lightuserdata", "number", "string", "table", "function", "userdata", "thread"][t] ?? "no value";
}

/** An encode or decode failure with lua-cjson's wording; becomes a Lua error (or nil, message in cjson.safe). */
export class CjsonError extends Error {}

export interface CjsonEncodeOptions {
  sparseConvert: boolean;
  sparseRatio: number;
  sparseSafe: number;
  maxDepth: number;
  precision: number;
  /** false: refuse NaN/inf; true: write nan/inf (not JSON, as lua-cjson does); "null": write null. */
  invalidNumbers: boolean | "null";
  escapeSlash: boolean;
  emptyTableAsObject: boolean;
}

/** Bits of the flags argument the cjson chunk passes to encode (see CJSON in cjson.lua.ts). */
export const CJ_SPARSE_CONVERT = 1;
export const CJ_INVALID_NUMBERS = 2;
export const CJ_INVALID_AS_NULL = 4;
export const CJ_ESCAPE_SLASH = 8;
export const CJ_EMPTY_AS_OBJECT = 16;

/** C's "%.<precision>g", which lua-cjson writes numbers with. */
export function formatG(n: number, precision: number): string {
  if (n === 0) return Object.is(n, -0) ? "-0" : "0";
  const exp = n.toExponential(precision - 1);
  const e = Number(exp.slice(exp.indexOf("e") + 1));
  if (e < -4 || e >= precision) {
    let [mant, ex] = exp.split("e");
    if (mant.includes(".")) mant = mant.replace(/0+$/, "").replace(/\.$/, "");
    const sign = ex[0] === "-" ? "-" : "+";
    const digits = ex.replace(/^[+-]/, "");
    return `${mant}e${sign}${digits.length < 2 ? "0" + digits : digits}`;
  }
  let fixed = n.toFixed(Math.max(0, precision - 1 - e));
  if (fixed.includes(".")) fixed = fixed.replace(/0+$/, "").replace(/\.$/, "");
  return fixed;
}

/** A Lua integer beyond 2^53, carried as its exact digits to the writer. */
class WideInteger {
  constructor(readonly digits: string) {}
}

/** |n| from here on is not exact as a double: the Lua integer behind it is read as a BigInt instead. */
const WIDE = 2 ** 53;
/** A run of 16 digits in JSON text may be an integer a double cannot hold. */
const LONG_DIGITS = /[0-9]{16}/;
/** Bytes a walk charges for a table, whatever its contents (keys and values are charged as they come). */
const TABLE_COST = 64;

export class LuaJson {
  private readonly rt: LuaRuntime;
  /** Registry references of api.null and api.array's metatable; filled in once the prelude has run. */
  private readonly refs: { readonly nullRef: number; readonly arrayMtRef: number };
  /** The address behind cjson.empty_array (a light userdata that encodes as []). */
  readonly emptyArrayPtr: number;
  private readonly stop: LuaStop;
  /** How large a walk's output may grow (the state's memory limit). */
  private readonly maxBytes: number;
  private bytesLeft = 0;
  /** The current walk met an integer beyond 2^53. */
  private sawWide = false;
  /** The current walk's long strings, decoded, by address (valid while the walk holds them). */
  private readonly decoded = new Map<number, string>();
  /** The current cjson walk's long strings, quoted. */
  private readonly quoted = new Map<string, string>();

  constructor(rt: LuaRuntime, refs: { readonly nullRef: number; readonly arrayMtRef: number }, stop: LuaStop, maxBytes: number) {
    this.rt = rt;
    this.refs = refs;
    this.emptyArrayPtr = rt.x.malloc(1);
    this.stop = stop;
    this.maxBytes = maxBytes;
  }

  // ---- the server's flavour ----

  /** The JSON text of the Lua value at absolute index idx (api.json, a returned table). */
  responseText(L: number, idx: number): string {
    this.bytesLeft = this.maxBytes;
    this.sawWide = false;
    try {
      const v = this.toJs(L, idx, 0);
      return this.sawWide ? writeWide(v) : (JSON.stringify(v) ?? "null");
    } finally {
      this.decoded.clear();
    }
  }

  /** The string at idx, decoded; a long one that the walk met before is not decoded again. */
  private luaString(L: number, idx: number): string {
    const { address, bytes } = this.rt.stringRef(L, idx);
    if (address === 0) return "";
    if (bytes < REUSED_STRING_MIN_BYTES) return this.rt.toString(L, idx) ?? "";
    let s = this.decoded.get(address);
    if (s === undefined) {
      s = this.rt.toString(L, idx) ?? "";
      this.decoded.set(address, s);
    }
    return s;
  }

  /** Converts the Lua value at absolute index idx into a JS value for JSON.stringify. */
  toJs(L: number, idx: number, depth: number): unknown {
    const { rt } = this;
    const x = rt.x;
    switch (x.lua_type(L, idx)) {
      case LuaType.Nil:
      case LuaType.None:
        return null;
      case LuaType.Boolean:
        return x.lua_toboolean(L, idx) !== 0;
      case LuaType.Number: {
        const n = x.lua_tonumberx(L, idx, 0);
        if ((n >= WIDE || n <= -WIDE) && x.lua_isinteger(L, idx)) {
          this.sawWide = true;
          return new WideInteger(String(x.lua_tointegerx(L, idx, 0)));
        }
        return n;
      }
      case LuaType.String: {
        const s = this.luaString(L, idx);
        if ((this.bytesLeft -= s.length) < 0) throw this.tooLarge();
        return s;
      }
      case LuaType.Table:
        return this.tableToJs(L, idx, depth);
      case LuaType.LightUserdata: {
        // cjson.null and cjson.empty_array inside a response
        const p = x.lua_touserdata(L, idx);
        if (p === 0) return null;
        if (p === this.emptyArrayPtr) return [];
        break;
      }
    }
    throw new MoonscopeError("MS_ERR_LUA_RESULT", `a ${luaTypeName(x.lua_type(L, idx))} value cannot be serialised to JSON`);
  }

  private tableToJs(L: number, idx: number, depth: number): unknown {
    const { rt } = this;
    const x = rt.x;
    if (depth >= MAX_JSON_DEPTH) {
      throw new MoonscopeError("MS_ERR_LUA_RESULT", `the response table nests deeper than ${MAX_JSON_DEPTH} levels (a table that contains itself?)`);
    }
    this.charge();
    // Each level keeps its key and value on the Lua stack; make room for the deepest walk once, at the root.
    if (depth === 0) ensureStack(L, x, 2 * MAX_JSON_DEPTH + 8);
    let forceArray = false;
    if (x.lua_getmetatable(L, idx)) {
      x.lua_settop(L, -2);
      x.lua_rawgeti(L, LUA_REGISTRYINDEX, big(this.refs.nullRef));
      const isNull = x.lua_rawequal(L, -1, idx);
      x.lua_settop(L, -2);
      if (isNull) return null;
      forceArray = this.hasMetatable(L, idx, this.refs.arrayMtRef);
    }
    const arr: unknown[] = [];
    let obj: Record<string, unknown> | null = null;
    const top = x.lua_gettop(L);
    x.lua_pushnil(L);
    while (x.lua_next(L, idx) !== 0) {
      // Per entry too: one flat table can hold millions of them.
      if (this.stop.requested) throw this.stopped();
      const kt = x.lua_type(L, top + 1);
      const v = this.toJs(L, top + 2, depth + 1);
      if (obj === null && kt === LuaType.Number && x.lua_tonumberx(L, top + 1, 0) === arr.length + 1) {
        arr.push(v);
      } else {
        if (obj === null) {
          obj = {};
          for (let i = 0; i < arr.length; i++) obj[String(i + 1)] = arr[i];
        }
        let key: string;
        if (kt === LuaType.String) key = rt.toString(L, top + 1)!;
        else if (kt === LuaType.Number) key = x.lua_isinteger(L, top + 1) ? String(x.lua_tointegerx(L, top + 1, 0)) : String(x.lua_tonumberx(L, top + 1, 0));
        else if (kt === LuaType.Boolean) key = x.lua_toboolean(L, top + 1) ? "true" : "false";
        else throw new MoonscopeError("MS_ERR_LUA_RESULT", `a table key of type ${luaTypeName(kt)} cannot be serialised to JSON`);
        // A "__proto__" key assigned would set the object's prototype and vanish from the JSON.
        if (key === "__proto__") Object.defineProperty(obj, key, { value: v, enumerable: true, writable: true, configurable: true });
        else obj[key] = v;
      }
      x.lua_settop(L, top + 1);
    }
    if (obj !== null) return obj;
    if (arr.length === 0 && !forceArray) return {};
    return arr;
  }

  /**
   * Pushes a JSON value (from JSON.parse) as Lua values. The server's flavour: null is api.null and
   * an empty array keeps api.array's mark; cjson's: null is cjson.null (NULL), and arrays carry the
   * array mark only when cjson.decode_array_with_array_mt(true) asked for it.
   */
  pushJs(L: number, v: unknown, depth: number, flavour: "api" | "cjson" = "api", maxDepth = MAX_JSON_DEPTH, markArrays = false): void {
    const { rt } = this;
    const x = rt.x;
    if (depth > maxDepth) {
      throw new CjsonError(flavour === "api" ? `the body nests deeper than ${maxDepth} levels` : `Found too many nested data structures (${depth})`);
    }
    ensureStack(L, x, 4);
    if (v === null || v === undefined) {
      if (flavour === "api") x.lua_rawgeti(L, LUA_REGISTRYINDEX, big(this.refs.nullRef));
      else x.lua_pushlightuserdata(L, 0);
    } else if (typeof v === "string") {
      rt.pushString(L, v);
    } else if (typeof v === "number") {
      if (Number.isSafeInteger(v)) x.lua_pushinteger(L, big(v));
      else x.lua_pushnumber(L, v);
    } else if (typeof v === "bigint") {
      if (v >= INT64_MIN && v <= INT64_MAX) x.lua_pushinteger(L, v);
      else x.lua_pushnumber(L, Number(v));
    } else if (typeof v === "boolean") {
      x.lua_pushboolean(L, v ? 1 : 0);
    } else if (Array.isArray(v)) {
      x.lua_createtable(L, v.length, 0);
      for (let i = 0; i < v.length; i++) {
        this.pushJs(L, v[i], depth + 1, flavour, maxDepth, markArrays);
        x.lua_rawseti(L, -2, big(i + 1));
      }
      if (flavour === "api" ? v.length === 0 : markArrays) {
        x.lua_rawgeti(L, LUA_REGISTRYINDEX, big(this.refs.arrayMtRef));
        x.lua_setmetatable(L, -2);
      }
    } else {
      const keys = Object.keys(v as object);
      x.lua_createtable(L, 0, keys.length);
      for (const k of keys) {
        rt.pushString(L, k);
        this.pushJs(L, (v as Record<string, unknown>)[k], depth + 1, flavour, maxDepth, markArrays);
        x.lua_rawset(L, -3);
      }
    }
  }

  // ---- lua-cjson's flavour ----

  /** cjson.encode of the value at absolute index idx. */
  encodeCjson(L: number, idx: number, o: CjsonEncodeOptions): string {
    this.bytesLeft = this.maxBytes;
    try {
      return this.cjValue(L, idx, 0, o);
    } finally {
      this.decoded.clear();
      this.quoted.clear();
    }
  }

  private cjValue(L: number, idx: number, depth: number, o: CjsonEncodeOptions): string {
    const { rt } = this;
    const x = rt.x;
    const t = x.lua_type(L, idx);
    switch (t) {
      case LuaType.Nil:
        return "null";
      case LuaType.Boolean:
        return x.lua_toboolean(L, idx) !== 0 ? "true" : "false";
      case LuaType.Number:
        return this.cjNumber(L, idx, o);
      case LuaType.String:
        return this.cjString(this.luaString(L, idx), o);
      case LuaType.Table:
        return this.cjTable(L, idx, depth + 1, o);
      case LuaType.LightUserdata: {
        const p = x.lua_touserdata(L, idx);
        if (p === 0) return "null";
        if (p === this.emptyArrayPtr) return "[]";
        break;
      }
    }
    throw new CjsonError(`Cannot serialise ${luaTypeName(t)}: type not supported`);
  }

  private cjNumber(L: number, idx: number, o: CjsonEncodeOptions): string {
    const x = this.rt.x;
    if (x.lua_isinteger(L, idx)) return String(x.lua_tointegerx(L, idx, 0));
    const n = x.lua_tonumberx(L, idx, 0);
    if (!Number.isFinite(n)) {
      if (o.invalidNumbers === "null") return "null";
      if (o.invalidNumbers === true) return Number.isNaN(n) ? "nan" : n > 0 ? "inf" : "-inf";
      throw new CjsonError("Cannot serialise number: must not be NaN or Infinity");
    }
    return formatG(n, o.precision);
  }

  private cjString(s: string, o: CjsonEncodeOptions): string {
    if ((this.bytesLeft -= s.length) < 0) throw this.tooLarge();
    const long = s.length >= REUSED_STRING_MIN_BYTES;
    let q = long ? this.quoted.get(s) : undefined;
    if (q === undefined) {
      q = JSON.stringify(s);
      if (o.escapeSlash && q.includes("/")) q = q.replaceAll("/", "\\/");
      if (long) this.quoted.set(s, q);
    }
    return q;
  }

  private cjTable(L: number, idx: number, depth: number, o: CjsonEncodeOptions): string {
    const { rt } = this;
    const x = rt.x;
    if (depth > o.maxDepth) throw new CjsonError(`Cannot serialise, excessive nesting (${depth})`);
    this.charge();
    ensureStack(L, x, 6);
    const markedArray = x.lua_getmetatable(L, idx) ? (x.lua_settop(L, -2), this.hasMetatable(L, idx, this.refs.arrayMtRef)) : false;
    const top = x.lua_gettop(L);
    // First pass: is it an array (only positive integer keys), and how long?
    let max = 0;
    let items = 0;
    let isArray = true;
    x.lua_pushnil(L);
    while (x.lua_next(L, idx) !== 0) {
      if (this.stop.requested) throw this.stopped();
      if (x.lua_type(L, top + 1) !== LuaType.Number) {
        isArray = false;
        break;
      }
      const k = x.lua_tonumberx(L, top + 1, 0);
      if (!Number.isInteger(k) || k < 1) {
        isArray = false;
        break;
      }
      if (k > max) max = k;
      items++;
      x.lua_settop(L, top + 1);
    }
    x.lua_settop(L, top);
    if (isArray && o.sparseRatio > 0 && max > items * o.sparseRatio && max > o.sparseSafe) {
      if (!o.sparseConvert) throw new CjsonError("Cannot serialise table: excessively sparse array");
      isArray = false;
    }
    if (isArray && (max > 0 || markedArray || !o.emptyTableAsObject)) {
      const parts: string[] = [];
      for (let i = 1; i <= max; i++) {
        if (this.stop.requested) throw this.stopped();
        x.lua_rawgeti(L, idx, big(i));
        parts.push(this.cjValue(L, top + 1, depth, o));
        x.lua_settop(L, top);
      }
      return "[" + parts.join(",") + "]";
    }
    const parts: string[] = [];
    x.lua_pushnil(L);
    while (x.lua_next(L, idx) !== 0) {
      if (this.stop.requested) throw this.stopped();
      const kt = x.lua_type(L, top + 1);
      let key: string;
      if (kt === LuaType.String) key = this.cjString(rt.toString(L, top + 1) ?? "", o);
      else if (kt === LuaType.Number) key = '"' + this.cjNumber(L, top + 1, o) + '"';
      else throw new CjsonError(`Cannot serialise ${luaTypeName(kt)}: table key must be a number or string`);
      parts.push(key + ":" + this.cjValue(L, top + 2, depth, o));
      x.lua_settop(L, top + 1);
    }
    return "{" + parts.join(",") + "}";
  }

  /** Per table (and per entry, in the loops): the walk ends once the watchdog stops the request, or past its byte budget. */
  private charge(): void {
    if (this.stop.requested) throw this.stopped();
    if ((this.bytesLeft -= TABLE_COST) < 0) throw this.tooLarge();
  }

  private stopped(): MoonscopeError {
    return new MoonscopeError("MS_ERR_LUA_TIMEOUT", "serialising the response took longer than the time budget and was stopped");
  }

  private tooLarge(): MoonscopeError {
    return new MoonscopeError("MS_ERR_LUA_RESULT", `the response would be larger than the Lua state's memory limit (${Math.round(this.maxBytes / 1048576)} MiB) once serialised (a table that holds the same large values many times?)`);
  }

  private hasMetatable(L: number, idx: number, ref: number): boolean {
    const x = this.rt.x;
    if (!x.lua_getmetatable(L, idx)) return false;
    x.lua_rawgeti(L, LUA_REGISTRYINDEX, big(ref));
    const same = x.lua_rawequal(L, -1, -2);
    x.lua_settop(L, -3);
    return same !== 0;
  }
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** JSON text of a value from toJs that holds WideIntegers (JSON.stringify's output otherwise). */
function writeWide(v: unknown): string {
  if (v instanceof WideInteger) return v.digits;
  if (Array.isArray(v)) return "[" + v.map(writeWide).join(",") + "]";
  if (v !== null && typeof v === "object") {
    const o = v as Record<string, unknown>;
    return "{" + Object.keys(o).map((k) => JSON.stringify(k) + ":" + writeWide(o[k])).join(",") + "}";
  }
  return JSON.stringify(v) ?? "null";
}

/**
 * JSON.parse, except that an integer a double cannot hold exactly comes back as a BigInt (pushJs
 * makes it a Lua integer). The text was already accepted by JSON.parse, which stays the validator
 * and the source of error messages; only text with 16 digits in a row takes the slow road.
 */
export function parseJsonExact(text: string): unknown {
  const value = JSON.parse(text) as unknown;
  return LONG_DIGITS.test(text) ? new ExactReader(text).read() : value;
}

/** A reader for JSON text that JSON.parse has accepted (so it checks nothing). */
class ExactReader {
  private i = 0;
  private depth = 0;
  constructor(private readonly text: string) {}

  read(): unknown {
    const t = this.text;
    this.space();
    const c = t.charCodeAt(this.i);
    if (c === 0x7b /* { */) return this.nest(() => this.object());
    if (c === 0x5b /* [ */) return this.nest(() => this.array());
    if (c === 0x22 /* " */) return this.string();
    if (c === 0x74 /* t */) return (this.i += 4), true;
    if (c === 0x66 /* f */) return (this.i += 5), false;
    if (c === 0x6e /* n */) return (this.i += 4), null;
    NUMBER.lastIndex = this.i;
    const m = NUMBER.exec(t)!;
    this.i += m[0].length;
    if (m[1] === undefined && m[2] === undefined) {
      const n = Number(m[0]);
      if (!Number.isSafeInteger(n)) return BigInt(m[0]);
      return n;
    }
    return Number(m[0]);
  }

  private nest(f: () => unknown): unknown {
    // pushJs refuses far less; this only keeps the recursion off the JS stack's limit.
    if (++this.depth > 10_000) throw new CjsonError("the JSON text nests too deeply");
    const v = f();
    this.depth--;
    return v;
  }

  private object(): Record<string, unknown> {
    const t = this.text;
    // No prototype: a "__proto__" key is a key like any other, as with JSON.parse.
    const o = Object.create(null) as Record<string, unknown>;
    this.i++;
    this.space();
    if (t.charCodeAt(this.i) === 0x7d) return this.i++, o;
    for (;;) {
      this.space();
      const k = this.string();
      this.space();
      this.i++; // :
      o[k] = this.read();
      this.space();
      if (t.charCodeAt(this.i++) === 0x7d) return o;
    }
  }

  private array(): unknown[] {
    const t = this.text;
    const a: unknown[] = [];
    this.i++;
    this.space();
    if (t.charCodeAt(this.i) === 0x5d) return this.i++, a;
    for (;;) {
      a.push(this.read());
      this.space();
      if (t.charCodeAt(this.i++) === 0x5d) return a;
    }
  }

  private string(): string {
    const t = this.text;
    const start = this.i++;
    for (;;) {
      const c = t.charCodeAt(this.i++);
      if (c === 0x5c) this.i++;
      else if (c === 0x22) break;
    }
    return JSON.parse(t.slice(start, this.i)) as string;
  }

  private space(): void {
    const t = this.text;
    for (;;) {
      const c = t.charCodeAt(this.i);
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) this.i++;
      else return;
    }
  }
}

const NUMBER = /-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/y;

/**
 * A C function may only use the Lua stack slots it asked for (20 are guaranteed); writing past them
 * corrupts the heap. Nested tables push a key and a value per level, so every walk asks first.
 */
function ensureStack(L: number, x: LuaRuntime["x"], n: number): void {
  if (x.lua_checkstack(L, n) === 0) throw new CjsonError("the value nests too deeply for the Lua stack");
}

/** Decodes the flags argument of the cjson chunk's encode call. */
export function cjsonOptions(flags: number, ratio: number, safe: number, maxDepth: number, precision: number): CjsonEncodeOptions {
  return {
    sparseConvert: (flags & CJ_SPARSE_CONVERT) !== 0,
    sparseRatio: ratio,
    sparseSafe: safe,
    maxDepth,
    precision,
    invalidNumbers: flags & CJ_INVALID_AS_NULL ? "null" : (flags & CJ_INVALID_NUMBERS) !== 0,
    escapeSlash: (flags & CJ_ESCAPE_SLASH) !== 0,
    emptyTableAsObject: (flags & CJ_EMPTY_AS_OBJECT) !== 0,
  };
}
