// One Lua state running one app: loads the prelude and the app, finds the routes, and runs a
// request through a handler in three separately timed steps (context, handler, serialize).
import { LuaRuntime, LuaType, LUA_ERRMEM, LUA_ERRSYNTAX, LUA_OK, LUA_REGISTRYINDEX, big } from "./runtime";
import { PRELUDE, PRELUDE_CHUNK_NAME, SANDBOX } from "./prelude";
import { ServerError } from "../errors";

export interface LuaRoute {
  method: string;
  /** e.g. "/users/:id" */
  path: string;
  /** e.g. "api.users.p_id.get" */
  name: string;
  /** Line of the handler's definition in the app file. */
  line: number;
  /** Registry reference of the handler function. */
  ref: number;
}

export interface AppOptions {
  /** Name shown in tracebacks and profiles, e.g. "app.lua". */
  chunkName: string;
  memoryLimitBytes: number;
  allow?: { io?: boolean; os?: boolean; require?: boolean };
}

export const enum ResponseKind {
  Json = 1,
  Text = 2,
  Empty = 3,
}

/** What a handler produced, read back into JS. */
export interface HandlerResult {
  status: number;
  kind: ResponseKind;
  /** JSON text for Json, raw bytes for Text, null for Empty. */
  body: string | Buffer | null;
  /** Flat [name, value, ...] from :header(); null when none. */
  headers: string[] | null;
}

export type HandlerOutcome =
  | { ok: true }
  | { ok: false; kind: "error"; message: string; traceback: string }
  | { ok: false; kind: "memory"; message: string }
  | { ok: false; kind: "timeout"; message: string };

const MAX_JSON_DEPTH = 100;
const HEADER_NAME_CACHE_LIMIT = 256;

export class LuaApp {
  readonly rt: LuaRuntime;
  readonly L: number;
  readonly routes: LuaRoute[] = [];
  private readonly nullRef: number;
  private readonly arrayMtRef: number;
  private readonly responseMtRef: number;
  private readonly f: Record<"method" | "path" | "params" | "query" | "headers" | "body", number>;
  private readonly headerNames = new Map<string, number>();
  private readonly paramNames = new Map<string, number>();
  /** Set by the interrupt hook so a LUA_ERRRUN can be told apart from a handler's own error. */
  timedOut = false;
  private readonly chunkName: string;

  private constructor(rt: LuaRuntime, L: number, refs: { nullRef: number; arrayMtRef: number; responseMtRef: number }, chunkName: string) {
    this.rt = rt;
    this.L = L;
    this.nullRef = refs.nullRef;
    this.arrayMtRef = refs.arrayMtRef;
    this.responseMtRef = refs.responseMtRef;
    this.chunkName = chunkName;
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
    if (!L) throw new ServerError("MS_ERR_LUA_STATE", "Could not create a Lua state (out of memory?).");
    x.luaL_openlibs(L);

    // The JSON decoder behind ctx:json(), registered before the prelude picks it up.
    let app: LuaApp | undefined;
    const decode = rt.addCFunction((l) => {
      const s = rt.toString(l, 1);
      let value: unknown;
      try {
        value = JSON.parse(s ?? "");
      } catch (e) {
        rt.pushString(l, "ctx:json(): the request body is not valid JSON (" + (e as Error).message + ")");
        return x.lua_error(l);
      }
      app!.pushJs(l, value, 0);
      return 1;
    });
    x.lua_pushcclosure(L, decode, 0);
    x.lua_setglobal(L, rt.cstr("__moonscope_json_decode"));

    // Prelude returns Ctx, collect_routes, traceback, ArrayMarker, null, Response.
    runChunk(rt, L, PRELUDE, PRELUDE_CHUNK_NAME, 6);
    const responseMtRef = x.luaL_ref(L, LUA_REGISTRYINDEX);
    const nullRef = x.luaL_ref(L, LUA_REGISTRYINDEX);
    const arrayMtRef = x.luaL_ref(L, LUA_REGISTRYINDEX);
    // Stack now: [1] Ctx, [2] collect_routes, [3] traceback. Rebuild it as the fixed base every
    // request relies on: [1] traceback (message handler of every pcall), [2] Ctx metatable.
    const tbRef = (x.lua_pushvalue(L, 3), x.luaL_ref(L, LUA_REGISTRYINDEX));
    const ctxRef = (x.lua_pushvalue(L, 1), x.luaL_ref(L, LUA_REGISTRYINDEX));
    const collectRef = (x.lua_pushvalue(L, 2), x.luaL_ref(L, LUA_REGISTRYINDEX));
    x.lua_settop(L, 0);
    x.lua_rawgeti(L, LUA_REGISTRYINDEX, big(tbRef));
    x.lua_rawgeti(L, LUA_REGISTRYINDEX, big(ctxRef));

    // The sandbox applies before the app runs, so load-time code is held to it too.
    const allow = opts.allow ?? {};
    loadChunkOrThrow(rt, L, SANDBOX, "=sandbox");
    x.lua_createtable(L, 0, 3);
    for (const k of ["io", "os", "require"] as const) {
      x.lua_pushboolean(L, allow[k] ? 1 : 0);
      x.lua_setfield(L, -2, rt.cstr(k));
    }
    if (x.lua_pcallk(L, 1, 0, 1, 0, 0) !== LUA_OK) throw new ServerError("MS_ERR_LUA_STATE", "sandbox setup failed: " + rt.toString(L, -1));

    app = new LuaApp(rt, L, { nullRef, arrayMtRef, responseMtRef }, opts.chunkName);
    app.runApp(source);
    app.collectRoutes(collectRef);
    return app;
  }

