// How long the stack reader sleeps between looks. Each look is a thread wake-up, which on this kind
// of machine costs about 20-40 µs of CPU whether or not it finds a handler running, and a wake-up
// that finds none records nothing. On a light route (hello: the handler runs about 2% of the time)
// almost every look is wasted, and the wake-ups alone cost the worker more throughput than the
// samples they find are worth. So the reader looks less often while it rarely finds a handler
// running, down to a quarter of the rate, and at the full rate once handlers run a tenth of the
// time or more (a CPU-heavy route always; Rover's example app about that).
//
// The rate follows a slow average of what the looks found, never the last look alone: a sample's
// place inside a handler must not depend on what the previous sample saw, or the shares of the Lua
// functions would be skewed. Each wait is also jittered (uniform, same mean), so the looks cannot
// fall into step with a handler that runs on a timer.

export const PACE = {
  /** Handlers running this share of the time or more get the full rate. */
  fullRateDuty: 0.1,
  /** The rate never falls below 1/maxStretch of the full rate (short profiles of light routes still get samples). */
  maxStretch: 4,
  /** Weight of one look in the running average of what the looks found (about 32 looks of memory). */
  smoothing: 1 / 32,
} as const;

export class SamplingPace {
  private readonly intervalMs: number;
  private readonly random: () => number;
  /** Running average of the share of looks that found a handler running; starts as if all did (full rate). */
  private duty = 1;

  constructor(intervalMs: number, random: () => number = Math.random) {
    this.intervalMs = intervalMs;
    this.random = random;
  }

  /** After a look that found a handler running (hit) or not: how long to wait before the next (ms). */
  next(hit: boolean): number {
    this.duty += ((hit ? 1 : 0) - this.duty) * PACE.smoothing;
    return this.meanWaitMs() * (0.5 + this.random());
  }

  /** The mean wait at the current pace (ms). */
  meanWaitMs(): number {
    return this.intervalMs * Math.min(PACE.maxStretch, Math.max(1, PACE.fullRateDuty / this.duty));
  }
}
