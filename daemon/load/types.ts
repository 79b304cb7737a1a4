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
  /**
   * Open every connection first and send nothing for at least this long, so the server holds them
   * all before the first request; the time is not part of durationMs or of any figure. Without it a
   * measurement starts with a ramp: node:cluster hands a busy worker one new connection per turn of
   * its event loop, so on a CPU-heavy route the last of 50 connections opened under load reached its
   * worker 0.7 s late, and those first requests made the client p99 0.4 s where it was 0.05 s.
   * A generator may settle longer (wrk counts whole seconds); CONNECTED_MARK says by how much.
   */
  settleMs?: number;
}

/**
 * How long a measured round's connections settle: an idle worker takes a handed-over connection in
 * well under a millisecond, so 1 ms each (as if one worker took them all) plus a margin for a busy
 * machine.
 */
export function settleMsFor(connections: number): number {
  return 250 + connections;
}

/**
 * How long wrk and autocannon settle: at least settleMs, and longer where that makes settling and
 * measuring together a whole number of seconds. wrk's --duration takes whole seconds, and
 * autocannon stops on its first once-a-second tick after its duration (5.3 s ran for 6).
 */
export function wholeSecondSettle(o: Pick<LoadOptions, "durationMs" | "settleMs">): number {
  const settleMs = o.settleMs ?? 0;
  if (settleMs <= 0) return 0;
  return Math.ceil((o.durationMs + settleMs) / 1000) * 1000 - o.durationMs;
}

/** Called once with the time (performance.now()) a settling generator sends its first requests. */
export type OnRelease = (at: number) => void;

/**
 * The stdout line a settling generator writes once its connections are open, followed by JSON
 * { "releaseInMs": n }: its first requests go out n ms later.
 */
export const CONNECTED_MARK = "MOONSCOPE_CONNECTED ";

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