  private runApp(source: Buffer | string): void {
    const { rt, L } = this;
    const x = rt.x;
    const bytes = typeof source === "string" ? Buffer.from(source, "utf8") : source;
    const p = rt.scratch(bytes.length);
    rt.refreshViews();
    rt.heap.set(bytes, p);
    const st = x.luaL_loadbufferx(L, p, bytes.length, rt.cstr("@" + this.chunkName), 0);
    if (st !== LUA_OK) {
      const msg = rt.toString(L, -1) ?? "unknown error";
      x.lua_settop(L, 2);
      throw loadError(st === LUA_ERRSYNTAX ? "syntax error" : "load error", msg, this.chunkName);
    }
    const rs = x.lua_pcallk(L, 0, 0, 1, 0, 0);
    if (rs !== LUA_OK) {
      const msg = rt.toString(L, -1) ?? "unknown error";
      x.lua_settop(L, 2);
      throw loadError(rs === LUA_ERRMEM ? "out of memory while loading" : "error while loading", msg, this.chunkName);
    }
    x.lua_settop(L, 2);
  }

  private collectRoutes(collectRef: number): void {
    const { rt, L } = this;
    const x = rt.x;
    x.lua_rawgeti(L, LUA_REGISTRYINDEX, big(collectRef));
    if (x.lua_pcallk(L, 0, 1, 1, 0, 0) !== LUA_OK) {
      throw new ServerError("MS_ERR_LUA_STATE", "could not list the routes: " + rt.toString(L, -1));
    }
    const n = Number(x.lua_rawlen(L, -1));
    const getinfo = this.lineOf.bind(this);
    for (let i = 1; i + 3 <= n; i += 4) {
      x.lua_rawgeti(L, 3, big(i));
      const method = rt.toString(L, -1)!;
      x.lua_rawgeti(L, 3, big(i + 1));
      const path = rt.toString(L, -1)!;
      x.lua_rawgeti(L, 3, big(i + 3));
      const name = rt.toString(L, -1)!;
      x.lua_settop(L, 3);
      x.lua_rawgeti(L, 3, big(i + 2));
      const line = getinfo();
      const ref = x.luaL_ref(L, LUA_REGISTRYINDEX);
      this.routes.push({ method, path, name, line, ref });
    }
    x.lua_settop(L, 2);
    this.routes.sort((a, b) => a.line - b.line);
  }

  /** Line where the function on top of the stack was defined (leaves the stack as it was). */
  private lineOf(): number {
    const { rt, L } = this;
    const x = rt.x;
    x.lua_getglobal(L, rt.cstr("debug"));
    x.lua_getfield(L, -1, rt.cstr("getinfo"));
    x.lua_pushvalue(L, -3);
    rt.pushString(L, "S");
    if (x.lua_pcallk(L, 2, 1, 0, 0, 0) !== LUA_OK) {
      x.lua_settop(L, -3);
      return 0;
    }
    x.lua_getfield(L, -1, rt.cstr("linedefined"));
    const line = x.lua_tonumberx(L, -1, 0);
    x.lua_settop(L, -4);
    return line;
  }

