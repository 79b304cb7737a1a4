// The JavaScript functions a Lua state calls into (as Lua C functions): JSON for ctx:json() and
// cjson, request ids, the environment, the module searcher and loadfile that read the host's
// files, the coroutine functions the watchdog's stop needs, and random seeds. They reach Lua as one
// table passed to our own chunks, never as globals.
import { randomInt } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { LUA_OK, LuaType, type LuaRuntime } from "./runtime";
import { CjsonError, cjsonOptions, luaTypeName, parseJsonExact, type LuaJson } from "./json";
import { chunkNameOf, findModule, readLuaSource, searchPath, type ModuleSearch } from "./modules";
import { coroutineFunctions } from "./coroutines";
import { MoonscopeError } from "../../profile/errors";
import type { LuaStop } from "./stop";

export interface HostContext {
  rt: LuaRuntime;
  json: LuaJson;
  search: ModuleSearch;
  /** The worker's number, mixed into request ids so two workers never hand out the same one. */
  worker: number;
  /** The watchdog's stop of the running request (coroutines must be known to it). */
  stop: LuaStop;
}

/** A failure to report as a Lua error (anything else thrown is a bug, or Lua's own longjmp). */
class LuaRaise extends Error {}

const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
/** n (a non-negative integer below 2^53) in base 62, left-padded with "0" to width. */
function base62(n: number, width = 1): string {
  let s = "";
  do {
    s = BASE62[n % 62] + s;
    n = Math.floor(n / 62);
  } while (n > 0);
  return s.length < width ? "0".repeat(width - s.length) + s : s;
}

