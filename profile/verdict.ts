// Whether a metric changed between two runs, judged from its values per round (never from the
// requests of one round, which are not independent samples of the noise that matters: neighbours
// on the cores, CPU frequency, a load generator sharing the machine all move whole windows).
//
// The model, on a log scale so a change reads as a ratio: each round's value is the run's level
// plus round-to-round noise (σw), and two runs measured at different times differ by a run-to-run
// offset as well (σb). `moonscope ab` interleaves the two sides' rounds, so drift cancels and only
// σw is left; its rounds are paired (each A round next to a B round), and the noise that matters is
// that of the difference of neighbouring rounds (σp, smaller than √2·σw when drift is slow; larger
// when each side's process has its own luck, which interleaving cannot cancel). Round variance is
// estimated from the rounds, regularised by a prior measured on this project's reference machine,
// so three rounds cannot claim a precision they do not have. A change is called only when its
// interval (CONFIDENCE standard errors) excludes "no change" and it is above the metric's floor;
// otherwise the answer is "no change detected" with the smallest change this noise could have shown.

/** Standard errors an interval spans: 3 (≈ 99.7 %), because a comparison judges some 20 metrics at once. */
export const CONFIDENCE = 3;

/** Weight of the prior round-to-round noise, in rounds' worth of degrees of freedom. */
const PRIOR_DF = 4;

export interface NoiseModel {
  /** Round-to-round noise of ln(value) within one run. */
  withinSd: number;
  /** Noise of ln(B/A) for two neighbouring interleaved rounds (ab). */
  pairedSd: number;
  /** Run-to-run offset of ln(value) between sessions at different times (0 for an interleaved pair). */
  betweenSd: number;
  /** Relative changes below this are never called, however precise (practical significance). */
  floorRel: number;
  /** Absolute changes below this (in the metric's unit) are never called: below the clock's resolution. */
  floorAbs: number;
  /** true when a larger value is worse (latency, cost); false for throughput. */
  higherIsWorse: boolean;
}

export type Change = "slower" | "faster" | "no change";

export interface Judgement {
  /** The rounds' means (in the metric's unit). */
  before: number;
  after: number;
  /** The change as a ratio minus 1, from the rounds' geometric means (what the interval is about). */
  relative: number;
  /** The interval of the relative change at CONFIDENCE standard errors. */
  interval: [number, number];
  /** The smallest relative change this noise could have shown (half the interval's width, as a ratio). */
  detectable: number;
  change: Change;
  /** Why, in a few words a person can check. */
  why: string;
}

function mean(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

/** Sum of squared deviations from the mean. */
function squares(xs: number[]): number {
  const m = mean(xs);
  return xs.reduce((a, x) => a + (x - m) ** 2, 0);
}

const pct = (r: number) => `${(r * 100).toFixed(r !== 0 && Math.abs(r) < 0.1 ? 1 : 0)}%`;

/**
 * Judges one metric from its round values on each side. `paired`: the rounds were interleaved
 * (ab), same count, round i of each side next to each other in time. `separate`: the runs were
 * measured at different times (a plain compare), so the run-to-run offset counts too.
 */
export function judge(beforeRounds: number[], afterRounds: number[], model: NoiseModel, how: { paired: boolean; separate: boolean }): Judgement {
  const floor = Math.max(model.floorAbs, 1e-9);
  const x = beforeRounds.map((v) => Math.log(Math.max(v, floor)));
  const y = afterRounds.map((v) => Math.log(Math.max(v, floor)));
  // Shown as the rounds' plain means; judged on the logs (a ratio), floored at the resolution.
  const before = mean(beforeRounds);
  const after = mean(afterRounds);
  const d = mean(y) - mean(x);
  const n = x.length;
  const m = y.length;
  let variance: number;
  const prior = model.withinSd ** 2;
  if (how.paired && n === m) {
    // Differences of neighbouring rounds: drift cancels. One pair has no spread of its own: the prior alone.
    const diffs = y.map((v, i) => v - x[i]);
    const sd2 = (PRIOR_DF * model.pairedSd ** 2 + squares(diffs)) / (PRIOR_DF + n - 1);
    variance = sd2 / n;
  } else {
    const df = n - 1 + (m - 1);
    const sw2 = (PRIOR_DF * prior + squares(x) + squares(y)) / (PRIOR_DF + df);
    variance = sw2 * (1 / n + 1 / m);
  }
  if (how.separate) variance += 2 * model.betweenSd ** 2;
  const half = CONFIDENCE * Math.sqrt(variance);
  const interval: [number, number] = [Math.exp(d - half) - 1, Math.exp(d + half) - 1];
  const detectable = Math.exp(half) - 1;
  const relative = Math.exp(d) - 1;
  const outside = Math.abs(d) > half;
  const aboveFloor = Math.abs(relative) >= model.floorRel && Math.abs(after - before) >= model.floorAbs;
  let change: Change = "no change";
  if (outside && aboveFloor) change = (after > before) === model.higherIsWorse ? "slower" : "faster";
  const range = `${pct(interval[0])}…${pct(interval[1])}`;
  let why: string;
  if (change !== "no change") why = `interval ${range}`;
  else if (outside) why = `no change detected: ${pct(relative)} is below the ${pct(model.floorRel)} floor`;
  else why = `no change detected: this noise could have shown ±${pct(detectable)} (interval ${range})`;
  return { before, after, relative, interval, detectable, change, why };
}
