// One Lua state running one app: sets up the handler API (prelude, cjson, rover, sandbox), loads the
// app, finds the routes, and runs a request through a handler in three separately timed steps
// (context, handler, serialize).
import { LuaRuntime, LuaType, LUA_ERRMEM, LUA_ERRSYNTAX, LUA_OK, LUA_REGISTRYINDEX, big } from "./runtime";
import { CHUNK, PRELUDE, ResponseKind } from "./prelude";
import { CJSON } from "./cjson";
import { ROVER } from "./rover";
import { SANDBOX } from "./sandbox";
import { LuaJson, luaTypeName } from "./json";
import { pushHostFunctions } from "./host-functions";
import { moduleSearch } from "./modules";
import { AR_SIZE, definitionOf } from "./debug-info";
import { LuaStop } from "./stop";
import { MoonscopeError } from "../../profile/errors";

export { ResponseKind } from "./prelude";

export interface LuaRoute {
  method: string;
  /** e.g. "/users/:id" */
  path: string;
  /** e.g. "api.users.p_id.get" */
  name: string;
  /** The file that defines the handler, as its chunk is named: "app.lua", "handlers/users.lua". */
  file: string;
  /** Line of the handler's definition in that file. */
  line: number;
  /** Registry reference of the function the server calls (the handler, or it inside its middleware). */
  ref: number;
}

export interface AppOptions {
  /** Name shown in tracebacks and profiles, e.g. "app.lua". */
  chunkName: string;
  /** The app file's folder: where modules are searched first and chunk names are relative to. */
  appDir: string;
  /** --lua-path: more package.path templates, searched after the app's folder. */
  luaPath?: string;
  memoryLimitBytes: number;
  allow?: { io?: boolean; os?: boolean };
  /** The worker's number (request ids). */
  worker?: number;
}

/** What the app asked of the server through Rover's rover.server {...}. */
export interface AppServerConfig {
  /** The app called rover.server. */
  rover: boolean;
  host?: string;
  port?: number;
  maxBodyBytes?: number;
  /** Options that have no meaning here, by name. */
  ignored: string[];
}

/** What a handler produced, read back into JS. */
export interface HandlerResult {
  status: number;
  kind: ResponseKind;
  /** JSON text for Json, raw bytes for Text/Html/Raw, null for Empty. */
  body: string | Buffer | null;
  /** Flat [name, value, ...] from :header(); null when none. */
  headers: string[] | null;
}

export type HandlerOutcome =
  | { ok: true }
  | { ok: false; kind: "error"; message: string; traceback: string }
  | { ok: false; kind: "memory"; message: string }
  | { ok: false; kind: "timeout"; message: string };

const HEADER_NAME_CACHE_LIMIT = 256;

/** Registry references of the prelude's values the server uses on every request. */
interface Refs {
  nullRef: number;
  arrayMtRef: number;
  responseMtRef: number;
  callableMtRef: number;
  headersMtRef: number;
  stopRef: number;
}

export class LuaApp {
  readonly rt: LuaRuntime;
  readonly L: number;
  readonly routes: LuaRoute[] = [];
  /** "file:line" of a handler, middleware or api.on_error → its name, for the Lua sampler. */
  readonly functionNames = new Map<string, string>();
  serverConfig: AppServerConfig = { rover: false, ignored: [] };
  readonly json: LuaJson;
  private readonly refs: Refs;
  private readonly f: Record<"method" | "path" | "params" | "query" | "headers" | "body", number>;
  private readonly headerNames = new Map<string, number>();
  private readonly paramNames = new Map<string, number>();
  private readonly ar: number;
  /** The watchdog's stop of the running request (see stop.ts). */
  readonly stop: LuaStop;

  private constructor(rt: LuaRuntime, L: number, refs: Refs, json: LuaJson, stop: LuaStop) {
    this.rt = rt;
    this.L = L;
    this.refs = refs;
    this.json = json;
    this.stop = stop;
    this.ar = rt.x.malloc(AR_SIZE);
    this.f = {
      method: rt.cstr("method"),
      path: rt.cstr("path"),
      params: rt.cstr("params"),
      query: rt.cstr("query"),
      headers: rt.cstr("headers"),
      body: rt.cstr("body"),
    };
  }

