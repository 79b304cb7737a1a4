// What a profile session needs of the app it measures, whichever way the app runs: `moonscope serve`
// over IPC (ServerProcess, the normal case) or one process under an outside profiler (ToolProcess).
// What one kind cannot do is said here, in the types, so the session never asks which kind it has.
import type { ProfileStartOptions, RouteInfo, StatsSnapshot, WorkerProfile } from "../../server-core/ipc";

/** What the profilers handed in. */
export interface ProfileHandIn {
  /** One per worker that answered. */
  profiles: WorkerProfile[];
  /** Workers that did not hand in their profile. */
  missing: number[];
  /** What the run's reader should know about this hand-in (for the run's warnings). */
  warnings: string[];
}

export interface ProfiledTarget {
  /** The app's routes, as its server reported them when it was ready. */
  readonly routes: RouteInfo[];
  readonly port: number;
  readonly alive: boolean;
  /** The tail of the app's output, for error messages. */
  readonly lastOutput: string;
  stats(reset?: boolean): Promise<StatsSnapshot>;
  /** Switches the profilers on for the measured window; a worker whose profiler failed is listed, not fatal. */
  startProfiling(o: ProfileStartOptions): Promise<{ workers: number[]; errors: string[] }>;
  /**
   * What the profilers saw since the last rotation, while they keep running (the live flamegraph).
   * Absent where the profilers hand in nothing before they stop.
   */
  rotateProfiling?(): Promise<ProfileHandIn>;
  /** Stops the profilers and hands in what they saw since the last rotation. */
  stopProfiling(): Promise<ProfileHandIn>;
  /** Stops the app; nothing it started survives graceMs. */
  stop(graceMs?: number): Promise<void>;
  /** Ends the app and everything it started at once. */
  kill(): void;
}
