// Runs every *.test.ts under the project through Node's own test runner (tsx loads TypeScript).
// Usage: node scripts/run-tests.mjs [folder-or-file ...]  (default: the whole project)
import { spawnSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const skip = new Set(["node_modules", "dist", ".git", ".tsbuild", "test-artifacts", ".moonscope"]);
// Suites that need extra installs (or the npm registry) run only when asked for by folder
// (npm run test:profilers, npm run test:package, npm run test:pprof, npm run test:prometheus).
const heavy = new Set(["test/profilers", "test/package", "test/pprof", "test/prometheus"]);
function collect(dir, out) {
  for (const name of readdirSync(dir)) {
    if (skip.has(name)) continue;
    const p = join(dir, name);
    if (heavy.has(relative(root, p)) && !explicit) continue;
    if (statSync(p).isDirectory()) collect(p, out);
    else if (name.endsWith(".test.ts")) out.push(relative(root, p));
  }
  return out;
}
const args = process.argv.slice(2);
const explicit = args.length > 0;
const targets = args.length ? args : ["."];
const files = targets.flatMap((t) => (statSync(join(root, t)).isDirectory() ? collect(join(root, t), []) : [t]));
if (!files.length) {
  console.error("no test files found");
  process.exit(1);
}
const r = spawnSync(process.execPath, ["--import", "tsx", "--test", "--test-reporter=spec", ...files], {
  cwd: root,
  stdio: "inherit",
});
process.exit(r.status ?? 1);