  /** Loads the app; throws ServerError MS_ERR_LUA_LOAD naming file:line on a syntax or load-time error. */
  static async load(source: Buffer | string, opts: AppOptions): Promise<LuaApp> {
    const rt = await LuaRuntime.create({ memoryLimitBytes: opts.memoryLimitBytes });
    const x = rt.x;
    const L = x.luaL_newstate();
    if (!L) throw new MoonscopeError("MS_ERR_LUA_STATE", "Could not create a Lua state (out of memory?).");
    x.luaL_openlibs(L);

    const refs: Refs = { nullRef: 0, arrayMtRef: 0, responseMtRef: 0, callableMtRef: 0, headersMtRef: 0, stopRef: 0 };
    const stop = new LuaStop(rt, L, refs);
    const json = new LuaJson(rt, refs, stop, opts.memoryLimitBytes);
    const search = moduleSearch({ appDir: opts.appDir, luaPath: opts.luaPath });
    pushHostFunctions(L, { rt, json, search, worker: opts.worker ?? 1, stop });
    x.lua_getfield(L, -1, rt.cstr("cjson_encode"));
    const encodeRef = x.luaL_ref(L, LUA_REGISTRYINDEX);
    x.lua_getfield(L, -1, rt.cstr("cjson_decode"));
    const decodeRef = x.luaL_ref(L, LUA_REGISTRYINDEX);
    const hostRef = x.luaL_ref(L, LUA_REGISTRYINDEX);
    const pushRef = (r: number) => x.lua_rawgeti(L, LUA_REGISTRYINDEX, big(r));

    // The prelude answers its internals table (see the return at the end of PRELUDE).
    runChunk(rt, L, PRELUDE, CHUNK.prelude, 1, () => (pushRef(hostRef), 1));
    const internalsRef = x.luaL_ref(L, LUA_REGISTRYINDEX);
    const field = (name: string): number => {
      pushRef(internalsRef);
      x.lua_getfield(L, -1, rt.cstr(name));
      const r = x.luaL_ref(L, LUA_REGISTRYINDEX);
      x.lua_settop(L, -2);
      return r;
    };
    refs.nullRef = field("null");
    refs.arrayMtRef = field("ArrayMarker");
    refs.responseMtRef = field("Response");
    refs.callableMtRef = field("Callable");
    refs.headersMtRef = field("Headers");
    refs.stopRef = field("Stop");
    const ctxRef = field("Ctx");
    const tbRef = field("traceback");
    const collectRef = field("collect_routes");
    const isRoverRef = field("is_rover");

    runChunk(rt, L, CJSON, CHUNK.cjson, 0, () => {
      pushRef(internalsRef);
      pushRef(encodeRef);
      pushRef(decodeRef);
      x.lua_pushlightuserdata(L, 0);
      x.lua_pushlightuserdata(L, json.emptyArrayPtr);
      return 5;
    });
    runChunk(rt, L, ROVER, CHUNK.rover, 1, () => (pushRef(internalsRef), pushRef(hostRef), 2));
    const serverConfigRef = x.luaL_ref(L, LUA_REGISTRYINDEX);
    runChunk(rt, L, SANDBOX, CHUNK.sandbox, 0, () => {
      const allow = opts.allow ?? {};
      x.lua_createtable(L, 0, 2);
      for (const k of ["io", "os"] as const) {
        x.lua_pushboolean(L, allow[k] ? 1 : 0);
        x.lua_setfield(L, -2, rt.cstr(k));
      }
      pushRef(hostRef);
      return 2;
    });

    // The fixed base every request relies on: [1] traceback (message handler of every pcall), [2] Ctx metatable.
    x.lua_settop(L, 0);
    pushRef(tbRef);
    pushRef(ctxRef);

    const app = new LuaApp(rt, L, refs, json, stop);
    app.runApp(source, opts.chunkName);
    app.readServerConfig(serverConfigRef, isRoverRef);
    app.collectRoutes(collectRef);
    return app;
  }

