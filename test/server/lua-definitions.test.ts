// The LuaCATS definitions shipped in library/ (for the Lua language server) against what a real Lua
// state of the server installs: every name they declare on api, ctx, responses, Rover's body,
// rover and cjson exists there, and every name there is declared, so the two cannot drift.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import luaparse from "luaparse";
import { LuaApp } from "../../server-core/lua/app";
import { LUA_REGISTRYINDEX, LUA_OK } from "../../server-core/lua/runtime";
import { LUA_LIBRARY_DIR } from "../../protocol/lua-library";
import { ROOT } from "../helpers/server";

const LIBRARY = path.join(ROOT, LUA_LIBRARY_DIR);

/** Member names by surface ("api", "api.json", "Ctx", ...): what both sides are reduced to. */
type Surface = Record<string, string[]>;

/** The surfaces a handler meets, and the class each is declared as. */
const ROOTS: Record<string, string> = {
  api: "moonscope.Api",
  Response: "moonscope.Response",
  Ctx: "moonscope.Ctx",
  Body: "moonscope.Body",
  rover: "moonscope.Rover",
  cjson: "cjson",
  "cjson.safe": "cjson.safe",
};

interface Cls {
  fields: Map<string, string>;
  methods: Set<string>;
  parent?: string;
}

/**
 * What a definitions file declares: its classes (`---@class`), their `---@field`s and the
 * functions defined on the table a class annotates (`local Ctx = {}`, `api = {}`).
 */
function declared(files: { file: string; text: string }[]): Map<string, Cls> {
  const classes = new Map<string, Cls>();
  for (const { file, text } of files) {
    const chunk = luaparse.parse(text, { comments: true, locations: true, luaVersion: "5.3" });
    // Annotation blocks: runs of `---` comments on consecutive lines.
    const blocks: { end: number; lines: string[] }[] = [];
    for (const c of chunk.comments ?? []) {
      const raw = (c as unknown as { raw: string }).raw;
      const line = c.loc!.start.line;
      const last = blocks.at(-1);
      if (last && last.end === line - 1) {
        last.lines.push(raw);
        last.end = line;
      } else blocks.push({ end: line, lines: [raw] });
    }
    const tableOf = new Map<string, string>();
    for (const b of blocks) {
      const head = b.lines.map((l) => /^---@class ([\w.]+)(?:\s*:\s*([\w.]+))?/.exec(l)).find((m) => m);
      if (!head) continue;
      const cls: Cls = { fields: new Map(), methods: new Set(), parent: head[2] };
      classes.set(head[1], cls);
      for (const l of b.lines) {
        const f = /^---@field ([A-Za-z_]\w*)\??\s+(\S+)/.exec(l);
        if (f) cls.fields.set(f[1], f[2]);
      }
      // The statement right under the block names the table the class annotates.
      const next = chunk.body.find((s) => s.loc!.start.line === b.end + 1);
      if (next?.type === "LocalStatement" || next?.type === "AssignmentStatement") {
        const v = next.variables[0];
        if (v.type === "Identifier") tableOf.set(v.name, head[1]);
      }
    }
    for (const s of chunk.body) {
      if (s.type !== "FunctionDeclaration" || s.identifier?.type !== "MemberExpression") continue;
      const base = s.identifier.base;
      if (base.type !== "Identifier") continue;
      const cls = classes.get(tableOf.get(base.name) ?? "");
      assert.ok(cls, `${path.basename(file)}:${s.loc!.start.line}: function on ${base.name}, which no ---@class annotates`);
      cls.methods.add(s.identifier.identifier.name);
    }
  }
  return classes;
}

function definitionSurface(classes: Map<string, Cls>): Surface {
  const out: Surface = {};
  const members = (c: Cls) => [...c.fields.keys(), ...c.methods].sort();
  for (const [root, name] of Object.entries(ROOTS)) {
    const cls = classes.get(name);
    assert.ok(cls, `the definitions declare ${name}`);
    out[root] = members(cls);
    // A member typed as another class with members of its own is a surface too (api.json.status).
    for (const [field, type] of cls.fields) {
      const inner = classes.get(type);
      if (inner && members(inner).length > 0) out[`${root}.${field}`] = members(inner);
    }
  }
  return out;
}

// Run inside the app's state with the registry: finds the prelude's internals (the table holding
// collect_routes and builtins) and lists what the server installs. A function that fails with
// "not supported by Moonscope" is still a name the server has (the definitions mark it deprecated).
const INTROSPECT = String.raw`
local registry = ...
local M
for _, v in pairs(registry) do
  if type(v) == "table" and rawget(v, "collect_routes") and rawget(v, "builtins") then M = v end
end
assert(M, "the prelude's internals are not in the registry")
local function keys(t, skip_meta)
  local out = {}
  for k in pairs(t) do
    if type(k) == "string" and not (skip_meta and k:sub(1, 2) == "__") then out[#out + 1] = k end
  end
  table.sort(out)
  return out
end
local out = {}
local function add(name, t, skip_meta)
  local k = keys(t, skip_meta)
  if #k > 0 then out[name] = k end
end
add("api", M.builtins)
for name, b in pairs(M.builtins) do
  if type(b) == "table" then add("api." .. name, b) end
end
add("Response", M.Response, true)
add("Ctx", M.Ctx, true)
M.set_rover_mode()
add("Ctx.rover", M.Ctx, true)
add("Body", getmetatable(M.Ctx.body({ __body = "" })), true)
add("rover", rover)
for name, v in pairs(rover) do
  if type(v) == "table" then add("rover." .. name, v) end
end
add("cjson", require("cjson"))
add("cjson.safe", require("cjson.safe"))
local parts = {}
for name, k in pairs(out) do parts[#parts + 1] = string.format("%q:[%s]", name, #k > 0 and ('"' .. table.concat(k, '","') .. '"') or "") end
return "{" .. table.concat(parts, ",") .. "}"
`;

