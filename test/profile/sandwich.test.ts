import { test } from "node:test";
import assert from "node:assert/strict";
import { fromFolded, toFolded } from "../../profile/calltree";
import { parseFrameLabel } from "../../profile/frames";
import { sandwich } from "../../profile/sandwich";

const tree = fromFolded(`[handler];api.get (app.lua:5);render (app.lua:3);encode (app.lua:30) 30
[handler];api.get (app.lua:5);render (app.lua:3) 10
[handler];api.list (app.lua:9);render (app.lua:3);encode (app.lua:30) 50
[handler];api.list (app.lua:9);render (app.lua:3);render (app.lua:3);escape (app.lua:40) 5
[serialize];encode (app.lua:30) 7
`);

test("callers: from the function up to the stage roots, weighted by its total through each path", () => {
  const s = sandwich(tree, parseFrameLabel("render (app.lua:3)"));
  assert.equal(
    toFolded(s.callers),
    ["render (app.lua:3);api.get (app.lua:5);[handler] 40", "render (app.lua:3);api.list (app.lua:9);[handler] 55", ""].join("\n"),
  );
  assert.equal(s.callers.total, 95);
});

test("callees: everything the function called, merged over its call sites; recursion counted once", () => {
  const s = sandwich(tree, parseFrameLabel("render (app.lua:3)"));
  assert.equal(
    toFolded(s.callees),
    ["render (app.lua:3) 10", "render (app.lua:3);encode (app.lua:30) 80", "render (app.lua:3);render (app.lua:3);escape (app.lua:40) 5", ""].join("\n"),
  );
  assert.equal(s.callees.total, 95);
});

test("a function reached from several stages, and one that is absent", () => {
  const s = sandwich(tree, parseFrameLabel("encode (app.lua:30)"));
  assert.equal(s.callers.total, 87);
  assert.equal(s.callers.root.children[0].children.length, 2); // render and [serialize]
  assert.equal(sandwich(tree, parseFrameLabel("nowhere (x.lua:1)")).callers.total, 0);
});
