// The folder boundaries of ARCHITECTURE.md ("Who may import whom"), checked by scanning every import
// (static, type-only, side-effect, re-export, dynamic and require), so they hold without anyone
// remembering them; and no two source files import each other, directly or through others.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";

const ROOT = path.resolve(__dirname, "..");

/** What each folder may import: folders of ours, and packages ("node:*" is every Node built-in). */
const RULES: Record<string, { folders: string[]; modules: string[] }> = {
  profile: { folders: [], modules: ["pprof-format"] },
  protocol: { folders: ["profile"], modules: [] },
  "server-core": { folders: ["profile"], modules: ["node:*", "wasmoon"] },
  daemon: { folders: ["protocol", "profile", "server-core"], modules: ["node:*", "ws", "luaparse", "vscode-languageserver", "vscode-languageserver-textdocument", "autocannon"] },
  extension: { folders: ["protocol"], modules: ["node:*", "vscode", "vscode-languageclient"] },
  webview: { folders: ["protocol", "profile"], modules: ["@vscode-elements/elements"] },
  cli: { folders: ["daemon", "protocol", "profile", "server-core"], modules: ["node:*"] },
};

function sources(dir: string, withTests = false): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) out.push(...sources(p, withTests));
    else if (/\.(ts|tsx|mts)$/.test(name) && !name.endsWith(".d.ts") && (withTests || !name.endsWith(".test.ts"))) out.push(p);
  }
  return out;
}

/**
 * The code of a file with comments and the insides of template literals blanked out (a Lua chunk
 * in a template may say require("cjson")), string literals kept.
 */
export function codeOnly(text: string): string {
  let out = "";
  const modes: ("code" | "template")[] = ["code"];
  const braces: number[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    const mode = modes[modes.length - 1];
    if (mode === "template") {
      if (c === "\\") i += 2;
      else if (c === "`") {
        modes.pop();
        out += "`";
        i++;
      } else if (c === "$" && text[i + 1] === "{") {
        modes.push("code");
        braces.push(0);
        out += "${";
        i += 2;
      } else {
        out += c === "\n" ? "\n" : " ";
        i++;
      }
      continue;
    }
    if (c === "/" && text[i + 1] === "/") {
      while (i < text.length && text[i] !== "\n") i++;
    } else if (c === "/" && text[i + 1] === "*") {
      const end = text.indexOf("*/", i + 2);
      i = end < 0 ? text.length : end + 2;
    } else if (c === '"' || c === "'") {
      let j = i + 1;
      while (j < text.length && text[j] !== c && text[j] !== "\n") j += text[j] === "\\" ? 2 : 1;
      out += text.slice(i, j + 1);
      i = j + 1;
    } else if (c === "`") {
      modes.push("template");
      out += "`";
      i++;
    } else {
      if (braces.length > 0 && modes.length > 1) {
        if (c === "{") braces[braces.length - 1]++;
        else if (c === "}") {
          if (braces[braces.length - 1] === 0) {
            braces.pop();
            modes.pop();
            out += "}";
            i++;
            continue;
          }
          braces[braces.length - 1]--;
        }
      }
      out += c;
      i++;
    }
  }
  return out;
}

export function importsOf(file: string): string[] {
  const code = codeOnly(readFileSync(file, "utf8"));
  const out: string[] = [];
  const patterns = [
    /(?:^|[;\n}])\s*import\s+(?:type\s+)?(?:[\w$*{}\s,]+?\s+from\s+)?["']([^"']+)["']/g, // import x from "m", import type { x } from "m", import "m"
    /(?:^|[;\n}])\s*export\s+(?:type\s+)?(?:\*(?:\s+as\s+\w+)?|\{[^}]*\})\s+from\s+["']([^"']+)["']/g, // export { x } from "m", export * from "m"
    /\bimport\(\s*["']([^"']+)["']\s*\)/g,
    /\brequire\(\s*["']([^"']+)["']\s*\)/g,
  ];
  for (const re of patterns) for (let m; (m = re.exec(code)); ) out.push(m[1]);
  return out;
}

/** The top-level folder an import lands in, or the package it names ("@scope/name" or "name"; "node:x"). */
function target(file: string, spec: string): { folder?: string; module?: string } {
  if (spec.startsWith(".")) return { folder: path.relative(ROOT, path.resolve(path.dirname(file), spec)).split(path.sep)[0] };
  if (spec.startsWith("node:")) return { module: "node:*" };
  const parts = spec.split("/");
  return { module: spec.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0] };
}

