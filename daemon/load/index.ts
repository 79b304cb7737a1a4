// Picks the load generator: wrk when installed (lighter on 2 cores), autocannon otherwise, and the
// built-in open-loop generator for a fixed --rate (coordinated-omission corrected).
import { findWrk, runWrk } from "./wrk";
import { runAutocannon } from "./autocannon";
import { runOpenLoop } from "./open-loop";
import type { LoadGeneratorName, LoadOptions, LoadResult } from "./types";

export type { LoadGeneratorName, LoadOptions, LoadResult, LoadSource } from "./types";
export { abortedResult } from "./types";

export function chooseGenerator(wanted?: LoadGeneratorName, rate?: number): LoadGeneratorName {
  if (rate) return "open-loop";
  if (wanted) return wanted;
  return findWrk() ? "wrk" : "autocannon";
}

export function runLoad(generator: LoadGeneratorName, opts: LoadOptions, signal?: AbortSignal): Promise<LoadResult> {
  if (generator === "open-loop") return runOpenLoop(opts, signal);
  return generator === "wrk" ? runWrk(opts, signal) : runAutocannon(opts, signal);
}
