import { test } from "node:test";
import assert from "node:assert/strict";
import { fromFolded } from "../../profile/calltree";
import { diffTrees, matchPaths } from "../../profile/diff";
import { frameLabel } from "../../profile/frames";

test("diffTrees: per-frame self shares, sorted by the size of the change", () => {
  const before = fromFolded(`[handler];render (app.lua:3) 50
[handler];render (app.lua:3);json_encode (app.lua:30) 30
[parse] 20
`);
  const after = fromFolded(`[handler];render (app.lua:3) 50
[handler];render (app.lua:3);json_encode (app.lua:30) 130
[parse] 20
[handler];cache_get (app.lua:40) 0.5
`);
  const lines = diffTrees(before, after).map(
    (d) =>
      `${frameLabel(d.frame)} ${d.beforeSelf}->${d.afterSelf} ${(d.beforeShare * 100).toFixed(1)}%->${(d.afterShare * 100).toFixed(1)}% ${(d.deltaShare * 100).toFixed(1)}`,
  );
  assert.deepEqual(lines, [
    "json_encode (app.lua:30) 30->130 30.0%->64.8% 34.8",
    "render (app.lua:3) 50->50 50.0%->24.9% -25.1",
    "[parse] 20->20 20.0%->10.0% -10.0",
    "cache_get (app.lua:40) 0->0.5 0.0%->0.2% 0.2",
    "[handler] 0->0 0.0%->0.0% 0.0",
  ]);
});

test("matchPaths pairs nodes by path, not by frame alone", () => {
  const before = fromFolded("a;x 1\nb 1\n");
  const after = fromFolded("a;x 1\nb;x 1\n");
  const m = matchPaths(before, after);
  const ax = after.root.children.find((c) => c.frame.name === "a")!.children[0];
  const bx = after.root.children.find((c) => c.frame.name === "b")!.children[0];
  assert.equal(m.get(ax)?.frame.name, "x");
  assert.equal(m.get(bx), undefined);
  assert.equal(m.get(after.root), before.root);
});