/** KEY=VALUE lines of the app folder's .env (what Rover loads at start-up); the real environment wins. */
export function readDotEnv(dir: string): Record<string, string> {
  const file = path.join(dir, ".env");
  const out: Record<string, string> = {};
  if (!existsSync(file)) return out;
  for (const raw of readFileSync(file, "utf8").split(/\r?\n/)) {
    const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/.exec(raw);
    if (!m) continue;
    let v = m[2];
    if ((v.startsWith('"') && v.endsWith('"')) || (v.startsWith("'") && v.endsWith("'"))) v = v.slice(1, -1);
    else v = v.replace(/\s+#.*$/, "");
    out[m[1]] = v;
  }
  return out;
}

/** JSON.parse (integers beyond 2^53 kept exact), with the failure described by the caller's own wording. */
function parseJson(text: string, fail: (text: string, why: string) => Error): unknown {
  try {
    return parseJsonExact(text);
  } catch (e) {
    if (e instanceof CjsonError) throw e;
    throw fail(text, (e as Error).message);
  }
}

/** Pushes the table of host functions onto L's stack. */
export function pushHostFunctions(L: number, h: HostContext): void {
  const { rt, json, search, stop } = h;
  const x = rt.x;
  const dotenv = readDotEnv(search.appDir);
  const getenv = (name: string): string | undefined => process.env[name] ?? dotenv[name];
  const coroutines = coroutineFunctions(rt, stop);
  let requestSeq = 0;
  let idMs = -1;
  let idPrefix = "";

  /** Registers fn as a Lua C function: a LuaRaise (or a codec error) becomes a Lua error; Lua's own longjmp (a thrown number) passes through. */
  const cfn = (fn: (l: number) => number): number =>
    rt.addCFunction((l) => {
      let message: string;
      try {
        return fn(l);
      } catch (e) {
        if (typeof e === "number") throw e;
        // The serialiser's limits (json.ts) inside cjson.encode: the watchdog's stop goes on as the
        // stop, a result too large is an error like any other. Thrown on, a JS exception would
        // unwind the Lua VM's C frames without Lua knowing, and leave the state broken.
        if (e instanceof MoonscopeError && e.code === "MS_ERR_LUA_TIMEOUT") return stop.raise(l);
        if (!(e instanceof LuaRaise || e instanceof CjsonError || e instanceof SyntaxError || e instanceof MoonscopeError)) throw e;
        message = e.message;
      }
      rt.pushString(l, message);
      return x.lua_error(l);
    });
  const str = (l: number, i: number, fname: string): string => {
    const t = x.lua_type(l, i);
    if (t !== LuaType.String && t !== LuaType.Number) throw new LuaRaise(`bad argument #${i} to '${fname}' (string expected, got ${luaTypeName(t)})`);
    return rt.toString(l, i) ?? "";
  };
  /** "app.lua:3: " for the Lua code that called require (level 2: searcher ← require ← caller). */
  const whereRequired = (l: number): string => {
    x.luaL_where(l, 2);
    const w = rt.toString(l, -1) ?? "";
    x.lua_settop(l, -2);
    return w.replace(/: $/, "");
  };

  const fns: Record<string, number> = {
    // ctx:json() and ctx:body():json(): JSON text → Lua values (null is api.null)
    json_decode: cfn((l) => {
      const value = parseJson(rt.toString(l, 1) ?? "", (s, why) => new LuaRaise(`ctx:json(): the request body is not valid JSON (${why})`));
      json.pushJs(l, value, 0, "api");
      return 1;
    }),
    // Rover's scheme: the time in ms, then 20 bits of a counter (here with the worker's number in
    // its low 4 bits, so workers never collide) — 11 alphanumeric characters, sortable by time.
    request_id: cfn((l) => {
      const ms = Date.now();
      if (ms !== idMs) {
        idMs = ms;
        idPrefix = base62(ms);
      }
      rt.pushString(l, idPrefix + base62((((requestSeq++ & 0xffff) << 4) | (h.worker & 15)) >>> 0, 4));
      return 1;
    }),
    getenv: cfn((l) => {
      const v = getenv(str(l, 1, "getenv"));
      if (v === undefined) x.lua_pushnil(l);
      else rt.pushString(l, v);
      return 1;
    }),
    env_with_prefix: cfn((l) => {
      const prefix = str(l, 1, "env_with_prefix");
      x.lua_createtable(l, 0, 0);
      for (const [k, v] of Object.entries({ ...dotenv, ...process.env })) {
        if (!k.startsWith(prefix) || v === undefined) continue;
        rt.pushString(l, k);
        rt.pushString(l, v);
        x.lua_rawset(l, -3);
      }
      return 1;
    }),
    // package.searchers[2]: Lua modules from the host's file system
    searcher: cfn((l) => {
      const name = str(l, 1, "searcher");
      const found = findModule(name, search);
      if (found.kind === "missing") {
        rt.pushString(l, found.tried.map((f) => `no file '${f}'`).join("\n\t"));
        return 1;
      }
      const where = whereRequired(l);
      if (found.kind === "c") {
        throw new LuaRaise(
          `${where ? where + ": " : ""}module '${name}' is a C module (${found.file}); Moonscope runs Lua in WebAssembly, which cannot load C modules: use a pure-Lua library instead`,
        );
      }
      loadText(l, found.source, found.chunkName, (msg) => `${msg} (syntax error in module '${name}'${where ? ", required at " + where : ""})`);
      rt.pushString(l, found.file);
      return 2;
    }),
    searchpath: cfn((l) => {
      const name = str(l, 1, "searchpath");
      const templates = str(l, 2, "searchpath").split(";");
      const sep = x.lua_type(l, 3) > LuaType.Nil ? str(l, 3, "searchpath") : ".";
      const rep = x.lua_type(l, 4) > LuaType.Nil ? str(l, 4, "searchpath") : "/";
      const r = searchPath(name, templates, sep, rep);
      if ("file" in r) {
        rt.pushString(l, r.file);
        return 1;
      }
      x.lua_pushnil(l);
      rt.pushString(l, r.tried.map((f) => `no file '${f}'`).join("\n\t"));
      return 2;
    }),
    // loadfile(file [, mode [, env]]) for files of the app's folder; answers nil, message on failure
    loadfile: cfn((l) => {
      const given = str(l, 1, "loadfile");
      const file = path.resolve(search.appDir, given);
      const chunk = chunkNameOf(file, search.appDir);
      const fail = (msg: string) => {
        x.lua_pushnil(l);
        rt.pushString(l, msg);
        return 2;
      };
      if (path.isAbsolute(chunk)) return fail(`cannot load ${given}: Moonscope's sandbox loads only Lua files of the app's folder (${search.appDir}); use require for libraries on the Lua path`);
      if (x.lua_type(l, 2) === LuaType.String && !(rt.toString(l, 2) ?? "").includes("t")) return fail(`cannot load ${given}: only text chunks can be loaded`);
      let source: Buffer;
      try {
        source = readLuaSource(file);
      } catch {
        return fail(`cannot open ${chunk} (no such file in ${search.appDir})`);
      }
      const hasEnv = x.lua_type(l, 3) > LuaType.Nil;
      const st = x.luaL_loadbufferx(l, copyIn(source), source.length, rt.cstr("@" + chunk), rt.cstr("t"));
      if (st !== LUA_OK) {
        const msg = rt.toString(l, -1) ?? "load error";
        x.lua_settop(l, -2);
        return fail(msg);
      }
      if (hasEnv) {
        x.lua_pushvalue(l, 3);
        x.lua_setupvalue(l, -2, 1);
      }
      return 1;
    }),
    // cjson.encode(value) with the instance's settings (see cjson.ts)
    cjson_encode: cfn((l) => {
      const o = cjsonOptions(x.lua_tonumberx(l, 2, 0), x.lua_tonumberx(l, 3, 0), x.lua_tonumberx(l, 4, 0), x.lua_tonumberx(l, 5, 0), x.lua_tonumberx(l, 6, 0));
      const text = json.encodeCjson(l, 1, o);
      rt.pushString(l, text);
      return 1;
    }),
    // true while the running request is being stopped; then it also puts the stop's hooks back, so
    // debug.sethook can call it after its real call to undo a clear that raced with the stop
    stopping: rt.addCFunction((l) => {
      if (stop.requested) stop.request();
      x.lua_pushboolean(l, stop.requested ? 1 : 0);
      return 1;
    }),
    // math.randomseed's two seeds, from the operating system: Lua's own default mixes the time with
    // addresses, and addresses are the same in every worker's WebAssembly heap
    random_seed: rt.addCFunction((l) => {
      x.lua_pushinteger(l, BigInt(randomInt(2 ** 48 - 1)));
      x.lua_pushinteger(l, BigInt(randomInt(2 ** 48 - 1)));
      return 2;
    }),
    co_resume: coroutines.resume,
    co_wrap: coroutines.wrap,
    cjson_decode: cfn((l) => {
      const value = parseJson(rt.toString(l, 1) ?? "", (s, why) => new CjsonError(s.trim() === "" ? "Expected value but found T_END at character 1" : `Expected JSON: ${why}`));
      json.pushJs(l, value, 0, "cjson", x.lua_tonumberx(l, 2, 0), x.lua_toboolean(l, 3) !== 0);
      return 1;
    }),
  };

  /** Copies bytes into the runtime's scratch buffer for luaL_loadbufferx. */
  function copyIn(bytes: Buffer): number {
    const p = rt.scratch(bytes.length);
    rt.refreshViews();
    rt.heap.set(bytes, p);
    return p;
  }
  /** Loads a module's text as a function on l's stack, or raises its syntax error (described by describe). */
  function loadText(l: number, source: Buffer, chunk: string, describe: (msg: string) => string): void {
    const st = x.luaL_loadbufferx(l, copyIn(source), source.length, rt.cstr("@" + chunk), rt.cstr("t"));
    if (st !== LUA_OK) {
      const msg = rt.toString(l, -1) ?? "load error";
      x.lua_settop(l, -2);
      throw new LuaRaise(describe(msg));
    }
  }

  x.lua_createtable(L, 0, Object.keys(fns).length + 2);
  for (const [name, fn] of Object.entries(fns)) {
    x.lua_pushcclosure(L, fn, 0);
    x.lua_setfield(L, -2, rt.cstr(name));
  }
  rt.pushString(L, search.path.join(";"));
  x.lua_setfield(L, -2, rt.cstr("path"));
  rt.pushString(L, search.cpath.join(";"));
  x.lua_setfield(L, -2, rt.cstr("cpath"));
}
