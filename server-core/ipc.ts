// Messages between the master and its workers, and between the master and a parent process
// (the daemon, a test, the bench) that started `moonscope serve` with an IPC channel.
import type { HistogramData } from "../profile/histogram";
import type { RouteStatsData } from "./stages";

export interface RouteInfo {
  method: string;
  path: string;
  name: string;
  line: number;
}

export interface WorkerResources {
  worker: number;
  pid: number;
  /** CPU% of one core since the previous snapshot. */
  cpuPercent: number;
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
  | { type: "load-error"; code: string; message: string; details?: Record<string, unknown> }
  | { type: "stats"; id: number; snapshot: WorkerSnapshot }
  /** A worker answering GET /__moonscope/stats needs every worker's numbers. */
  | { type: "merged-stats-request"; id: number }
  | { type: "event"; level: "info" | "warn" | "error"; code: string; message: string };

// master -> worker
export type ToWorker =
  | { type: "stats"; id: number; reset?: boolean }
  | { type: "merged-stats"; id: number; json: string }
  | { type: "shutdown"; graceMs: number };

// master -> parent
export type FromMaster =
  | { type: "ready"; port: number; host: string; workers: number; pids: number[]; routes: RouteInfo[] }
  | { type: "start-error"; code: string; message: string; details?: Record<string, unknown> }
  | { type: "stats"; id: number; snapshot: StatsSnapshot }
  | { type: "event"; level: "info" | "warn" | "error"; code: string; message: string; worker?: number }
  | { type: "exit"; code: number };

// parent -> master
export type ToMaster = { type: "stats"; id: number; reset?: boolean } | { type: "shutdown" };