  private runApp(source: Buffer | string, chunkName: string): void {
    const { rt, L } = this;
    const x = rt.x;
    const bytes = typeof source === "string" ? Buffer.from(source, "utf8") : source;
    const p = rt.scratch(bytes.length);
    rt.refreshViews();
    rt.heap.set(bytes, p);
    // Text only, as for every chunk an app loads (see sandbox.ts): Lua does not check bytecode.
    const st = x.luaL_loadbufferx(L, p, bytes.length, rt.cstr("@" + chunkName), rt.cstr("t"));
    if (st !== LUA_OK) {
      const msg = rt.toString(L, -1) ?? "unknown error";
      x.lua_settop(L, 2);
      throw loadError(st === LUA_ERRSYNTAX ? "syntax error" : "load error", msg, chunkName);
    }
    const rs = x.lua_pcallk(L, 0, 0, 1, 0, 0);
    if (rs !== LUA_OK) {
      const msg = rt.toString(L, -1) ?? "unknown error";
      x.lua_settop(L, 2);
      throw loadError(rs === LUA_ERRMEM ? "out of memory while loading" : "error while loading", msg, chunkName);
    }
    x.lua_settop(L, 2);
  }

  /** Reads what rover.server {...} asked for (host, port, body size) and which options it ignored. */
  private readServerConfig(serverConfigRef: number, isRoverRef: number): void {
    const { rt, L } = this;
    const x = rt.x;
    x.lua_rawgeti(L, LUA_REGISTRYINDEX, big(serverConfigRef));
    if (x.lua_pcallk(L, 0, 5, 1, 0, 0) !== LUA_OK) throw new MoonscopeError("MS_ERR_LUA_STATE", "could not read rover.server's options: " + rt.toString(L, -1));
    const c: AppServerConfig = { rover: x.lua_toboolean(L, 3) !== 0, ignored: [] };
    if (x.lua_type(L, 4) === LuaType.String) c.host = rt.toString(L, 4)!;
    else if (x.lua_type(L, 4) > LuaType.Nil) c.ignored.push("host (not a string)");
    const port = x.lua_type(L, 5) === LuaType.Number ? x.lua_tonumberx(L, 5, 0) : undefined;
    if (port !== undefined && Number.isInteger(port) && port >= 0 && port <= 65535) c.port = port;
    else if (x.lua_type(L, 5) > LuaType.Nil) c.ignored.push("port (not an integer from 0 to 65535)");
    const limit = x.lua_type(L, 6) === LuaType.Number ? x.lua_tonumberx(L, 6, 0) : undefined;
    // Rover's body_size_limit = 0 means no limit.
    if (limit !== undefined && limit >= 0) c.maxBodyBytes = limit === 0 ? Number.MAX_SAFE_INTEGER : Math.floor(limit);
    else if (x.lua_type(L, 6) > LuaType.Nil) c.ignored.push("body_size_limit (not a number of bytes)");
    const ignored = rt.toString(L, 7) ?? "";
    if (ignored !== "") c.ignored.push(...ignored.split(","));
    x.lua_settop(L, 2);
    x.lua_rawgeti(L, LUA_REGISTRYINDEX, big(isRoverRef));
    x.lua_pcallk(L, 0, 1, 1, 0, 0);
    c.rover = c.rover || x.lua_toboolean(L, -1) !== 0;
    x.lua_settop(L, 2);
    this.serverConfig = c;
    // In a Rover app ctx.body is Rover's method; the raw body has a field of its own.
    if (c.rover) this.f.body = rt.cstr("__body");
  }

