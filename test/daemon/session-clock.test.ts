// The clock a compare's frames are drawn on: one slot per (round, side), in the order they ran.
import { test } from "node:test";
import assert from "node:assert/strict";
import { overall, type Plan } from "../../daemon/session-hub";

test("a round that outlasts its duration keeps its late frames in its own slot, so the clock never runs back", () => {
  const plan: Plan = { rounds: 2, sides: 2, durationMs: 1000 };
  // ab order: round 1 is A then B, round 2 is B then A: B's two rounds are slots 1 and 2, back to back.
  const late = overall({ phase: "measuring", message: "", elapsedMs: 1257, side: "B", round: { index: 0, count: 2 } }, plan);
  const next = overall({ phase: "measuring", message: "", elapsedMs: 256, side: "B", round: { index: 1, count: 2 } }, plan);
  assert.equal(late.elapsedMs, 2000);
  assert.equal(next.elapsedMs, 2256);
  assert.equal(next.durationMs, 4000);
  const first = overall({ phase: "measuring", message: "", elapsedMs: 10, side: "A", round: { index: 0, count: 2 } }, plan);
  const last = overall({ phase: "measuring", message: "", elapsedMs: 999, side: "A", round: { index: 1, count: 2 } }, plan);
  assert.deepEqual([first.elapsedMs, last.elapsedMs], [10, 3999]);
});
