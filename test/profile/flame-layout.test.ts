import { test } from "node:test";
import assert from "node:assert/strict";
import { type CallNode, fromFolded } from "../../profile/calltree";
import { layoutFlame } from "../../profile/flame-layout";
import { frameLabel } from "../../profile/frames";

const TREE = `[handler];a;b 40
[handler];a;c 20
[handler];a 10
[handler];d 25
[parse] 5
[write] 0.01
`;

test("left-heavy layout: children by total, left to right, widths as shares", () => {
  const t = fromFolded(TREE);
  const rects = layoutFlame(t, { minWidthFraction: 0.001 });
  const text = rects.map((r) => `${"  ".repeat(r.depth)}${frameLabel(r.node.frame)} x=${r.x.toFixed(3)} w=${r.w.toFixed(3)}`).join("\n");
  assert.equal(
    text,
    `(root) x=0.000 w=1.000
  [handler] x=0.000 w=0.950
    a x=0.000 w=0.700
      b x=0.000 w=0.400
      c x=0.400 w=0.200
    d x=0.700 w=0.250
  [parse] x=0.950 w=0.050`,
  );
  assert.ok(!rects.some((r) => r.node.frame.name === "[write]"), "[write] is narrower than the minimum");
  assert.equal(layoutFlame(t, { minWidthFraction: 0 }).length, 8);
});

test("widths add up: at each node, children + self = parent, and rects stay inside their parent", () => {
  let seed = 7;
  const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 4294967296);
  const lines: string[] = [];
  for (let i = 0; i < 2000; i++) {
    const depth = 1 + Math.floor(rnd() * 8);
    const stack: string[] = [];
    for (let d = 0; d < depth; d++) stack.push(`f${Math.floor(rnd() * rnd() * 12)}`);
    lines.push(`${stack.join(";")} ${1 + Math.floor(rnd() * 100)}`);
  }
  const t = fromFolded(lines.join("\n"));
  const rects = layoutFlame(t, { minWidthFraction: 0 });
  const byNode = new Map<CallNode, (typeof rects)[number]>();
  for (const r of rects) byNode.set(r.node, r);
  let perDepth = new Map<number, number>();
  for (const r of rects) {
    perDepth.set(r.depth, (perDepth.get(r.depth) ?? 0) + r.w);
    let childSum = 0;
    let x = r.x;
    for (const c of r.node.children) {
      const cr = byNode.get(c)!;
      assert.ok(Math.abs(cr.x - x) < 1e-9, "children are adjacent, starting at the parent's left edge");
      assert.equal(cr.depth, r.depth + 1);
      x += cr.w;
      childSum += cr.w;
    }
    assert.ok(Math.abs(childSum + r.node.self / t.total - r.w) < 1e-9);
    assert.ok(x <= r.x + r.w + 1e-9);
  }
  assert.ok(Math.abs(perDepth.get(0)! - 1) < 1e-12);
  for (const [, sum] of perDepth) assert.ok(sum <= 1 + 1e-9);
  // Within a depth, rects come in increasing x.
  perDepth = new Map();
  for (const r of rects) {
    assert.ok(r.x >= (perDepth.get(r.depth) ?? 0) - 1e-12);
    perDepth.set(r.depth, r.x + r.w);
  }
  // The default minimum prunes whole subtrees.
  const pruned = layoutFlame(t, {});
  assert.ok(pruned.every((r) => r.w >= 0.0005));
  const kept = new Set(pruned.map((r) => r.node));
  for (const r of pruned) if (r.depth > 0) assert.ok(rects.some((p) => p.node.children.includes(r.node) && kept.has(p.node)));
});

test("an empty tree has no rects", () => {
  assert.deepEqual(layoutFlame(fromFolded(""), {}), []);
});