  private collectRoutes(collectRef: number): void {
    const { rt, L } = this;
    const x = rt.x;
    x.lua_rawgeti(L, LUA_REGISTRYINDEX, big(collectRef));
    if (x.lua_pcallk(L, 0, 2, 1, 0, 0) !== LUA_OK) {
      throw new MoonscopeError("MS_ERR_LUA_LOAD", "could not list the routes: " + (rt.toString(L, -1) ?? "").split("\n")[0]);
    }
    // Stack: [3] routes {method, path, fn, name, handler, ...}, [4] named {name, fn, ...}
    const n = Number(x.lua_rawlen(L, 3));
    for (let i = 1; i + 4 <= n; i += 5) {
      x.lua_rawgeti(L, 3, big(i));
      const method = rt.toString(L, -1)!;
      x.lua_rawgeti(L, 3, big(i + 1));
      const routePath = rt.toString(L, -1)!;
      x.lua_rawgeti(L, 3, big(i + 3));
      const name = rt.toString(L, -1)!;
      x.lua_settop(L, 4);
      x.lua_rawgeti(L, 3, big(i + 4));
      const { file, line } = definitionOf(rt, L, this.ar);
      x.lua_rawgeti(L, 3, big(i + 2));
      const ref = x.luaL_ref(L, LUA_REGISTRYINDEX);
      this.routes.push({ method, path: routePath, name, file, line, ref });
      this.functionNames.set(`${file}:${line}`, name);
    }
    const m = Number(x.lua_rawlen(L, 4));
    for (let i = 1; i + 1 <= m; i += 2) {
      x.lua_rawgeti(L, 4, big(i));
      const name = rt.toString(L, -1)!;
      x.lua_settop(L, 4);
      x.lua_rawgeti(L, 4, big(i + 1));
      const { file, line } = definitionOf(rt, L, this.ar);
      this.functionNames.set(`${file}:${line}`, name);
    }
    x.lua_settop(L, 2);
    this.routes.sort((a, b) => (a.file === b.file ? a.line - b.line : a.file < b.file ? -1 : 1));
  }

  /**
   * Step 1 (stage "context"): pushes the handler and a fresh ctx.
   * headers is the parser's flat [lowercased name, value, ...] list.
   */
  pushContext(route: LuaRoute, method: string, path: string, params: string[] | null, query: string[] | null, headers: string[], body: Buffer | null): void {
    const { rt, L, f, refs } = this;
    const x = rt.x;
    x.lua_rawgeti(L, LUA_REGISTRYINDEX, big(route.ref));
    x.lua_createtable(L, 0, 6);
    rt.pushString(L, method);
    x.lua_setfield(L, -2, f.method);
    rt.pushString(L, path);
    x.lua_setfield(L, -2, f.path);

    x.lua_createtable(L, 0, params ? params.length >> 1 : 0);
    if (params) {
      for (let i = 0; i < params.length; i += 2) {
        rt.pushString(L, params[i + 1]);
        x.lua_setfield(L, -2, this.paramName(params[i]));
      }
    }
    x.lua_rawgeti(L, LUA_REGISTRYINDEX, big(refs.callableMtRef));
    x.lua_setmetatable(L, -2);
    x.lua_setfield(L, -2, f.params);

    x.lua_createtable(L, 0, query ? query.length >> 1 : 0);
    if (query) {
      for (let i = 0; i < query.length; i += 2) {
        rt.pushString(L, query[i]);
        rt.pushString(L, query[i + 1]);
        x.lua_rawset(L, -3);
      }
    }
    x.lua_rawgeti(L, LUA_REGISTRYINDEX, big(refs.callableMtRef));
    x.lua_setmetatable(L, -2);
    x.lua_setfield(L, -2, f.query);

    x.lua_createtable(L, 0, headers.length >> 1);
    for (let i = 0; i < headers.length; i += 2) {
      const name = headers[i];
      const value = headers[i + 1];
      const cached = this.headerName(name);
      rt.pushLatin1(L, value);
      if (cached !== 0) {
        x.lua_setfield(L, -2, cached);
      } else {
        rt.pushString(L, name);
        x.lua_pushvalue(L, -2);
        x.lua_rawset(L, -4);
        x.lua_settop(L, -2);
      }
    }
    x.lua_rawgeti(L, LUA_REGISTRYINDEX, big(refs.headersMtRef));
    x.lua_setmetatable(L, -2);
    x.lua_setfield(L, -2, f.headers);

    if (body !== null) {
      rt.pushBytes(L, body);
      x.lua_setfield(L, -2, f.body);
    }
    x.lua_pushvalue(L, 2);
    x.lua_setmetatable(L, -2);
  }