  /**
   * Step 1 (stage "context"): pushes the handler and a fresh ctx.
   * headers is the parser's flat [lowercased name, value, ...] list.
   */
  pushContext(route: LuaRoute, method: string, path: string, params: string[] | null, query: string[] | null, headers: string[], body: Buffer | null): void {
    const { rt, L, f } = this;
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
    x.lua_setfield(L, -2, f.params);

    x.lua_createtable(L, 0, query ? query.length >> 1 : 0);
    if (query) {
      for (let i = 0; i < query.length; i += 2) {
        rt.pushString(L, query[i]);
        rt.pushString(L, query[i + 1]);
        x.lua_rawset(L, -3);
      }
    }
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
    this.timedOut = false;
    const st = x.lua_pcallk(L, 1, 1, 1, 0, 0);
    if (st === LUA_OK) return { ok: true };
    if (this.timedOut) {
      x.lua_settop(L, 2);
      return { ok: false, kind: "timeout", message: "the handler ran longer than its time budget and was stopped" };
    }
    if (st === LUA_ERRMEM) {
      x.lua_settop(L, 2);
      rt.clearRefusedGrowth();
      return { ok: false, kind: "memory", message: `the handler ran out of memory (the Lua state is limited to ${Math.round(rt.memoryLimitBytes / 1048576)} MiB)` };
    }
    const tb = rt.toString(L, -1) ?? "(no message)";
    x.lua_settop(L, 2);
    const nl = tb.indexOf("\n");
    return { ok: false, kind: "error", message: nl < 0 ? tb : tb.slice(0, nl), traceback: tb };
  }

