// What a load generator run produces, whichever generator ran.

import type { LoadGeneratorName, LoadSource } from "../../profile/run";

// open-loop: the built-in fixed-rate generator with coordinated-omission correction (used for --rate).
export type { LoadGeneratorName, LoadSource } from "../../profile/run";

export interface LoadOptions {
  url: string;
  method?: string;
  body?: string;
  headers?: Record<string, string>;
  connections: number;
  durationMs: number;
  /** Fixed request rate (req/s) for open-loop load; closed loop when absent. */
  rate?: number;
  /** Threads (wrk only). */
  threads?: number;
}

export interface LoadResult {
  /** external: no generator of ours ran; the numbers are the server's (see serverSideLoad). */
  generator: LoadSource;
  requests: number;
  durationMs: number;
  rps: number;
  bytesPerSec: number;
  latencyUs: { min: number; mean: number; p50: number; p90: number; p99: number; p999: number; max: number };
  /** Responses with a status outside 2xx/3xx. */
  non2xx: number;
  /** Connect/read/write errors and timeouts. */
  errors: number;
  /** CPU% of one core the generator itself used (100 = one core saturated). */
  cpuPercent: number;
  /** Stopped early (Ctrl-C, cancel) before the generator could report: its numbers are missing. */
  aborted?: boolean;
  warnings?: string[];
}

/** The line prefix each generator's child process reports its result with (parent and child read it here). */
export const REPORT_MARK = { wrk: "MOONSCOPE_WRK ", autocannon: "MOONSCOPE_AUTOCANNON ", "open-loop": "MOONSCOPE_OPENLOOP " } as const satisfies Record<LoadGeneratorName, string>;

/** The result of a run stopped before the generator reported anything. */
export function abortedResult(generator: LoadGeneratorName, durationMs: number, cpuPercent: number): LoadResult {
  return {
    generator,
    requests: 0,
    durationMs,
    rps: 0,
    bytesPerSec: 0,
    latencyUs: { min: 0, mean: 0, p50: 0, p90: 0, p99: 0, p999: 0, max: 0 },
    non2xx: 0,
    errors: 0,
    cpuPercent,
    aborted: true,
  };
}
