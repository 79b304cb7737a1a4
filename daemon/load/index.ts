// Picks the load generator: wrk when installed (lighter on 2 cores), autocannon otherwise, and the
// built-in open-loop generator for a fixed --rate (coordinated-omission corrected).
import { findWrk, runWrk } from "./wrk";
import { runAutocannon } from "./autocannon";
import { runOpenLoop } from "./open-loop";
import type { LoadGeneratorName, LoadOptions, LoadResult, OnRelease } from "./types";

export type { LoadGeneratorName, LoadOptions, LoadResult, LoadSource, OnRelease } from "./types";
export { abortedResult, settleMsFor } from "./types";

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
