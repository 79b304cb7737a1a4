// `moonscope init`: a .luarc.json naming the Lua definitions, merged into one that is there, and a
// malformed one refused without being touched.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { runCli } from "../helpers/cli";
import { ROOT } from "../helpers/server";

const LIBRARY = path.join(ROOT, "library");

test("moonscope init writes .luarc.json with the library, and a second run changes nothing", async () => {
  const dir = mkdtempSync(path.join(tmpdir(), "moonscope-init-"));
  const r = await runCli(["init", dir]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^wrote .*\.luarc\.json/);
  const luarc = JSON.parse(readFileSync(path.join(dir, ".luarc.json"), "utf8"));
  assert.deepEqual(luarc["workspace.library"], [LIBRARY]);
  assert.ok(existsSync(path.join(luarc["workspace.library"][0], "moonscope.lua")));
  const again = await runCli(["init"], { cwd: dir });
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, /already names/);
});

test("moonscope init keeps the user's other keys and library entries", async () => {
  const dir = mkdtempSync(path.join(tmpdir(), "moonscope-init-"));
  writeFileSync(path.join(dir, ".luarc.json"), JSON.stringify({ "runtime.version": "Lua 5.4", workspace: { library: ["/opt/lua"], checkThirdParty: false }, diagnostics: { globals: ["ngx"] } }));
  const r = await runCli(["init", dir]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^updated /);
  assert.deepEqual(JSON.parse(readFileSync(path.join(dir, ".luarc.json"), "utf8")), {
    "runtime.version": "Lua 5.4",
    workspace: { library: ["/opt/lua", LIBRARY], checkThirdParty: false },
    diagnostics: { globals: ["ngx"] },
  });
});

test("a malformed .luarc.json is refused with MS_ERR_LUARC and left as it was", async () => {
  const dir = mkdtempSync(path.join(tmpdir(), "moonscope-init-"));
  const bad = '{ "workspace.library": [ "/opt/lua", }';
  writeFileSync(path.join(dir, ".luarc.json"), bad);
  const r = await runCli(["init", dir]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /MS_ERR_LUARC/);
  assert.match(r.stderr, /not valid JSON/);
  assert.equal(readFileSync(path.join(dir, ".luarc.json"), "utf8"), bad);
});
