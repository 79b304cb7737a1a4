import { test } from "node:test";
import assert from "node:assert/strict";
import { median, medianInterval } from "../../profile/median";

test("median of odd and even counts, and of none", () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.equal(median([]), 0);
});

test("the median's 95% interval from 12 values is the 3rd to the 10th smallest (96.1%)", () => {
  const xs = [12, 3, 7, 1, 9, 5, 11, 2, 8, 4, 10, 6];
  const ci = medianInterval(xs);
  assert.deepEqual([ci.low, ci.high], [3, 10]);
  assert.equal(ci.coverage.toFixed(3), "0.961");
});

test("8 values: the 2nd to the 7th would cover 93%, below 95%, so the whole range (99.2%); at 90% the 2nd to the 7th", () => {
  const ci = medianInterval([1, 2, 3, 4, 5, 6, 7, 8]);
  // P(B <= 1) = 9/256: 1 - 2 * 9/256 = 0.93 < 0.95, so r stays 1
  assert.deepEqual([ci.low, ci.high], [1, 8]);
  assert.equal(ci.coverage.toFixed(3), "0.992");
  const loose = medianInterval([1, 2, 3, 4, 5, 6, 7, 8], 0.9);
  assert.deepEqual([loose.low, loose.high], [2, 7]);
});

test("too few values for the level: the whole range, with the coverage it really has", () => {
  const ci = medianInterval([5, 1, 3, 2, 4]);
  assert.deepEqual([ci.low, ci.high], [1, 5]);
  assert.equal(ci.coverage.toFixed(4), "0.9375");
});

test("the interval holds the true median about as often as it says (simulated)", () => {
  let seed = 7;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  let held = 0;
  const tries = 2000;
  for (let t = 0; t < tries; t++) {
    const xs = Array.from({ length: 16 }, () => rand()); // uniform: true median 0.5
    const ci = medianInterval(xs);
    if (ci.low <= 0.5 && 0.5 <= ci.high) held++;
  }
  assert.ok(held / tries >= 0.94, `${held / tries}`);
});
