// Messages between the master and its workers, and between the master and a parent process
// (the daemon, a test, the bench) that started `moonscope serve` with an IPC channel.
import type { HistogramData } from "../profile/histogram";
import type { ErrorCode } from "../profile/errors";
import type { RouteStatsData } from "./stages";
import type { LuaProfileData } from "./lua/sampler";

export type { LuaProfileData, LuaFrameInfo } from "./lua/sampler";

export interface ProfileStartOptions {
  /** V8 CPU profiler sampling interval. */
  cpuIntervalUs: number;
  /** Lua stack sampling interval while a handler runs; 0 turns the Lua sampler off. */
  luaIntervalMs: number;
}

/** What one worker's profilers saw between profile-start and profile-stop. */
export interface WorkerProfile {
  worker: number;
  pid: number;
  /** A V8 .cpuprofile object (Profiler.stop), null if the CPU profiler did not run. */
  cpuprofile: unknown;
  lua: LuaProfileData | null;
  /** CPU milliseconds V8's sampling thread used for this hand-in (Linux; absent elsewhere and from older workers). */
  v8SamplerCpuMs?: number;
  error?: string;
}

export interface RouteInfo {
  method: string;
  path: string;
  name: string;
  /** The file that defines the handler, relative to the app's folder ("app.lua", "handlers/users.lua"), absolute outside it. */
  file: string;
  line: number;
}

export interface WorkerResources {
  worker: number;
  pid: number;
  /** CPU% of one core since the previous snapshot. */
  cpuPercent: number;
  /** Cumulative CPU time of the process (for percentages over any window the reader picks). */
  cpuUserMs: number;
  cpuSystemMs: number;
  rssBytes: number;
  luaHeapBytes: number;
  eventLoopDelay: HistogramData;
  gcPause: HistogramData;
  connections: number;
  uptimeMs: number;
}

export interface WorkerSnapshot {
  worker: number;
  pid: number;
  routes: RouteStatsData[];
  resources: WorkerResources;
}

export interface StatsSnapshot {
  time: number;
  workers: WorkerSnapshot[];
  /** Workers that did not answer in time (busy in a long handler, or dead). */
  missing: number[];
  restarts: number;
}

// worker -> master
export type FromWorker =
  | { type: "ready"; worker: number; routes: RouteInfo[] }
  | { type: "load-error"; code: ErrorCode; message: string; details?: Record<string, unknown> }
  | { type: "stats"; id: number; snapshot: WorkerSnapshot }
  | { type: "profile-started"; id: number; error?: string }
  | { type: "profile"; id: number; profile: WorkerProfile }
  /** A worker answering GET /__moonscope/stats needs every worker's numbers. */
  | { type: "merged-stats-request"; id: number; reset?: boolean }
  /** A worker answering a Prometheus scrape (--metrics) needs the master's exposition text. */
  | { type: "metrics-request"; id: number }
  | { type: "event"; level: "info" | "warn" | "error"; code: ErrorCode; message: string }
  /** The answer to a liveness ping; also sent unasked, about once a second, while requests keep ending (see watchdog.ts). */
  | { type: "pong" };

// master -> worker
export type ToWorker =
  | { type: "stats"; id: number; reset?: boolean }
  | { type: "merged-stats"; id: number; json: string }
  | { type: "metrics"; id: number; text: string }
  | ({ type: "profile-start"; id: number } & ProfileStartOptions)
  /** rotate: hand in what was sampled so far and keep sampling (the live flamegraph). */
  | { type: "profile-stop"; id: number; rotate?: boolean }
  | { type: "shutdown"; graceMs: number }
  /** Liveness: a worker whose event loop does not answer for a while is replaced (see Master). */
  | { type: "ping" };

// master -> parent
export type FromMaster =
  | { type: "ready"; port: number; host: string; workers: number; pids: number[]; routes: RouteInfo[] }
  | { type: "start-error"; code: ErrorCode; message: string; details?: Record<string, unknown> }
  | { type: "stats"; id: number; snapshot: StatsSnapshot }
  | { type: "profile-started"; id: number; workers: number[]; errors: string[] }
  | { type: "profiles"; id: number; profiles: WorkerProfile[]; missing: number[] }
  | { type: "event"; level: "info" | "warn" | "error"; code: ErrorCode; message: string; worker?: number }
  | { type: "exit"; code: number };

// parent -> master
export type ToMaster =
  | { type: "stats"; id: number; reset?: boolean }
  | ({ type: "profile-start"; id: number } & ProfileStartOptions)
  | { type: "profile-stop"; id: number; rotate?: boolean }
  | { type: "shutdown" };