  /** Step 3 (stage "serialize"): reads the handler's return value and serialises it. */
  readResult(): HandlerResult {
    const { rt, L } = this;
    const x = rt.x;
    try {
      const t = x.lua_type(L, 3);
      if (t === LuaType.Table && this.hasMetatable(3, this.responseMtRef)) {
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
          body = JSON.stringify(this.toJs(4, 0)) ?? "null";
        } else if (kind === ResponseKind.Text) {
          x.lua_rawgeti(L, 3, big(3));
          body = rt.toBytes(L, 4) ?? Buffer.alloc(0);
        }
        return { status, kind, body, headers };
      }
      if (t === LuaType.String) return { status: 200, kind: ResponseKind.Text, body: rt.toBytes(L, 3), headers: null };
      if (t === LuaType.Nil || t === LuaType.None) return { status: 204, kind: ResponseKind.Empty, body: null, headers: null };
      if (t === LuaType.Table) return { status: 200, kind: ResponseKind.Json, body: JSON.stringify(this.toJs(3, 0)), headers: null };
      throw new ServerError("MS_ERR_LUA_RESULT", `the handler returned a ${typeName(t)}; return api.json{...}, api.text("..."), api.empty(204), a table or a string`);
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

  /** Converts the Lua value at absolute index idx into a JS value for JSON.stringify. */
  toJs(idx: number, depth: number): unknown {
    const { rt, L } = this;
    const x = rt.x;
    switch (x.lua_type(L, idx)) {
      case LuaType.Nil:
      case LuaType.None:
        return null;
      case LuaType.Boolean:
        return x.lua_toboolean(L, idx) !== 0;
      case LuaType.Number:
        return x.lua_tonumberx(L, idx, 0);
      case LuaType.String:
        return rt.toString(L, idx);
      case LuaType.Table:
        return this.tableToJs(idx, depth);
      default:
        throw new ServerError("MS_ERR_LUA_RESULT", `a ${typeName(x.lua_type(L, idx))} value cannot be serialised to JSON`);
    }
  }

  private tableToJs(idx: number, depth: number): unknown {
    const { rt, L } = this;
    const x = rt.x;
    if (depth >= MAX_JSON_DEPTH) {
      throw new ServerError("MS_ERR_LUA_RESULT", `the response table nests deeper than ${MAX_JSON_DEPTH} levels (a table that contains itself?)`);
    }
    let forceArray = false;
    if (x.lua_getmetatable(L, idx)) {
      x.lua_settop(L, -2);
      x.lua_rawgeti(L, LUA_REGISTRYINDEX, big(this.nullRef));
      const isNull = x.lua_rawequal(L, -1, idx);
      x.lua_settop(L, -2);
      if (isNull) return null;
      forceArray = this.hasMetatable(idx, this.arrayMtRef);
    }
    const arr: unknown[] = [];
    let obj: Record<string, unknown> | null = null;
    const top = x.lua_gettop(L);
    x.lua_pushnil(L);
    while (x.lua_next(L, idx) !== 0) {
      const kt = x.lua_type(L, top + 1);
      const v = this.toJs(top + 2, depth + 1);
      if (obj === null && kt === LuaType.Number && x.lua_tonumberx(L, top + 1, 0) === arr.length + 1) {
        arr.push(v);
      } else {
        if (obj === null) {
          obj = {};
          for (let i = 0; i < arr.length; i++) obj[String(i + 1)] = arr[i];
        }
        let key: string;
        if (kt === LuaType.String) key = rt.toString(L, top + 1)!;
        else if (kt === LuaType.Number) key = String(x.lua_tonumberx(L, top + 1, 0));
        else if (kt === LuaType.Boolean) key = x.lua_toboolean(L, top + 1) ? "true" : "false";
        else throw new ServerError("MS_ERR_LUA_RESULT", `a table key of type ${typeName(kt)} cannot be serialised to JSON`);
        obj[key] = v;
      }
      x.lua_settop(L, top + 1);
    }
    if (obj !== null) return obj;
    if (arr.length === 0 && !forceArray) return {};
    return arr;
  }

  /** Pushes a JSON value (from JSON.parse) as Lua values; null becomes api.null. */
  pushJs(L: number, v: unknown, depth: number): void {
    const { rt } = this;
    const x = rt.x;
    if (depth > MAX_JSON_DEPTH) {
      rt.pushString(L, "ctx:json(): the body nests deeper than " + MAX_JSON_DEPTH + " levels");
      x.lua_error(L);
      return;
    }
    if (v === null || v === undefined) {
      x.lua_rawgeti(L, LUA_REGISTRYINDEX, big(this.nullRef));
    } else if (typeof v === "string") {
      rt.pushString(L, v);
    } else if (typeof v === "number") {
      if (Number.isSafeInteger(v)) x.lua_pushinteger(L, big(v));
      else x.lua_pushnumber(L, v);
    } else if (typeof v === "boolean") {
      x.lua_pushboolean(L, v ? 1 : 0);
    } else if (Array.isArray(v)) {
      x.lua_createtable(L, v.length, 0);
      for (let i = 0; i < v.length; i++) {
        this.pushJs(L, v[i], depth + 1);
        x.lua_rawseti(L, -2, big(i + 1));
      }
      if (v.length === 0) {
        x.lua_rawgeti(L, LUA_REGISTRYINDEX, big(this.arrayMtRef));
        x.lua_setmetatable(L, -2);
      }
    } else {
      const keys = Object.keys(v as object);
      x.lua_createtable(L, 0, keys.length);
      for (const k of keys) {
        rt.pushString(L, k);
        this.pushJs(L, (v as Record<string, unknown>)[k], depth + 1);
        x.lua_rawset(L, -3);
      }
    }
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

  /** Runs a Lua snippet in this state (used by the sampler and tests); returns its first result as a string. */
  eval(code: string, name = "=eval"): string | null {
    const { rt, L } = this;
    loadChunkOrThrow(rt, L, code, name);
    const st = rt.x.lua_pcallk(L, 0, 1, 1, 0, 0);
    const out = rt.toString(L, -1);
    rt.x.lua_settop(L, 2);
    if (st !== LUA_OK) throw new ServerError("MS_ERR_LUA_RUNTIME", out ?? "error");
    return out;
  }
}

function typeName(t: number): string {
  return ["nil", "boolean", "lightuserdata", "number", "string", "table", "function", "userdata", "thread"][t] ?? "no value";
}

function loadChunkOrThrow(rt: LuaRuntime, L: number, code: string, name: string): void {
  const bytes = Buffer.from(code, "utf8");
  const p = rt.scratch(bytes.length);
  rt.refreshViews();
  rt.heap.set(bytes, p);
  const st = rt.x.luaL_loadbufferx(L, p, bytes.length, rt.cstr(name), 0);
  if (st !== LUA_OK) throw new ServerError("MS_ERR_LUA_STATE", `internal chunk ${name} failed to load: ${rt.toString(L, -1)}`);
}

/** Runs an internal chunk with no message handler, leaving nresults values on the stack. */
function runChunk(rt: LuaRuntime, L: number, code: string, name: string, nresults: number): void {
  loadChunkOrThrow(rt, L, code, name);
  if (rt.x.lua_pcallk(L, 0, nresults, 0, 0, 0) !== LUA_OK) {
    throw new ServerError("MS_ERR_LUA_STATE", `internal chunk ${name} failed: ${rt.toString(L, -1)}`);
  }
}

/** "app.lua:3: unexpected symbol near 'end'" -> ServerError naming file:line with the message. */
function loadError(what: string, msg: string, chunk: string): ServerError {
  const m = /^([^:\n]+):(\d+): ([\s\S]*)$/.exec(msg);
  const firstLine = msg.split("\n")[0];
  if (m) {
    const text = m[3].split("\n")[0];
    return new ServerError("MS_ERR_LUA_LOAD", `${m[1]}:${m[2]}: ${what}: ${text}`, { file: m[1], line: Number(m[2]), traceback: msg });
  }
  return new ServerError("MS_ERR_LUA_LOAD", `${chunk}: ${what}: ${firstLine}`, { file: chunk, traceback: msg });
}