const APP = String.raw`
function api.before.auth(ctx) end
function api.after.count(ctx) end
function api.on_error(err) return api.json:status(err.status, { error = err.message }) end
function api.probe.post(ctx)
  local names = {}
  for k in pairs(ctx) do if type(k) == "string" then names[#names + 1] = k end end
  table.sort(names)
  return api.json(names)
end
`;

async function serverSurface(): Promise<Surface> {
  const app = await LuaApp.load(APP, { chunkName: "app.lua", appDir: path.join(ROOT, "examples", "hello"), memoryLimitBytes: 64 << 20 });
  // A real request: the fields the server sets on ctx (with a body, so body is among them).
  const route = app.routes.find((r) => r.name === "api.probe.post")!;
  app.pushContext(route, "POST", "/probe", [], [], ["content-type", "application/json"], Buffer.from("{}"));
  assert.deepEqual(app.call(), { ok: true });
  const fields = JSON.parse(String(app.readResult().body)) as string[];
  // Middleware and api.on_error are conventions of the route walk, not builtins: the server names them.
  const named = [...app.functionNames.values()];
  const conventions = ["api.before.auth", "api.after.count", "api.on_error"].filter((n) => named.includes(n)).map((n) => n.split(".")[1]);

  const { rt, L } = app;
  const x = rt.x;
  const code = Buffer.from(INTROSPECT);
  const p = rt.scratch(code.length);
  rt.refreshViews();
  rt.heap.set(code, p);
  assert.equal(x.luaL_loadbufferx(L, p, code.length, rt.cstr("=introspect"), rt.cstr("t")), LUA_OK);
  x.lua_pushvalue(L, LUA_REGISTRYINDEX);
  const st = x.lua_pcallk(L, 1, 1, 0, 0, 0);
  const text = rt.toString(L, -1);
  assert.equal(st, LUA_OK, text ?? "");
  const s = JSON.parse(text!) as Surface;
  s.api = [...s.api, ...conventions].sort();
  // ctx: the per-request fields and the methods; in a Rover app `body` is a method instead of a field.
  assert.ok(s["Ctx.rover"].includes("body") && !s.Ctx.includes("body"));
  s.Ctx = [...new Set([...s.Ctx, ...fields])].sort();
  delete s["Ctx.rover"];
  return s;
}

const FILES = ["moonscope.lua", "cjson.lua", path.join("cjson", "safe.lua")].map((f) => ({ file: f, text: readFileSync(path.join(LIBRARY, f), "utf8") }));

/** Every name declared but not installed, and installed but not declared. */
function drift(files: { file: string; text: string }[], real: Surface): string[] {
  const classes = declared(files);
  const defs = definitionSurface(classes);
  // cjson.safe copies cjson's fields and replaces encode, decode and new: the class inherits the rest.
  assert.equal(classes.get("cjson.safe")?.parent, "cjson");
  defs["cjson.safe"] = [...new Set([...defs["cjson.safe"], ...defs.cjson])].sort();
  const out: string[] = [];
  for (const name of new Set([...Object.keys(defs), ...Object.keys(real)])) {
    const d = new Set(defs[name] ?? []);
    const r = new Set(real[name] ?? []);
    for (const k of d) if (!r.has(k)) out.push(`${name}.${k}: declared in ${LUA_LIBRARY_DIR}/ but not installed by the server`);
    for (const k of r) if (!d.has(k)) out.push(`${name}.${k}: installed by the server but not declared in ${LUA_LIBRARY_DIR}/`);
  }
  return out;
}

let real: Promise<Surface> | null = null;

test("the Lua definitions declare exactly what the server installs (api, responses, ctx, Rover's body, rover, cjson)", async () => {
  real ??= serverSurface();
  const s = await real;
  assert.ok(s.api.includes("json") && s.api.includes("on_error") && s.Ctx.includes("params") && s.Ctx.includes("method"));
  assert.deepEqual(drift(FILES, s), []);
});

test("a name the server lacks, or one the definitions lack, is caught", async () => {
  real ??= serverSurface();
  const s = await real;
  const edited = FILES.map((f) => (f.file === "moonscope.lua" ? { ...f, text: f.text.replace("function Ctx:next() end", "function Ctx:nxt() end") + "\nfunction api.bogus() end\n" } : f));
  assert.deepEqual(drift(edited, s).sort(), [
    "Ctx.next: installed by the server but not declared in library/",
    "Ctx.nxt: declared in library/ but not installed by the server",
    "api.bogus: declared in library/ but not installed by the server",
  ]);
});
