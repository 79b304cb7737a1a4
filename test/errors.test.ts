// One error catalog (profile/errors.ts): every code the source reports is declared there, every
// declared code is reported somewhere, and the README's table lists every code a person can meet.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { ERRORS, type ErrorInfo } from "../profile/errors";

const ROOT = path.resolve(__dirname, "..");
const FOLDERS = ["profile", "protocol", "server-core", "daemon", "cli", "extension", "webview"];
const CODE = /\bMS_(?:ERR|WARN)_[A-Z0-9_]*[A-Z0-9]\b/g;

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) out.push(...sources(p));
    else if (name.endsWith(".ts") && !name.endsWith(".test.ts") && !name.endsWith(".d.ts")) out.push(p);
  }
  return out;
}

const catalog = path.join(ROOT, "profile", "errors.ts");
const used = new Map<string, string>();
for (const f of FOLDERS.flatMap((d) => sources(path.join(ROOT, d)))) {
  if (f === catalog) continue;
  for (const m of readFileSync(f, "utf8").matchAll(CODE)) if (!used.has(m[0])) used.set(m[0], path.relative(ROOT, f));
}

test("every code the source reports is in the catalog", () => {
  assert.deepEqual([...used.entries()].filter(([c]) => !(c in ERRORS)).map(([c, f]) => `${c} (${f})`), []);
});

test("every code of the catalog is reported somewhere (no dead codes)", () => {
  assert.deepEqual(Object.keys(ERRORS).filter((c) => !used.has(c)), []);
});

test("the README's table lists every code a person can meet, with what it means", () => {
  const readme = readFileSync(path.join(ROOT, "README.md"), "utf8");
  const start = readme.indexOf("## Error codes");
  assert.ok(start >= 0, "README.md has a section ## Error codes");
  const section = readme.slice(start, readme.indexOf("\n## ", start + 5));
  const missing = Object.entries(ERRORS as Record<string, ErrorInfo>)
    .filter(([, info]) => info.area !== "internal")
    .filter(([code, info]) => !section.includes(`| \`${code}\` |`) || !section.includes(info.about))
    .map(([code]) => code);
  assert.deepEqual(missing, []);
});
