import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, statSync } from "node:fs";
import path from "node:path";
import { fromFolded, hotSpots, toFolded, findFrames } from "../../profile/calltree";
import { type CpuProfile, classifyV8Frame, cpuProfileStacks, importCpuProfile, toCpuProfile } from "../../profile/cpuprofile";
import { type Frame, frameLabel } from "../../profile/frames";

const FIXTURE = path.join(__dirname, "..", "fixtures", "profile", "small.cpuprofile");
const load = (): CpuProfile => JSON.parse(readFileSync(FIXTURE, "utf8")) as CpuProfile;

/** Turns a synthesised call frame back into the frame it came from (kind guessed from the label). */
const classifyBack = (cf: CpuProfile["nodes"][number]["callFrame"]): Frame | null => {
  if (cf.functionName === "(root)") return null;
  const f: Frame = { name: cf.functionName, kind: "native" };
  if (cf.url) f.file = cf.url;
  if (cf.lineNumber >= 0) f.line = cf.lineNumber + 1;
  return f;
};

/** Structural validity, as DevTools needs it. */
function assertValidProfile(p: CpuProfile): void {
  const ids = new Set(p.nodes.map((n) => n.id));
  assert.equal(ids.size, p.nodes.length, "unique node ids");
  assert.equal(p.nodes[0].callFrame.functionName, "(root)", "first node is the root");
  const seen = new Set<number>();
  for (const n of p.nodes) {
    for (const c of n.children ?? []) {
      assert.ok(ids.has(c), `child ${c} exists`);
      assert.ok(!seen.has(c), `child ${c} has one parent`);
      seen.add(c);
    }
    for (const k of ["functionName", "scriptId", "url"] as const) assert.equal(typeof n.callFrame[k], "string");
    assert.ok(Number.isInteger(n.callFrame.lineNumber) && n.callFrame.lineNumber >= -1);
  }
  assert.equal(p.samples!.length, p.timeDeltas!.length);
  for (const s of p.samples!) assert.ok(ids.has(s), `sample ${s} names a node`);
  let hits = 0;
  for (const n of p.nodes) hits += n.hitCount ?? 0;
  assert.equal(hits, p.samples!.length, "hitCounts match the samples");
  let end = p.startTime;
  for (const d of p.timeDeltas!) {
    assert.ok(d >= 0);
    end += d;
  }
  assert.ok(Math.abs(end - p.endTime) < 1e-6, "endTime is the last sample's timestamp");
}

test("the fixture is a real V8 profile and small", () => {
  assert.ok(statSync(FIXTURE).size < 300 * 1024);
  const p = load();
  assert.ok(p.samples!.length > 100, `${p.samples!.length} samples`);
  assert.ok(p.nodes.some((n) => n.callFrame.functionName === "churnNumbers"));
});

test("importCpuProfile finds the hot inner function; the total is the profile's duration", () => {
  const p = load();
  const t = importCpuProfile(p, classifyV8Frame);
  const duration = p.endTime - p.startTime;
  assert.ok(Math.abs(t.total - duration) / duration < 0.05, `total ${t.total} µs vs duration ${duration} µs`);
  const churn = findFrames(t, (f) => f.name === "churnNumbers");
  assert.ok(churn.total / t.total > 0.6, `churnNumbers total share ${churn.total / t.total}`);
  const top = hotSpots(t, 1)[0];
  assert.equal(top.frame.name, "churnNumbers");
  assert.equal(top.frame.kind, "js-app");
  assert.match(top.frame.file!, /make-small-cpuprofile\.mjs$/);
  assert.equal(top.frame.line, 13, "1-based line of `function churnNumbers`");
  // busyLoop is churnNumbers' caller.
  const caller = findFrames(t, (f) => f.name === "busyLoop");
  assert.ok(caller.total >= churn.total);
  // "(root)" is dropped, "(garbage collector)" kept as gc, if sampled.
  assert.equal(findFrames(t, (f) => f.name === "(root)").total, 0);
  assert.ok(hotSpots(t, 100).every((h) => h.frame.kind !== "gc" || h.frame.name === "(garbage collector)"));
});

