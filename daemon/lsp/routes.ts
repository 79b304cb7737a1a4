// Finds route handlers in a Lua file without running it: `function api.items.p_id.get(ctx)` is
// GET /items/:id at its line. Also what a file tells about the app around it: the modules it
// requires, the functions it exports (a handler may be `api.users.get = users.list`, defined in a
// module), and whether it creates the app (rover.server). luaparse reads Lua up to 5.3; for
// 5.4-only syntax (<const>, <close>) it fails, and a line scanner that knows the common forms takes over.
import * as luaparse from "luaparse";

export interface ScannedRoute {
  method: string;
  /** "/items/:id" */
  path: string;
  /** "api.items.p_id.get" */
  name: string;
  /** 0-based position of the handler's definition (the line of `function api...`). */
  line: number;
  character: number;
  endCharacter: number;
}

/** A route whose handler is a function of a module: `api.users.get = users.list` (users = require("handlers.users")). */
export interface LinkedRoute extends ScannedRoute {
  module: string;
  field: string;
}

export interface FileScan {
  routes: ScannedRoute[];
  linked: LinkedRoute[];
  /** Module names this file requires with a literal name. */
  requires: string[];
  /** Functions this file defines on a table or returns: field name → 0-based line (for linked routes). */
  exported: Map<string, number>;
  /** The file calls rover.server (it is an app's entry). */
  createsApp: boolean;
  /** Set when the file did not parse (the line scan was used). */
  syntaxError: string | null;
}

const METHODS: Record<string, string> = { get: "GET", post: "POST", put: "PUT", patch: "PATCH", delete: "DELETE", head: "HEAD", options: "OPTIONS" };

/** ["api", "items", "p_id", "get"] → the route, or null when it is not a handler name (middleware is not a route). */
export function routeOfName(parts: string[], roots: ReadonlySet<string> = DEFAULT_ROOTS): { method: string; path: string } | null {
  if (parts.length < 2 || !roots.has(parts[0])) return null;
  const method = METHODS[parts[parts.length - 1]];
  if (!method) return null;
  const segs = parts.slice(1, -1);
  if (segs.includes("before") || segs.includes("after")) return null;
  const path = "/" + segs.map((s) => (s.startsWith("p_") && s.length > 2 ? ":" + s.slice(2) : s)).join("/");
  return { method, path };
}
const DEFAULT_ROOTS: ReadonlySet<string> = new Set(["api"]);

interface Loc {
  start: { line: number; column: number };
  end: { line: number; column: number };
}
type Node = { type: string; loc?: Loc; [k: string]: unknown };

function memberParts(n: Node | undefined): string[] | null {
  const out: string[] = [];
  let cur = n;
  while (cur && cur.type === "MemberExpression" && cur.indexer === ".") {
    out.unshift((cur.identifier as { name: string }).name);
    cur = cur.base as Node;
  }
  if (!cur || cur.type !== "Identifier") return null;
  out.unshift((cur as unknown as { name: string }).name);
  return out;
}

/** The text of a string literal's raw source ("x", 'x', [[x]]). */
function literal(n: Node | undefined): string | null {
  if (!n || n.type !== "StringLiteral") return null;
  const raw = String(n.raw);
  const long = /^\[(=*)\[([\s\S]*)\]\1\]$/.exec(raw);
  if (long) return long[2];
  return raw.slice(1, -1);
}

/** require("m"), require "m" → "m". */
function requiredName(n: Node | undefined): string | null {
  if (!n) return null;
  const base = n.base as Node | undefined;
  if (!base || base.type !== "Identifier" || (base as unknown as { name: string }).name !== "require") return null;
  if (n.type === "CallExpression") return literal((n.arguments as Node[])[0]);
  if (n.type === "StringCallExpression") return literal(n.argument as Node);
  return null;
}

/** rover.server { ... } or rover.server(...) */
function isRoverServer(n: Node | undefined): boolean {
  if (!n || (n.type !== "CallExpression" && n.type !== "TableCallExpression")) return false;
  const parts = memberParts(n.base as Node);
  return parts !== null && parts.join(".") === "rover.server";
}

