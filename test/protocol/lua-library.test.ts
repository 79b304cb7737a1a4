import { test } from "node:test";
import assert from "node:assert/strict";
import { mergeLuarc, namesLibrary, withLibrary } from "../../protocol/lua-library";

test("a new .luarc.json names the library (and LuaLS's schema)", () => {
  const { text, changed } = mergeLuarc(null, "/x/library");
  assert.ok(changed);
  const doc = JSON.parse(text);
  assert.deepEqual(doc["workspace.library"], ["/x/library"]);
  assert.match(doc.$schema, /schema\.json$/);
});

test("the flat and the nested forms are both kept; a folder already there changes nothing", () => {
  assert.deepEqual(JSON.parse(mergeLuarc('{"workspace.library":["a"],"x":1}', "/x/library").text), { "workspace.library": ["a", "/x/library"], x: 1 });
  assert.deepEqual(JSON.parse(mergeLuarc('{"workspace":{"library":[]}}', "/x/library").text), { workspace: { library: ["/x/library"] } });
  assert.deepEqual(mergeLuarc('{"workspace.library":["/x/library/"]}', "/x/library"), { text: '{"workspace.library":["/x/library/"]}', changed: false });
  assert.ok(namesLibrary(["C:\\x\\library"], "C:/x/library"));
});

test("what is not a JSON object, or a library that is not a list, is refused with MS_ERR_LUARC", () => {
  for (const bad of ["{", "[]", "42", '{"workspace.library":"a"}']) {
    assert.throws(() => mergeLuarc(bad, "/x/library", "w/.luarc.json"), (e: Error & { code?: string }) => e.code === "MS_ERR_LUARC" && e.message.startsWith("w/.luarc.json"));
  }
});

test("the VS Code setting's list: the folder added once, another version's folder replaced, the user's own kept", () => {
  const now = "/home/u/.vscode/extensions/moonscope.moonscope-0.2.0/library";
  const old = "/home/u/.vscode/extensions/moonscope.moonscope-0.1.0/library";
  assert.deepEqual(withLibrary(["/opt/lua"], now), ["/opt/lua", now]);
  assert.deepEqual(withLibrary(["/opt/lua", old], now), ["/opt/lua", now]);
  assert.equal(withLibrary([now, "/opt/lua"], now), null);
  assert.deepEqual(withLibrary([old, now], now), [now]);
});
