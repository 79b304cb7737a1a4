import { test } from "node:test";
import assert from "node:assert/strict";
import { fromFolded, toFolded } from "../../profile/calltree";
import { bottomUp } from "../../profile/call-views";
import { layoutFlame } from "../../profile/flame-layout";
import { centerView, clampView, FULL_VIEW, MIN_SPAN, panView, zoomView } from "../../profile/flame-view";

const tree = fromFolded(`[handler];api.get (app.lua:5);render (app.lua:3);encode (app.lua:30) 30
[handler];api.get (app.lua:5);render (app.lua:3) 10
[handler];api.list (app.lua:9);render (app.lua:3);encode (app.lua:30) 50
[serialize];encode (app.lua:30) 7
`);

test("bottom-up: each function with its self time at the top, its callers below, weighted by what came through them", () => {
  const b = bottomUp(tree);
  assert.equal(b.total, tree.total);
  assert.deepEqual(
    b.root.children.map((c) => [c.frame.name, c.total]),
    [
      ["encode", 87],
      ["render", 10],
    ],
  );
  assert.equal(
    toFolded(b),
    [
      "encode (app.lua:30);[serialize] 7",
      "encode (app.lua:30);render (app.lua:3);api.get (app.lua:5);[handler] 30",
      "encode (app.lua:30);render (app.lua:3);api.list (app.lua:9);[handler] 50",
      "render (app.lua:3);api.get (app.lua:5);[handler] 10",
      "",
    ].join("\n"),
  );
});

test("bottom-up of a deep recursion stays iterative", () => {
  const deep = fromFolded(Array.from({ length: 5000 }, () => "f (a.lua:1)").join(";") + " 3\n");
  const b = bottomUp(deep);
  assert.equal(b.root.children[0].total, 3);
});

test("view window: wheel zoom keeps the point under the cursor, pans stay inside, the span has a floor", () => {
  const z = zoomView(FULL_VIEW, 4, 0.5);
  assert.deepEqual(z, { x0: 0.375, x1: 0.625 });
  // The point under the cursor (a quarter across) is the same fraction of the whole before and after.
  const at = 0.25;
  const before = z.x0 + (z.x1 - z.x0) * at;
  const z2 = zoomView(z, 2, at);
  assert.ok(Math.abs(z2.x0 + (z2.x1 - z2.x0) * at - before) < 1e-12);
  assert.deepEqual(zoomView(z, 0.01, 0.5), { x0: 0, x1: 1 });
  assert.deepEqual(panView(z, 1), { x0: 0.125, x1: 0.375 });
  assert.deepEqual(panView(z, -10), { x0: 0.75, x1: 1 });
  assert.deepEqual(centerView(z, 0), { x0: 0, x1: 0.25 });
  assert.ok(zoomView(FULL_VIEW, 1e9, 0).x1 - 0 >= MIN_SPAN);
  assert.deepEqual(clampView({ x0: -1, x1: 3 }), { x0: 0, x1: 1 });
});

test("a windowed flame layout leaves out what lies outside the window, subtrees included", () => {
  const all = layoutFlame(tree, { minWidthFraction: 0 });
  const right = layoutFlame(tree, { minWidthFraction: 0, window: { x0: 0.95, x1: 1 } });
  assert.ok(right.length < all.length);
  // [serialize] (7 of 97) is the rightmost root child; [handler]'s callees are all left of 0.9.
  assert.deepEqual(right.map((r) => r.node.frame.name), ["(root)", "[serialize]", "encode"]);
});
