// Picks the load generator: wrk when installed (lighter on 2 cores), autocannon otherwise.
import { findWrk, runWrk } from "./wrk";
import { runAutocannon } from "./autocannon";
import type { LoadGeneratorName, LoadOptions, LoadResult } from "./types";

export type { LoadGeneratorName, LoadOptions, LoadResult } from "./types";
export { abortedResult } from "./types";

export function chooseGenerator(wanted?: LoadGeneratorName, rate?: number): LoadGeneratorName {
  if (wanted) return wanted;
  if (rate) return "autocannon";
  return findWrk() ? "wrk" : "autocannon";
}

export function runLoad(generator: LoadGeneratorName, opts: LoadOptions, signal?: AbortSignal): Promise<LoadResult> {
  return generator === "wrk" ? runWrk(opts, signal) : runAutocannon(opts, signal);
}
