// Picks the load generator: wrk when installed (lighter on 2 cores), autocannon otherwise, and the
// built-in open-loop generator for a fixed --rate (coordinated-omission corrected).
import { findWrk, runWrk } from "./wrk";
import { runAutocannon } from "./autocannon";
import { runOpenLoop } from "./open-loop";
import { settleMsFor, type LoadGeneratorName, type LoadOptions, type LoadResult, type OnRelease } from "./types";

export type { LoadGeneratorName, LoadOptions, LoadResult, LoadSource, OnRelease } from "./types";
export { abortedResult } from "./types";

export function chooseGenerator(wanted?: LoadGeneratorName, rate?: number): LoadGeneratorName {
  if (rate) return "open-loop";
  if (wanted) return wanted;
  return findWrk() ? "wrk" : "autocannon";
}

/** Runs one load; with opts.settleMs, onRelease hears when the first requests go out. */
export function runLoad(generator: LoadGeneratorName, opts: LoadOptions, signal?: AbortSignal, onRelease?: OnRelease): Promise<LoadResult> {
  if (generator === "open-loop") return runOpenLoop(opts, signal, onRelease);
  return generator === "wrk" ? runWrk(opts, signal, onRelease) : runAutocannon(opts, signal, onRelease);
}

/**
 * A measured load: its connections settle first (LoadOptions.settleMs), and `from` is when its
 * first requests went out (performance.now()), where the measurement starts; when the generator
 * started, if it never said. onRelease hears that moment as it happens.
 */
export async function runMeasuredLoad(generator: LoadGeneratorName, opts: Omit<LoadOptions, "settleMs">, signal?: AbortSignal, onRelease?: OnRelease): Promise<{ load: LoadResult; from: number }> {
  let from = performance.now();
  const load = await runLoad(generator, { ...opts, settleMs: settleMsFor(opts.connections) }, signal, (at) => {
    from = at;
    onRelease?.(at);
  });
  return { load, from };
}
