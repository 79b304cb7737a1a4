// Finds route handlers in a Lua file without running it: `function api.items.p_id.get(ctx)` is
// GET /items/:id at its line. luaparse reads Lua up to 5.3; for 5.4-only syntax (<const>, <close>)
// it fails, and a line scanner that knows the two handler forms takes over.
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

const METHODS: Record<string, string> = { get: "GET", post: "POST", put: "PUT", patch: "PATCH", delete: "DELETE", head: "HEAD", options: "OPTIONS" };
const BUILTINS = new Set(["json", "text", "empty", "redirect", "array", "null"]);

/** ["api", "items", "p_id", "get"] → the route, or null when it is not a handler name. */
export function routeOfName(parts: string[]): { method: string; path: string } | null {
  if (parts.length < 2 || parts[0] !== "api") return null;
  const method = METHODS[parts[parts.length - 1]];
  if (!method) return null;
  const segs = parts.slice(1, -1);
  if (segs.length > 0 && BUILTINS.has(segs[0])) return null;
  const path = "/" + segs.map((s) => (s.startsWith("p_") && s.length > 2 ? ":" + s.slice(2) : s)).join("/");
  return { method, path };
}

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

function fromAst(source: string): ScannedRoute[] {
  const ast = luaparse.parse(source, { luaVersion: "5.3", locations: true, comments: false }) as unknown as { body: Node[] };
  const out: ScannedRoute[] = [];
  const add = (parts: string[] | null, loc: Loc | undefined) => {
    if (!parts || !loc) return;
    const r = routeOfName(parts);
    if (r) out.push({ ...r, name: parts.join("."), line: loc.start.line - 1, character: loc.start.column, endCharacter: loc.start.line === loc.end.line ? loc.end.column : loc.start.column + parts.join(".").length + 9 });
  };
  for (const st of ast.body) {
    if (st.type === "FunctionDeclaration" && st.identifier) add(memberParts(st.identifier as Node), st.loc);
    else if (st.type === "AssignmentStatement") {
      const vars = st.variables as Node[];
      const inits = st.init as Node[];
      vars.forEach((v, i) => {
        if (inits[i]?.type === "FunctionDeclaration") add(memberParts(v), st.loc);
      });
    }
  }
  return out;
}

const DECL = /^(\s*)function\s+(api(?:\.[A-Za-z_][A-Za-z0-9_]*)+)\s*\(/;
const ASSIGN = /^(\s*)(api(?:\.[A-Za-z_][A-Za-z0-9_]*)+)\s*=\s*function\s*\(/;

function fromLines(source: string): ScannedRoute[] {
  const out: ScannedRoute[] = [];
  source.split(/\r?\n/).forEach((text, line) => {
    const m = DECL.exec(text) ?? ASSIGN.exec(text);
    if (!m) return;
    const parts = m[2].split(".");
    const r = routeOfName(parts);
    if (r) out.push({ ...r, name: m[2], line, character: m[1].length, endCharacter: text.length });
  });
  return out;
}

/** Routes in source order; syntaxError is set when the file did not parse (the line scan was used). */
export function scanRoutes(source: string): { routes: ScannedRoute[]; syntaxError: string | null } {
  try {
    return { routes: fromAst(source), syntaxError: null };
  } catch (e) {
    return { routes: fromLines(source), syntaxError: (e as Error).message };
  }
}