function fromAst(source: string): FileScan {
  const ast = luaparse.parse(source, { luaVersion: "5.3", locations: true, comments: false }) as unknown as { body: Node[] };
  const scan: FileScan = { routes: [], linked: [], requires: [], exported: new Map(), createsApp: false, syntaxError: null };
  const roots = new Set(["api"]);
  const moduleOf = new Map<string, string>();
  const localFunctions = new Map<string, number>();
  const pending: { parts: string[]; loc: Loc; init: Node }[] = [];

  const route = (parts: string[] | null, loc: Loc | undefined, at?: number): ScannedRoute | null => {
    if (!parts || !loc) return null;
    const r = routeOfName(parts, roots);
    if (!r) return null;
    const line = at ?? loc.start.line - 1;
    const sameLine = at === undefined && loc.start.line === loc.end.line;
    return { ...r, name: ["api", ...parts.slice(1)].join("."), line, character: at === undefined ? loc.start.column : 0, endCharacter: sameLine ? loc.end.column : loc.start.column + parts.join(".").length + 9 };
  };

  const visit = (n: unknown): void => {
    if (Array.isArray(n)) {
      for (const c of n) visit(c);
      return;
    }
    if (!n || typeof n !== "object") return;
    const node = n as Node;
    if (typeof node.type !== "string") return;
    const req = requiredName(node);
    if (req !== null) scan.requires.push(req);
    if (isRoverServer(node)) scan.createsApp = true;
    switch (node.type) {
      case "LocalStatement": {
        const vars = node.variables as Node[];
        const inits = (node.init as Node[]) ?? [];
        vars.forEach((v, i) => {
          const name = (v as unknown as { name: string }).name;
          const init = inits[i];
          const m = requiredName(init);
          if (m !== null) moduleOf.set(name, m);
          if (isRoverServer(init)) roots.add(name);
          if (init?.type === "FunctionDeclaration" && init.loc) localFunctions.set(name, init.loc.start.line - 1);
        });
        break;
      }
      case "FunctionDeclaration": {
        const id = node.identifier as Node | null;
        if (id && node.loc) {
          if (id.type === "Identifier" && node.isLocal) localFunctions.set((id as unknown as { name: string }).name, node.loc.start.line - 1);
          const parts = memberParts(id);
          const r = route(parts, node.loc);
          if (r) scan.routes.push(r);
          else if (parts && parts.length >= 2 && !scan.exported.has(parts[parts.length - 1])) scan.exported.set(parts[parts.length - 1], node.loc.start.line - 1);
        }
        break;
      }
      case "AssignmentStatement": {
        const vars = node.variables as Node[];
        const inits = node.init as Node[];
        vars.forEach((v, i) => {
          const parts = memberParts(v);
          const init = inits[i];
          if (!parts || !init || !node.loc) return;
          if (init.type === "FunctionDeclaration") {
            const r = route(parts, node.loc);
            if (r) scan.routes.push(r);
            else if (parts.length >= 2 && !scan.exported.has(parts[parts.length - 1])) scan.exported.set(parts[parts.length - 1], node.loc.start.line - 1);
          } else if (routeOfName(parts, roots)) {
            pending.push({ parts, loc: node.loc, init });
          }
        });
        break;
      }
      case "ReturnStatement": {
        // return { list = list_users, show = function(ctx) ... end }
        for (const arg of (node.arguments as Node[]) ?? []) {
          if (arg.type !== "TableConstructorExpression") continue;
          for (const f of arg.fields as Node[]) {
            if (f.type !== "TableKeyString") continue;
            const key = (f.key as unknown as { name: string }).name;
            const value = f.value as Node;
            if (value.type === "FunctionDeclaration" && value.loc) scan.exported.set(key, value.loc.start.line - 1);
            else if (value.type === "Identifier" && localFunctions.has((value as unknown as { name: string }).name)) scan.exported.set(key, localFunctions.get((value as unknown as { name: string }).name)!);
          }
        }
        break;
      }
    }
    for (const [k, c] of Object.entries(node)) {
      if (k === "loc" || k === "range") continue;
      if (c && typeof c === "object") visit(c);
    }
  };
  visit(ast.body);

  // Handlers assigned from elsewhere: a local function of this file, or a module's function.
  for (const p of pending) {
    const init = p.init;
    if (init.type === "Identifier") {
      const line = localFunctions.get((init as unknown as { name: string }).name);
      const r = route(p.parts, p.loc, line);
      if (r) scan.routes.push(r);
      continue;
    }
    const member = memberParts(init);
    let module: string | null = null;
    let field: string | null = null;
    if (member && member.length === 2 && moduleOf.has(member[0])) {
      module = moduleOf.get(member[0])!;
      field = member[1];
    } else if (init.type === "MemberExpression" && init.indexer === "." && requiredName(init.base as Node) !== null) {
      module = requiredName(init.base as Node);
      field = (init.identifier as { name: string }).name;
    }
    const r = route(p.parts, p.loc);
    if (!r) continue;
    if (module !== null && field !== null) scan.linked.push({ ...r, module, field });
    else scan.routes.push(r);
  }
  scan.routes.sort((a, b) => a.line - b.line);
  return scan;
}

const DECL = /^(\s*)function\s+([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)+)\s*\(/;
const ASSIGN = /^(\s*)([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)+)\s*=\s*function\s*\(/;
const REQUIRE = /\brequire\s*\(?\s*["']([^"']+)["']/g;
const ROVER_LOCAL = /^\s*local\s+([A-Za-z_][A-Za-z0-9_]*)\s*=\s*rover\.server\b/;

function fromLines(source: string, syntaxError: string): FileScan {
  const scan: FileScan = { routes: [], linked: [], requires: [], exported: new Map(), createsApp: /\brover\.server\b/.test(source), syntaxError };
  const roots = new Set(["api"]);
  source.split(/\r?\n/).forEach((text, line) => {
    const alias = ROVER_LOCAL.exec(text);
    if (alias) roots.add(alias[1]);
    for (const m of text.matchAll(REQUIRE)) scan.requires.push(m[1]);
    const m = DECL.exec(text) ?? ASSIGN.exec(text);
    if (!m) return;
    const parts = m[2].split(".");
    const r = routeOfName(parts, roots);
    if (r) scan.routes.push({ ...r, name: ["api", ...parts.slice(1)].join("."), line, character: m[1].length, endCharacter: text.length });
    else if (!scan.exported.has(parts[parts.length - 1])) scan.exported.set(parts[parts.length - 1], line);
  });
  return scan;
}

/** Everything the daemon reads out of one Lua file. */
export function scanLua(source: string): FileScan {
  try {
    return fromAst(source);
  } catch (e) {
    return fromLines(source, (e as Error).message);
  }
}

/** Routes in source order; syntaxError is set when the file did not parse (the line scan was used). */
export function scanRoutes(source: string): { routes: ScannedRoute[]; syntaxError: string | null } {
  const s = scanLua(source);
  return { routes: s.routes, syntaxError: s.syntaxError };
}
