// The folder boundaries of ARCHITECTURE.md, checked by scanning imports, so they hold without anyone remembering them.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";

const ROOT = path.resolve(__dirname, "..");
const FOLDERS = ["protocol", "profile", "server-core", "daemon", "extension", "webview", "cli"] as const;

function sources(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) out.push(...sources(p));
    else if (/\.(ts|tsx|mts)$/.test(name) && !name.endsWith(".test.ts")) out.push(p);
  }
  return out;
}

function importsOf(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const re = /(?:import|export)\s[^"']*?from\s*["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)|require\(\s*["']([^"']+)["']\s*\)/g;
  const out: string[] = [];
  for (let m; (m = re.exec(text)); ) out.push(m[1] ?? m[2] ?? m[3]);
  return out;
}

/** The top-level folder an import lands in, or the bare module name. */
function target(file: string, spec: string): { folder?: string; module?: string } {
  if (!spec.startsWith(".")) return { module: spec };
  const abs = path.resolve(path.dirname(file), spec);
  return { folder: path.relative(ROOT, abs).split(path.sep)[0] };
}

const RULES: Record<(typeof FOLDERS)[number], { folders: string[]; modules: (m: string) => boolean }> = {
  protocol: { folders: ["protocol"], modules: () => false },
  profile: { folders: ["profile"], modules: () => false },
  "server-core": { folders: ["server-core", "profile"], modules: (m) => m.startsWith("node:") || m === "wasmoon" },
  daemon: { folders: ["daemon", "protocol", "profile", "server-core"], modules: (m) => m !== "vscode" },
  extension: { folders: ["extension", "protocol"], modules: (m) => m === "vscode" || m.startsWith("vscode-languageclient") || m.startsWith("node:") || m === "ws" },
  webview: { folders: ["webview", "protocol", "profile"], modules: (m) => !m.startsWith("node:") && m !== "vscode" && !["fs", "path", "child_process", "net", "os"].includes(m) },
  cli: { folders: ["cli", "daemon", "protocol", "profile", "server-core"], modules: (m) => m !== "vscode" },
};

for (const folder of FOLDERS) {
  test(`${folder}/ imports only what ARCHITECTURE.md allows`, () => {
    const bad: string[] = [];
    for (const file of sources(path.join(ROOT, folder))) {
      for (const spec of importsOf(file)) {
        const t = target(file, spec);
        const rule = RULES[folder];
        if (t.folder !== undefined ? !rule.folders.includes(t.folder) : !rule.modules(t.module!)) {
          bad.push(`${path.relative(ROOT, file)} imports ${spec}`);
        }
      }
    }
    assert.deepEqual(bad, []);
  });
}

test("the scan sees imports at all (a guard against a broken regex)", () => {
  const found = importsOf(path.join(ROOT, "server-core", "worker.ts"));
  assert.ok(found.includes("node:net") && found.includes("./lua/app"), found.join(", "));
});
