// Moonscope as people get it: `npm pack`, then the tarball installed into an empty folder, with
// nothing from the repository but the tarball. (npm run test:package; needs the npm registry for
// wasmoon, the one runtime dependency.)
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { ROOT } from "../helpers/server";
import { MOONSCOPE_VERSION } from "../../profile/version";

const npm = process.platform === "win32" ? "npm.cmd" : "npm";

describe("the npm package, installed from its tarball", () => {
  let packDir: string;
  let tarball: string;
  let userDir: string;
  let files: { path: string; size: number }[];

  before(() => {
    packDir = mkdtempSync(path.join(tmpdir(), "moonscope-pack-"));
    // --json lists the files; prepack builds dist/ first.
    const out = execFileSync(npm, ["pack", "--json", "--pack-destination", packDir], { cwd: ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
    const info = JSON.parse(out.slice(out.indexOf("[")))[0] as { filename: string; files: { path: string; size: number }[]; size: number; unpackedSize: number };
    files = info.files;
    tarball = path.join(packDir, path.basename(info.filename));
    console.log(`# tarball ${path.basename(tarball)}: ${(info.size / 1e6).toFixed(2)} MB packed, ${(info.unpackedSize / 1e6).toFixed(2)} MB unpacked, ${files.length} files`);
    userDir = mkdtempSync(path.join(tmpdir(), "moonscope-user-"));
    writeFileSync(path.join(userDir, "package.json"), JSON.stringify({ name: "my-lua-app", private: true }));
    execFileSync(npm, ["install", "--no-audit", "--no-fund", "--loglevel=error", tarball], { cwd: userDir, stdio: "inherit" });
  });
  after(() => {
    rmSync(packDir, { recursive: true, force: true });
    rmSync(userDir, { recursive: true, force: true });
  });

  test("the tarball holds the built bundles, the examples and the docs, and no tests or sources", () => {
    const names = files.map((f) => f.path);
    for (const f of ["bin/moonscope.js", "dist/cli/moonscope.js", "dist/server-core/worker.js", "dist/server-core/lua-reader.js", "dist/daemon/autocannon.js", "dist/daemon/open-loop.js", "dist/webview/panel.js", "README.md", "LICENSE", "CHANGELOG.md", "examples/hello/app.lua", "library/moonscope.lua", "library/cjson.lua", "library/cjson/safe.lua", "media/panel.png"]) {
      assert.ok(names.includes(f), `${f} is in the tarball`);
    }
    assert.deepEqual(names.filter((n) => n.startsWith("test/") || n.endsWith(".ts") || n.startsWith("node_modules/")), []);
    // Only the maps the daemon reads at run time ship; the others are 3 MB nobody reads.
    assert.deepEqual(names.filter((n) => n.endsWith(".map")).sort(), ["dist/cli/moonscope.js.map", "dist/server-core/worker.js.map"]);
  });

  test("only wasmoon (and what it brings) is installed beside it: everything else is bundled", () => {
    const pkg = JSON.parse(readFileSync(path.join(userDir, "node_modules", "moonscope", "package.json"), "utf8"));
    assert.deepEqual(Object.keys(pkg.dependencies), ["wasmoon"]);
    const wasmoon = JSON.parse(readFileSync(path.join(userDir, "node_modules", "wasmoon", "package.json"), "utf8"));
    const allowed = new Set(["moonscope", "wasmoon", ...Object.keys(wasmoon.dependencies ?? {}).map((d) => d.split("/")[0])]);
    const installed = readdirSync(path.join(userDir, "node_modules")).filter((n) => !n.startsWith("."));
    assert.deepEqual(installed.filter((n) => !allowed.has(n)), []);
  });

  test("npx moonscope --version", () => {
    const r = spawnSync("npx", ["--no-install", "moonscope", "--version"], { cwd: userDir, encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^moonscope ${MOONSCOPE_VERSION.replace(/\./g, "\\.")} `));
  });

  test("npx moonscope profile of an app written in that folder: the report, and the run folder beside the app", () => {
    writeFileSync(path.join(userDir, "app.lua"), 'function api.x.get(ctx) return api.json { ok = true } end\n');
    const r = spawnSync("npx", ["--no-install", "moonscope", "profile", "app.lua", "--route", "GET /x", "--duration", "1s", "--warmup", "0s", "--workers", "1", "--connections", "4"], { cwd: userDir, encoding: "utf8", timeout: 120_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^GET \/x {2}\(api\.x\.get, app\.lua:1\)/m);
    assert.match(r.stdout, /^handler\s/m);
    assert.match(r.stdout, /Hot spots/);
    const runs = path.join(userDir, ".moonscope", "runs");
    assert.ok(existsSync(runs) && readdirSync(runs).length === 1);
    const run = path.join(runs, readdirSync(runs)[0]);
    assert.ok(statSync(path.join(run, "flamegraph.svg")).size > 1000);
    // The shipped source maps turn server frames into TypeScript lines here too, not lines of the bundle.
    const folded = readFileSync(path.join(run, "profile.folded"), "utf8");
    assert.match(folded, /\(server-core\/[\w/-]+\.ts:\d+\)/);
    assert.doesNotMatch(folded, /\((server-core\/worker|cli\/moonscope)\.js:\d+\)/);
  });

  test("npx moonscope init writes a .luarc.json naming the installed package's Lua definitions", () => {
    const r = spawnSync("npx", ["--no-install", "moonscope", "init"], { cwd: userDir, encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    const luarc = JSON.parse(readFileSync(path.join(userDir, ".luarc.json"), "utf8"));
    const library = path.join(userDir, "node_modules", "moonscope", "library");
    assert.deepEqual(luarc["workspace.library"], [library]);
    assert.ok(existsSync(path.join(library, "moonscope.lua")));
  });

  test("npx moonscope doctor answers from the installed package", () => {
    const r = spawnSync("npx", ["--no-install", "moonscope", "doctor", "--json"], { cwd: userDir, encoding: "utf8", env: { ...process.env, MOONSCOPE_PROFILER_CACHE: path.join(userDir, "cache") } });
    assert.equal(r.status, 0, r.stderr);
    const checks = (JSON.parse(r.stdout) as { checks: { name: string; state: string; found: string }[] }).checks;
    const lua = checks.find((c) => c.name === "Lua (wasmoon)")!;
    assert.equal(lua.state, "ok");
    assert.ok(lua.found.startsWith(path.join(userDir, "node_modules")), lua.found);
    assert.match(checks.find((c) => c.name === "autocannon")!.found, /^bundled \(.*node_modules\/moonscope\/dist\/daemon\/autocannon\.js\)$/);
  });
});

describe("the .vsix", () => {
  test("holds the bundles, wasmoon's runtime files, the icon and the docs: under 40 files, no sources", () => {
    const r = spawnSync("npx", ["--no-install", "vsce", "ls", "--no-yarn"], { cwd: ROOT, encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    const names = r.stdout.trim().split("\n");
    console.log(`# .vsix: ${names.length} files`);
    assert.ok(names.length < 40, `${names.length} files`);
    for (const f of ["package.json", "README.md", "LICENSE", "CHANGELOG.md", "media/icon.png", "dist/extension/extension.js", "dist/cli/moonscope.js", "dist/server-core/worker.js", "dist/server-core/worker.js.map", "dist/daemon/autocannon.js", "dist/webview/panel.js", "node_modules/wasmoon/dist/index.js", "node_modules/wasmoon/dist/glue.wasm", "library/moonscope.lua", "library/cjson.lua", "library/cjson/safe.lua", "media/panel.png"]) {
      assert.ok(names.includes(f), `${f} is in the .vsix`);
    }
    assert.deepEqual(names.filter((n) => n.endsWith(".ts") || n.startsWith("test/") || n.startsWith("examples/") || (n.startsWith("node_modules/") && !n.startsWith("node_modules/wasmoon/"))), []);
  });
});