for (const [folder, rule] of Object.entries(RULES)) {
  test(`${folder}/ imports only what ARCHITECTURE.md allows`, () => {
    const bad: string[] = [];
    for (const file of sources(path.join(ROOT, folder))) {
      for (const spec of importsOf(file)) {
        const t = target(file, spec);
        const ok = t.folder !== undefined ? t.folder === folder || rule.folders.includes(t.folder) : rule.modules.includes(t.module!);
        if (!ok) bad.push(`${path.relative(ROOT, file)} imports ${spec}`);
      }
    }
    assert.deepEqual(bad, []);
  });
}

test("ARCHITECTURE.md states the same rules this test checks", () => {
  const doc = readFileSync(path.join(ROOT, "ARCHITECTURE.md"), "utf8");
  const section = doc.slice(doc.indexOf("## Who may import whom"), doc.indexOf("\n## ", doc.indexOf("## Who may import whom") + 5));
  for (const [folder, rule] of Object.entries(RULES)) {
    const line = section.split("\n").find((l) => l.startsWith(`- \`${folder}/\``));
    assert.ok(line, `ARCHITECTURE.md has a line for ${folder}/`);
    for (const f of rule.folders) assert.ok(line.includes(`\`${f}/\``), `${folder}/ may import ${f}/ (say so in ARCHITECTURE.md)`);
    for (const m of rule.modules) assert.ok(line.includes(`\`${m}\``), `${folder}/ may import ${m} (say so in ARCHITECTURE.md)`);
  }
});

test("no import circle between source files", () => {
  const files = Object.keys(RULES).flatMap((f) => sources(path.join(ROOT, f)));
  const resolve = (from: string, spec: string): string | null => {
    if (!spec.startsWith(".")) return null;
    const base = path.resolve(path.dirname(from), spec);
    for (const c of [base, `${base}.ts`, path.join(base, "index.ts")]) if (existsSync(c) && statSync(c).isFile()) return c;
    return null;
  };
  const edges = new Map(files.map((f) => [f, importsOf(f).map((s) => resolve(f, s)).filter((x): x is string => x !== null)]));
  const state = new Map<string, "visiting" | "done">();
  const cycles: string[] = [];
  const visit = (f: string, trail: string[]) => {
    if (state.get(f) === "done") return;
    if (state.get(f) === "visiting") {
      cycles.push([...trail.slice(trail.indexOf(f)), f].map((x) => path.relative(ROOT, x)).join(" → "));
      return;
    }
    state.set(f, "visiting");
    for (const g of edges.get(f) ?? []) visit(g, [...trail, f]);
    state.set(f, "done");
  };
  for (const f of files) visit(f, []);
  assert.deepEqual(cycles, []);
});

test("every test file belongs to a TypeScript project, so `tsc -b` checks it", () => {
  const includes: string[] = JSON.parse(readFileSync(path.join(ROOT, "test", "tsconfig.json"), "utf8")).include;
  const covered = includes.map((g) => path.resolve(ROOT, "test", g.replace(/\*\*\/\*(\.test)?\.ts$/, "")));
  const loose = ["protocol", "profile", "server-core", "daemon", "extension", "webview", "cli", "test"]
    .flatMap((f) => sources(path.join(ROOT, f), true))
    .filter((f) => f.endsWith(".test.ts"))
    .filter((f) => !covered.some((dir) => f.startsWith(dir + path.sep)));
  assert.deepEqual(loose.map((f) => path.relative(ROOT, f)), []);
});

test("the scan sees every kind of import, and not what a template literal or a comment says", () => {
  const text = [
    'import a from "./a";',
    'import type { B } from "../b";',
    'import "./side-effect";',
    'export { c } from "./c";',
    'export * from "./d";',
    'const e = await import("./e");',
    'const f = require("./f");',
    "// import x from \"./commented\"",
    'const lua = `local cjson = require("cjson") ${ `nested ${1}` } require("also-not")`;',
    'import {',
    '  g,',
    '} from "./g";',
  ].join("\n");
  const tmp = path.join(ROOT, "test", ".boundaries-probe.ts");
  writeFileSync(tmp, text);
  try {
    assert.deepEqual(importsOf(tmp).sort(), ["../b", "./a", "./c", "./d", "./e", "./f", "./g", "./side-effect"]);
  } finally {
    rmSync(tmp, { force: true });
  }
});
