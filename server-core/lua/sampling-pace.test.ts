// The stack reader's pace: full rate while handlers run much of the time, slower (within a bound)
// while they rarely do, following an average rather than the last look.
import { test } from "node:test";
import assert from "node:assert/strict";
import { PACE, SamplingPace } from "./sampling-pace";

const MID = () => 0.5; // no jitter: the wait is the mean

test("a route whose handlers always run is looked at every interval", () => {
  const pace = new SamplingPace(2, MID);
  for (let i = 0; i < 1000; i++) assert.equal(pace.next(true), 2);
});

test("a route whose handlers never run is looked at 1/maxStretch as often, no less", () => {
  const pace = new SamplingPace(2, MID);
  let wait = 0;
  for (let i = 0; i < 1000; i++) wait = pace.next(false);
  assert.equal(wait, 2 * PACE.maxStretch);
});

test("handlers running a tenth of the time or more get the full rate; less, a rate in proportion", () => {
  // the mean wait once settled (the running average ripples with each look that finds a handler)
  const steady = (everyNth: number) => {
    const pace = new SamplingPace(2, MID);
    let sum = 0;
    for (let i = 0; i < 5000; i++) {
      const wait = pace.next(i % everyNth === 0);
      if (i >= 4000) sum += wait;
    }
    return sum / 1000;
  };
  assert.equal(steady(2), 2);
  assert.equal(steady(8), 2);
  assert.ok(steady(10) < 2.2, `${steady(10)}`);
  // one look in 20 finds a handler: a tenth over a twentieth is twice the interval, give or take the ripple
  assert.ok(Math.abs(steady(20) - 4) < 0.6, `${steady(20)}`);
});

test("one look that finds a handler does not bring back the full rate at once", () => {
  const pace = new SamplingPace(2, MID);
  for (let i = 0; i < 1000; i++) pace.next(false);
  assert.ok(pace.next(true) > 2 * 2, "still at most half the full rate");
});

test("a light route that turns heavy is back at the full rate within a few dozen looks", () => {
  const pace = new SamplingPace(2, MID);
  for (let i = 0; i < 1000; i++) pace.next(false);
  let looks = 0;
  while (pace.next(true) > 2) looks++;
  assert.ok(looks < 64, `${looks} looks`);
});

test("each wait is jittered around the mean: from half to one and a half of it", () => {
  assert.equal(new SamplingPace(2, () => 0).next(true), 1);
  assert.equal(new SamplingPace(2, () => 0.999999).next(true).toFixed(3), "3.000");
});
