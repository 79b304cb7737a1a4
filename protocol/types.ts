// The vocabulary every process shares: routes, profile options and their defaults, sessions, run
// summaries, live frames. lsp.ts (editor ⇄ daemon), ws.ts (dashboard ⇄ daemon) and panel.ts
// (panel ⇄ its host) are built from these, and none of them imports another's messages.
import type { LoadChoice, RunMode } from "../profile/run";

export type { LoadChoice, RunMode } from "../profile/run";
export { LOAD_CHOICES } from "../profile/run";
export type { StoredTree } from "../profile/run";
export type { HotLineRow, RunFile } from "../profile/run";
/** What a hot line is in words (the editor's hover, the panel's tooltip, the report). */
export { hotLineNote } from "../profile/hot-lines";

export interface RouteEntry {
  uri: string;
  /** The file that defines the handler (the app's own file, or a module it requires). */
  file: string;
  /** The app entry that serves the route, when it is not `file` (a handler in a module). */
  appFile?: string;
  /** 0-based. */
  line: number;
  method: string;
  path: string;
  name: string;
}

export interface ProfileOptions {
  durationMs?: number;
  warmupMs?: number;
  connections?: number;
  /** Fixed request rate in req/s; 0 or absent: closed loop over `connections`. */
  rate?: number;
  /** Server workers; 0 or absent: {@link AUTO_WORKERS_TEXT}. */
  workers?: number;
  mode?: RunMode;
  /**
   * Who drives the load: wrk or autocannon (absent: wrk when installed), or "external": the app
   * waits at a URL the session reports (Progress.loadUrl) and measures whatever arrives there.
   */
  load?: LoadChoice;
  /** "p99=5ms,rps=20000,errors=0": a run that misses one is flagged (and its handler gets a warning). */
  budgets?: string;
  /** The request's body (POST/PUT routes) and extra headers, as `--body` and `--header` give them. */
  body?: string;
  headers?: Record<string, string>;
}

/** The options that are numbers (ms, counts, req/s), checked as such wherever they arrive. */
export const NUMERIC_PROFILE_OPTIONS = ["durationMs", "warmupMs", "connections", "rate", "workers"] as const;

/** What 0 workers means for a measured run (daemon/session/measured-app.ts computes it: autoWorkers). */
export const AUTO_WORKERS_TEXT = "one per CPU less one, at least one";

/**
 * What a profile does when nothing says otherwise: `moonscope profile`, the daemon's sessions and
 * the extension's settings (package.json's defaults are checked against these by a test).
 */
export const PROFILE_DEFAULTS = {
  durationMs: 10_000,
  warmupMs: 2_000,
  connections: 50,
  /** 0: closed loop. */
  rate: 0,
  /** 0: {@link AUTO_WORKERS_TEXT}. */
  workers: 0,
  mode: "sample",
  cpuIntervalUs: 10_000,
  luaIntervalMs: 2,
} as const satisfies Required<Omit<ProfileOptions, "budgets" | "load" | "body" | "headers">> & { cpuIntervalUs: number; luaIntervalMs: number };

/**
 * \`moonscope ab\` and "compare with the last run": rounds per side and each round's length. Five
 * interleaved rounds of 5 s detect a 20 % change in the handler (see the README's "Reading a
 * comparison") in under a minute of measuring.
 */
export const AB_DEFAULTS = { runs: 5, durationMs: 5_000 } as const;

export interface StartProfileParams {
  /** The Lua file that holds the handler: the app's entry, or a module of it (the daemon finds the entry that requires it). */
  uri: string;
  /** "GET /users/:id" or a concrete "GET /users/42". */
  route: string;
  options?: ProfileOptions;
}

/**
 * "Compare with the last run": the code a run measured (its copy of the app, side A, "before") and
 * that app as it is now (side B, "after"), their rounds interleaved as `moonscope ab` does.
 */
export interface StartCompareParams {
  /** The run whose code is "before". */
  run: string;
  /** The load, as the profile settings say; a round's length (durationMs) and the rounds default to AB_DEFAULTS. */
  options?: ProfileOptions & { runs?: number };
}

export interface RunSummary {
  id: string;
  dir: string;
  createdAt: string;
  appFile: string;
  route: string;
  rps: number;
  p50Us: number;
  p99Us: number;
  topStage: string;
  topStageShare: number;
  verdict: string;
  budgetsMissed: string[];
  /** The profiler mode (absent in a summary of an unreadable run). */
  mode?: RunMode;
  /** The Node that ran the app: "v20.17.0", or "v20.18.1 (inside Electron 32.2.6)" for an editor's own. */
  node?: string;
  /** Set when the run file could not be read; the run is still listed. */
  error?: string;
}

export type SessionPhase = "starting" | "warmup" | "measuring" | "collecting" | "writing" | "done" | "failed" | "cancelled";

export interface SessionState {
  sessionId: number;
  /** A profile (absent in older daemons) or an interleaved compare (startCompare). */
  kind?: "profile" | "compare";
  route: string;
  appFile: string;
  phase: SessionPhase;
  message: string;
  /** Over the whole measurement: a compare's rounds of both sides count one after the other. */
  elapsedMs?: number;
  durationMs?: number;
  rps?: number;
  serverP99Us?: number;
  /** With load from elsewhere: where to send the requests (set once the app listens). */
  loadUrl?: string;
  run?: RunSummary;
  error?: { code: string; message: string };
}

export interface StageFrameRow {
  stage: string;
  p50Us: number;
  p99Us: number;
  meanUs: number;
  share: number;
}

/** One worker's view of the route over the last tick, so the panel can show imbalance between workers. */
export interface WorkerFrameRow {
  worker: number;
  pid: number;
  /** Requests of the route since the measurement started. */
  requests: number;
  rps: number;
  serverP50Us: number;
  serverP99Us: number;
  /** CPU% of one core over the last tick. */
  cpuPercent: number;
  stages: StageFrameRow[];
}

/** A request's failure as it crosses a process boundary (LSP data, socket replies, panel replies). */
export interface WireError {
  code: string;
  message: string;
}
