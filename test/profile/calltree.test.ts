import { test } from "node:test";
import assert from "node:assert/strict";
import {
  CallTreeBuilder,
  type CallTree,
  findFrames,
  fromFolded,
  hotSpots,
  maxDepth,
  mergeTrees,
  nodeCount,
  pruneTree,
  scaleTree,
  toFolded,
} from "../../profile/calltree";
import { type Frame, frameKey, frameLabel, parseFrameLabel } from "../../profile/frames";

const handler: Frame = { name: "[handler]", kind: "stage" };
const parse: Frame = { name: "[parse]", kind: "stage" };
const churn: Frame = { name: "churn_numbers", file: "app.lua", line: 9, kind: "lua" };
const fib: Frame = { name: "fib", file: "app.lua", line: 4, kind: "lua" };
const rep: Frame = { name: "string.rep", file: "[C]", kind: "lua-c" };

/** One line per node, indented: "label self/total" — a readable snapshot of the tree's shape and order. */
function outline(t: CallTree): string {
  const lines: string[] = [];
  const walk = (n: CallTree["root"], depth: number) => {
    lines.push(`${"  ".repeat(depth)}${frameLabel(n.frame)} ${n.self}/${n.total}`);
    for (const c of n.children) walk(c, depth + 1);
  };
  walk(t.root, 0);
  return lines.join("\n");
}

test("frame labels and keys", () => {
  assert.equal(frameLabel(churn), "churn_numbers (app.lua:9)");
  assert.equal(frameLabel(handler), "[handler]");
  assert.equal(frameLabel({ name: "gsub", file: "app.lua", kind: "lua" }), "gsub (app.lua)");
  assert.equal(frameLabel({ name: "", file: "x.js", line: 1, kind: "js-app" }), "(anonymous) (x.js:1)");
  assert.notEqual(frameKey(fib), frameKey({ ...fib, kind: "js-app" }));
  assert.notEqual(frameKey({ name: "f", kind: "lua" }), frameKey({ name: "f", line: 0, kind: "lua" }));
  assert.deepEqual(parseFrameLabel("churn_numbers (app.lua:9)"), churn);
  assert.deepEqual(parseFrameLabel("[handler]"), handler);
  assert.deepEqual(parseFrameLabel("(garbage collector)"), { name: "(garbage collector)", kind: "gc" });
  assert.deepEqual(parseFrameLabel("a (b) (lib.js:3)"), { name: "a (b)", file: "lib.js", line: 3, kind: "js-app" });
  assert.deepEqual(parseFrameLabel("read (node:net:12)"), { name: "read", file: "node:net", line: 12, kind: "node" });
  assert.deepEqual(parseFrameLabel("string.rep ([C])"), rep);
});

test("the builder merges identical stacks and sorts children by total", () => {
  const b = new CallTreeBuilder();
  b.add([parse], 5);
  b.add([handler, churn], 40);
  b.add([handler, churn], 2);
  b.add([handler, churn, rep], 10);
  b.add([handler], 3);
  b.add([handler, fib], 0); // ignored
  b.add([handler, fib], -4); // ignored
  b.add([handler, fib], NaN); // ignored
  const t = b.build();
  assert.equal(
    outline(t),
    `(root) 0/60
  [handler] 3/55
    churn_numbers (app.lua:9) 42/52
      string.rep ([C]) 10/10
  [parse] 5/5`,
  );
  assert.equal(t.total, 60);
  assert.equal(
    toFolded(t),
    `[handler] 3
[handler];churn_numbers (app.lua:9) 42
[handler];churn_numbers (app.lua:9);string.rep ([C]) 10
[parse] 5
`,
  );
  assert.equal(nodeCount(t), 5);
  assert.equal(maxDepth(t), 3);
  // build() is a snapshot: the builder keeps accumulating.
  b.add([parse], 1);
  assert.equal(t.total, 60);
  assert.equal(b.build().total, 61);
});

test("folded text round-trips, weights rounded to integer microseconds", () => {
  const text = `[handler];api.users.get (app.lua:12);json_encode (app.lua:30) 120
[handler];api.users.get (app.lua:12);string.rep ([C]) 7
[handler];fib (app.lua:4);fib (app.lua:4) 50
[parse] 3
`;
  const t = fromFolded(text);
  assert.equal(toFolded(t), text);
  assert.equal(t.total, 180);
  assert.equal(t.root.children[0].children[0].children[1].frame.kind, "lua-c");
  // Fractions, comments, blank and malformed lines.
  const t2 = fromFolded("# comment\n\na;b 1.4\na;b 1.4\nnoweight\na x\r\n");
  assert.equal(toFolded(t2), "a;b 3\n");
  assert.equal(t2.total, 2.8);
  // Separators inside labels do not break the format.
  const b = new CallTreeBuilder();
  b.add([{ name: "odd;name\nhere", kind: "native" }], 5);
  assert.equal(toFolded(b.build()), "odd name here 5\n");
});

