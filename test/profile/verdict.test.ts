// Verdicts from rounds: a change is called only when it is outside what the noise could make.
import { test } from "node:test";
import assert from "node:assert/strict";
import { judge, type NoiseModel } from "../../profile/verdict";

const model: NoiseModel = { withinSd: 0.05, pairedSd: 0.07, betweenSd: 0.08, floorRel: 0.03, floorAbs: 1, higherIsWorse: true };
const separate = { paired: false, separate: true };
const interleaved = { paired: true, separate: false };

test("one round per side, measured apart: a doubling is called, a 10 % change is not, and the answer says what could have been seen", () => {
  const twice = judge([1000], [2000], model, separate);
  assert.equal(twice.change, "slower");
  assert.ok(Math.abs(twice.relative - 1) < 1e-9);
  assert.ok(twice.interval[0] > 0 && twice.interval[1] > twice.interval[0]);
  const small = judge([1000], [1100], model, separate);
  assert.equal(small.change, "no change");
  // σ² per side = 0.05² + 0.08²; the difference's sd is √2 of that; 3 of those: ±~49 %.
  const expected = Math.exp(3 * Math.sqrt(2 * (0.05 ** 2 + 0.08 ** 2))) - 1;
  assert.ok(Math.abs(small.detectable - expected) < 1e-9, `${small.detectable} vs ${expected}`);
  assert.match(small.why, /^no change detected: this noise could have shown ±\d+% \(interval -?\d+(\.\d)?%…\d+%\)$/);
});

test("interleaved rounds: a 20 % change stands out of rounds that agree, and rounds that scatter widen the interval", () => {
  const a = [1000, 1010, 990, 1005, 995];
  const b = a.map((v) => v * 1.2);
  const tight = judge(a, b, model, interleaved);
  assert.equal(tight.change, "slower");
  assert.ok(tight.detectable < 0.1, `detectable ${tight.detectable}`);
  const scattered = judge([1000, 1400, 800, 1300, 700], [1200, 1680, 960, 1560, 840].reverse(), model, interleaved);
  assert.equal(scattered.change, "no change");
  assert.ok(scattered.detectable > tight.detectable);
});

test("the prior keeps three identical rounds from claiming a precision they do not have", () => {
  const r = judge([1000, 1000, 1000], [1040, 1040, 1040], model, interleaved);
  // The rounds alone would say the 4 % is certain; the prior (σp = 7 %) says it is within noise.
  assert.equal(r.change, "no change");
  assert.ok(r.detectable > 0.04);
});

test("a precise change below the floor is not called, and says so", () => {
  const quiet: NoiseModel = { ...model, withinSd: 0.001, pairedSd: 0.001 };
  const a = Array.from({ length: 20 }, () => 1000);
  const r = judge(a, a.map((v) => v * 1.02), quiet, interleaved);
  assert.equal(r.change, "no change");
  assert.match(r.why, /below the 3\.0% floor/);
});

test("for throughput, lower is slower; values under the resolution are no change", () => {
  const rps = judge([2000], [1000], { ...model, higherIsWorse: false, floorAbs: 0 }, separate);
  assert.equal(rps.change, "slower");
  const zeros = judge([0, 0], [0.4, 0.2], model, interleaved);
  assert.equal(zeros.change, "no change");
  assert.equal(zeros.relative, 0);
});

test("unpaired rounds of different counts are judged on their means", () => {
  const r = judge([1000, 1020, 980], [2000, 1980], model, { paired: false, separate: true });
  assert.equal(r.change, "slower");
  assert.equal(r.before, 1000);
  assert.equal(r.after, 1990);
});

test("one interleaved pair is judged on the prior noise of a pair alone: a 30 % change is called, 15 % is not", () => {
  const big = judge([1000], [1300], model, interleaved);
  assert.equal(big.change, "slower");
  const small = judge([1000], [1150], model, interleaved);
  assert.equal(small.change, "no change");
  assert.ok(Math.abs(small.detectable - (Math.exp(3 * 0.07) - 1)) < 1e-9, `detectable ${small.detectable}`);
});