test("cpuProfileStacks: root-first stacks without (root), weights = time to the next sample", () => {
  const p: CpuProfile = {
    nodes: [
      { id: 1, callFrame: cf("(root)"), children: [2] },
      { id: 2, callFrame: cf("main", "a.js", 0), children: [3, 4] },
      { id: 3, callFrame: cf("work", "a.js", 4) },
      { id: 4, callFrame: cf("(garbage collector)") },
    ],
    startTime: 1000,
    endTime: 1000 + 10 + 100 + 100 + 300 + 50 + 200,
    samples: [3, 3, 2, 4, 3],
    timeDeltas: [10, 100, 100, 300, 50],
  };
  const lines = cpuProfileStacks(p).map((s) => `${s.stack.map((c) => c.functionName).join(";")} ${s.weight}`);
  // Samples at 1010, 1110, 1210, 1510, 1560; the last gets the median (100, 100, 300, 50 -> 100).
  assert.deepEqual(lines, ["main;work 200", "main 300", "main;(garbage collector) 50", "main;work 100"]);
  // The last sample never extends past endTime.
  assert.equal(cpuProfileStacks({ ...p, endTime: 1560 + 30 }).at(-1)!.weight, 30);
  // Out-of-order timestamps are sorted.
  const q = { ...p, samples: [3, 2], timeDeltas: [100, -50], endTime: 1200 };
  assert.deepEqual(
    cpuProfileStacks(q).map((s) => `${s.stack.map((c) => c.functionName).join(";")} ${s.weight}`),
    ["main 50", "main;work 50"],
  );
  // Without samples, hitCounts spread the duration.
  const h: CpuProfile = {
    nodes: [
      { id: 1, callFrame: cf("(root)"), children: [2] },
      { id: 2, callFrame: cf("main", "a.js", 0), hitCount: 1, children: [3] },
      { id: 3, callFrame: cf("work", "a.js", 4), hitCount: 3 },
    ],
    startTime: 0,
    endTime: 4000,
  };
  assert.equal(toFolded(importCpuProfile(h, classifyV8Frame)), "main (a.js:1) 1000\nmain (a.js:1);work (a.js:5) 3000\n");
});

test("toCpuProfile makes a valid profile that re-imports to the same tree", () => {
  const folded = `[handler];api.users.get (app.lua:12);json_encode (app.lua:30) 120345
[handler];api.users.get (app.lua:12);string.rep ([C]) 7
[handler];fib (app.lua:4);fib (app.lua:4) 50
[handler] 2
[parse] 3333
(garbage collector) 900
`;
  const t = fromFolded(folded);
  const p = toCpuProfile(t, { startTime: 5_000_000 });
  assertValidProfile(p);
  assert.equal(p.startTime, 5_000_000);
  const fibNode = p.nodes.find((n) => n.callFrame.functionName === "fib")!;
  assert.equal(fibNode.callFrame.url, "app.lua");
  assert.equal(fibNode.callFrame.lineNumber, 3, "0-based");
  // hitCount ~ self / 100 µs, so DevTools' hitCount-based views show the right proportions.
  const json = p.nodes.find((n) => n.callFrame.functionName === "json_encode")!;
  assert.equal(json.hitCount, 1203);
  const back = importCpuProfile(JSON.parse(JSON.stringify(p)) as CpuProfile, classifyBack);
  assert.equal(toFolded(back), sortLines(folded));
  assert.ok(Math.abs(back.total - t.total) < 1e-6);
});

test("a real profile survives toCpuProfile and back", () => {
  const t = importCpuProfile(load(), classifyV8Frame);
  const p = toCpuProfile(t);
  assertValidProfile(p);
  const back = importCpuProfile(p, classifyV8Frame);
  assertFoldedClose(toFolded(back), toFolded(t));
  assert.ok(Math.abs(back.total - t.total) < 1e-6);
  assert.deepEqual(
    hotSpots(back, 3).map((h) => frameLabel(h.frame)),
    hotSpots(t, 3).map((h) => frameLabel(h.frame)),
  );
});

test("an empty tree makes a valid, empty profile", () => {
  const p = toCpuProfile(fromFolded(""));
  assertValidProfile(p);
  assert.equal(importCpuProfile(p, classifyV8Frame).total, 0);
});

function cf(functionName: string, url = "", lineNumber = -1) {
  return { functionName, scriptId: url ? "1" : "0", url, lineNumber, columnNumber: lineNumber >= 0 ? 0 : -1 };
}

/** Same stacks, weights within 1 µs (a sum of float deltas may round the other way). */
function assertFoldedClose(actual: string, expected: string): void {
  const parse = (text: string) => text.trim().split("\n").map((l) => [l.slice(0, l.lastIndexOf(" ")), Number(l.slice(l.lastIndexOf(" ") + 1))] as const);
  const a = parse(actual);
  const e = parse(expected);
  assert.deepEqual(a.map((x) => x[0]), e.map((x) => x[0]));
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i][1] - e[i][1]) <= 1, `${a[i][0]}: ${a[i][1]} vs ${e[i][1]}`);
}

function sortLines(text: string): string {
  return (
    text
      .trim()
      .split("\n")
      .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
      .join("\n") + "\n"
  );
}