  /** Step 2 (stage "handler"): runs the handler pushed by pushContext. */
  call(): HandlerOutcome {
    const { rt, L } = this;
    const x = rt.x;
    const st = x.lua_pcallk(L, 1, 1, 1, 0, 0);
    if (st === LUA_OK) return { ok: true };
    if (this.stop.requested) {
      x.lua_settop(L, 2);
      return { ok: false, kind: "timeout", message: "the handler ran longer than its time budget and was stopped" };
    }
    const tb = rt.toString(L, -1) ?? "(no message)";
    // A memory error that api.on_error's wrapper caught and raised again arrives as a runtime error.
    if (st === LUA_ERRMEM || (rt.refusedGrowth > 0 && tb.startsWith("not enough memory"))) {
      x.lua_settop(L, 2);
      rt.clearRefusedGrowth();
      return { ok: false, kind: "memory", message: `the handler ran out of memory (the Lua state is limited to ${Math.round(rt.memoryLimitBytes / 1048576)} MiB)` };
    }
    x.lua_settop(L, 2);
    const nl = tb.indexOf("\n");
    return { ok: false, kind: "error", message: nl < 0 ? tb : tb.slice(0, nl), traceback: tb };
  }

  /** Step 3 (stage "serialize"): reads the handler's return value and serialises it. */
  readResult(): HandlerResult {
    const { rt, L, json } = this;
    const x = rt.x;
    try {
      const t = x.lua_type(L, 3);
      if (t === LuaType.Table && this.hasMetatable(3, this.refs.responseMtRef)) {
        x.lua_rawgeti(L, 3, big(1));
        const kind = x.lua_tonumberx(L, -1, 0) as ResponseKind;
        x.lua_rawgeti(L, 3, big(2));
        const status = x.lua_tonumberx(L, -1, 0);
        x.lua_rawgeti(L, 3, big(4));
        const headers = x.lua_type(L, -1) === LuaType.Table ? this.readStringArray(-1) : null;
        x.lua_settop(L, 3);
        let body: string | Buffer | null = null;
        if (kind === ResponseKind.Json) {
          x.lua_rawgeti(L, 3, big(3));
          // A string given to api.json is JSON text already (Rover's api.json(cjson.encode(t))).
          body = x.lua_type(L, 4) === LuaType.String ? rt.toBytes(L, 4)! : json.responseText(L, 4);
        } else if (kind !== ResponseKind.Empty) {
          x.lua_rawgeti(L, 3, big(3));
          body = rt.toBytes(L, 4) ?? Buffer.alloc(0);
        }
        return { status, kind, body, headers };
      }
      if (t === LuaType.String) return { status: 200, kind: ResponseKind.Text, body: rt.toBytes(L, 3), headers: null };
      if (t === LuaType.Nil || t === LuaType.None) return { status: 204, kind: ResponseKind.Empty, body: null, headers: null };
      if (t === LuaType.Table) return { status: 200, kind: ResponseKind.Json, body: json.responseText(L, 3), headers: null };
      // Numbers and booleans are text, as Rover answers them (tostring: 42, 1.5, true).
      if (t === LuaType.Number || t === LuaType.Boolean) {
        const text = t === LuaType.Boolean ? (x.lua_toboolean(L, 3) ? "true" : "false") : (rt.toString(L, 3) ?? "");
        return { status: 200, kind: ResponseKind.Text, body: Buffer.from(text), headers: null };
      }
      throw new MoonscopeError("MS_ERR_LUA_RESULT", `the handler returned a ${luaTypeName(t)}; return api.json{...}, api.text("..."), api.empty(204), a table or a string`);
    } finally {
      x.lua_settop(L, 2);
    }
  }

