import { test } from "node:test";
import assert from "node:assert/strict";
import { nextTickIn } from "./measured-app";

test("live ticks sit on a 250 ms grid from the round's start, whatever a reply took", () => {
  assert.equal(nextTickIn(0), 250);
  assert.equal(nextTickIn(260), 240);
  assert.equal(nextTickIn(499), 25); // never back to back: at least a tenth of a tick
  assert.equal(nextTickIn(700), 50);
});
