import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { captureApp, hashBytes, writeSnapshot } from "./app-snapshot";

test("the app's Lua files are hashed and copied in their layout; run folders inside the app's folder are not the app", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "ms-capture-"));
  writeFileSync(path.join(dir, "app.lua"), 'local m = require("lib.m")\n');
  mkdirSync(path.join(dir, "lib"));
  writeFileSync(path.join(dir, "lib", "m.lua"), "return {}\n");
  // A run written with --out inside the app's folder, holding its own copy of the app.
  mkdirSync(path.join(dir, "runs", "before", "app"), { recursive: true });
  writeFileSync(path.join(dir, "runs", "before", "run.json"), "{}");
  writeFileSync(path.join(dir, "runs", "before", "app", "app.lua"), "-- an old copy\n");
  const c = captureApp(path.join(dir, "app.lua"));
  assert.deepEqual(Object.keys(c.files).sort(), ["app.lua", "lib/m.lua"]);
  assert.equal(c.files["lib/m.lua"], hashBytes(Buffer.from("return {}\n")));
  const run = mkdtempSync(path.join(tmpdir(), "ms-run-"));
  assert.equal(writeSnapshot(c, run), "app");
  assert.equal(readFileSync(path.join(run, "app", "lib", "m.lua"), "utf8"), "return {}\n");
});
