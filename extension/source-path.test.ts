import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { resolveSource } from "./source-path";

const dir = mkdtempSync(path.join(tmpdir(), "moonscope-src-"));
const app = path.join(dir, "app.lua");
writeFileSync(app, "-- app\n");
mkdirSync(path.join(dir, "lib"));
writeFileSync(path.join(dir, "lib", "util.lua"), "-- util\n");

test("a Lua chunk name resolves next to the profiled app file", () => {
  assert.equal(resolveSource("app.lua", app), app);
  assert.equal(resolveSource("lib/util.lua", app), path.join(dir, "lib", "util.lua"));
});

test("absolute paths and file: URLs of JavaScript frames resolve as they are", () => {
  assert.equal(resolveSource(app, undefined), app);
  assert.equal(resolveSource(pathToFileURL(app).href, undefined), app);
});

test("what is not on disk (node: internals, bundled code, a folder) resolves to nothing", () => {
  assert.equal(resolveSource("node:internal/net", app), null);
  assert.equal(resolveSource("server-core/worker.js", app), null);
  // A server frame, mapped to its TypeScript, opens from the Moonscope folder when the sources are there.
  const root = path.resolve(__dirname, "..");
  assert.equal(resolveSource("server-core/worker.ts", app, root), path.join(root, "server-core", "worker.ts"));
  assert.equal(resolveSource("server-core/worker.ts", app, dir), null);
  assert.equal(resolveSource("app.lua", undefined), null);
  assert.equal(resolveSource(dir, undefined), null);
  assert.equal(resolveSource("file://%zz", undefined), null);
});