  private hasMetatable(idx: number, ref: number): boolean {
    const x = this.rt.x;
    const L = this.L;
    if (!x.lua_getmetatable(L, idx)) return false;
    x.lua_rawgeti(L, LUA_REGISTRYINDEX, big(ref));
    const same = x.lua_rawequal(L, -1, -2);
    x.lua_settop(L, -3);
    return same !== 0;
  }

  private readStringArray(idx: number): string[] {
    const { rt, L } = this;
    const x = rt.x;
    const abs = x.lua_gettop(L) + idx + 1;
    const n = Number(x.lua_rawlen(L, abs));
    const out: string[] = [];
    for (let i = 1; i <= n; i++) {
      x.lua_rawgeti(L, abs, big(i));
      out.push(rt.toString(L, -1) ?? "");
      x.lua_settop(L, -2);
    }
    return out;
  }

  private headerName(name: string): number {
    let p = this.headerNames.get(name);
    if (p !== undefined) return p;
    if (this.headerNames.size >= HEADER_NAME_CACHE_LIMIT) return 0;
    p = this.rt.cstr(name);
    this.headerNames.set(name, p);
    return p;
  }

  private paramName(name: string): number {
    let p = this.paramNames.get(name);
    if (p === undefined) {
      p = this.rt.cstr(name);
      this.paramNames.set(name, p);
    }
    return p;
  }

  /** Runs a Lua snippet in this state (used by tests); returns its first result as a string. */
  eval(code: string, name = "=eval"): string | null {
    const { rt, L } = this;
    loadChunkOrThrow(rt, L, code, name);
    const st = rt.x.lua_pcallk(L, 0, 1, 1, 0, 0);
    const out = rt.toString(L, -1);
    rt.x.lua_settop(L, 2);
    if (st !== LUA_OK) throw new MoonscopeError("MS_ERR_LUA_RUNTIME", out ?? "error");
    return out;
  }
}

function loadChunkOrThrow(rt: LuaRuntime, L: number, code: string, name: string): void {
  const bytes = Buffer.from(code, "utf8");
  const p = rt.scratch(bytes.length);
  rt.refreshViews();
  rt.heap.set(bytes, p);
  const st = rt.x.luaL_loadbufferx(L, p, bytes.length, rt.cstr(name), 0);
  if (st !== LUA_OK) throw new MoonscopeError("MS_ERR_LUA_STATE", `internal chunk ${name} failed to load: ${rt.toString(L, -1)}`);
}

/**
 * Runs one of our own chunks with the arguments pushArgs pushes (it returns their count), with no
 * message handler, leaving nresults values on the stack.
 */
function runChunk(rt: LuaRuntime, L: number, code: string, name: string, nresults: number, pushArgs: () => number = () => 0): void {
  loadChunkOrThrow(rt, L, code, name);
  const nargs = pushArgs();
  if (rt.x.lua_pcallk(L, nargs, nresults, 0, 0, 0) !== LUA_OK) {
    throw new MoonscopeError("MS_ERR_LUA_STATE", `internal chunk ${name} failed: ${rt.toString(L, -1)}`);
  }
}

/**
 * A load failure as a ServerError naming file:line: "app.lua:3: unexpected symbol near 'end'", or
 * a module's "lib/util.lua:3: ..." when the error is in a required file. A module that was not
 * found keeps the list of the files that were tried.
 */
function loadError(what: string, msg: string, chunk: string): MoonscopeError {
  const text = msg.split("\nstack traceback:")[0];
  const [first, ...rest] = text.split("\n");
  const tried = rest.filter((l) => /^\s+(no file|no field)/.test(l)).map((l) => "\n  " + l.trim());
  const m = /^([^:\n]+):(\d+): ([\s\S]*)$/.exec(first);
  if (m) {
    if (first.includes("(syntax error in module '")) what = "syntax error";
    return new MoonscopeError("MS_ERR_LUA_LOAD", `${m[1]}:${m[2]}: ${what}: ${m[3]}${tried.join("")}`, { file: m[1], line: Number(m[2]), traceback: msg });
  }
  return new MoonscopeError("MS_ERR_LUA_LOAD", `${chunk}: ${what}: ${first}${tried.join("")}`, { file: chunk, traceback: msg });
}