test("mergeTrees adds trees; scaleTree scales them", () => {
  const a = fromFolded("[handler];fib (app.lua:4) 10\n[parse] 5\n");
  const b = fromFolded("[handler];fib (app.lua:4) 30\n[handler];churn_numbers (app.lua:9) 20\n");
  const m = mergeTrees([a, b]);
  assert.equal(
    toFolded(m),
    `[handler];churn_numbers (app.lua:9) 20
[handler];fib (app.lua:4) 40
[parse] 5
`,
  );
  assert.equal(m.total, 65);
  assert.equal(
    outline(m),
    `(root) 0/65
  [handler] 0/60
    fib (app.lua:4) 40/40
    churn_numbers (app.lua:9) 20/20
  [parse] 5/5`,
  );
  assert.equal(toFolded(mergeTrees([])), "");
  assert.equal(mergeTrees([]).total, 0);
  const s = scaleTree(m, 0.5);
  assert.equal(toFolded(s), "[handler];churn_numbers (app.lua:9) 10\n[handler];fib (app.lua:4) 20\n[parse] 3\n"); // 2.5 rounds to 3
  assert.equal(s.total, 32.5);
  assert.equal(m.total, 65, "the input is not modified");
});

test("hotSpots: self summed, total counted once per stack under recursion", () => {
  const t = fromFolded(`[handler];fib (app.lua:4) 10
[handler];fib (app.lua:4);fib (app.lua:4) 20
[handler];fib (app.lua:4);fib (app.lua:4);fib (app.lua:4) 30
[handler];fib (app.lua:4);fib (app.lua:4);string.rep ([C]) 15
[handler];churn_numbers (app.lua:9) 25
`);
  const lines = hotSpots(t, 10).map(
    (h) => `${frameLabel(h.frame)} self=${h.self} total=${h.total} self%=${(h.selfShare * 100).toFixed(1)} total%=${(h.totalShare * 100).toFixed(1)}`,
  );
  assert.deepEqual(lines, [
    "fib (app.lua:4) self=60 total=75 self%=60.0 total%=75.0",
    "churn_numbers (app.lua:9) self=25 total=25 self%=25.0 total%=25.0",
    "string.rep ([C]) self=15 total=15 self%=15.0 total%=15.0",
    "[handler] self=0 total=100 self%=0.0 total%=100.0",
  ]);
  assert.equal(hotSpots(t, 2).length, 2);
  assert.equal(hotSpots(t, 0).length, 0);
  // Mutual recursion a -> b -> a: each counted once.
  const mr = fromFolded("a;b;a;b 10\na 5\n");
  assert.deepEqual(
    hotSpots(mr, 5).map((h) => `${frameLabel(h.frame)} ${h.self}/${h.total}`),
    ["b 10/10", "a 5/15"],
  );
});

test("findFrames sums matching nodes without double-counting nested matches", () => {
  const t = fromFolded(`[handler];fib (app.lua:4);fib (app.lua:4) 20
[handler];fib (app.lua:4) 10
[handler];churn_numbers (app.lua:9);string.rep ([C]) 7
[parse] 3
`);
  assert.deepEqual(
    findFrames(t, (f) => f.name === "fib"),
    { self: 30, total: 30 },
  );
  assert.deepEqual(
    findFrames(t, (f) => f.kind === "lua"),
    { self: 30, total: 37 },
  );
  assert.deepEqual(
    findFrames(t, (f) => f.kind === "stage"),
    { self: 3, total: 40 },
  );
  assert.deepEqual(
    findFrames(t, () => false),
    { self: 0, total: 0 },
  );
});

test("very deep stacks (deep Lua recursion) do not overflow the JS stack", () => {
  const stack: Frame[] = [handler];
  for (let i = 0; i < 20000; i++) stack.push(fib);
  const b = new CallTreeBuilder();
  b.add(stack, 7);
  b.add(stack.slice(0, 100), 3);
  const t = b.build();
  assert.equal(t.total, 10);
  assert.equal(nodeCount(t), 20002);
  assert.equal(maxDepth(t), 20001);
  const spots = hotSpots(t, 5);
  assert.equal(spots[0].self, 10);
  assert.equal(spots[0].total, 10);
  assert.equal(toFolded(mergeTrees([t, scaleTree(t, 2)])).split("\n").length, 3);
});

test("pruneTree drops nodes under the threshold into their parent's self; totals stay", () => {
  const b = new CallTreeBuilder();
  b.add([handler, churn, fib], 900);
  b.add([handler, churn, rep], 5);
  b.add([handler, churn], 50);
  b.add([parse], 4);
  const t = b.build();
  const p = pruneTree(t, 0.01); // 9.59 µs of 959
  assert.equal(
    outline(p),
    ["(root) 4/959", "  [handler] 0/955", "    churn_numbers (app.lua:9) 55/955", "      fib (app.lua:4) 900/900"].join("\n"),
  );
  assert.equal(p.total, t.total);
  assert.equal(nodeCount(t), 6);
  assert.equal(outline(pruneTree(t, 0)), outline(t));
});
