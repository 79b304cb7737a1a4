// What a measuring session is given and what it reports, for the sessions (profile, ab), the app
// they measure step by step, and their callers (the CLI, the session hub).
import type { CallTree } from "../../profile/calltree";
import type { RunFile, StoredTree } from "../../profile/run";
import type { StageFrameRow, WorkerFrameRow } from "../../protocol/types";
import type { LoadChoice } from "../../profile/run";
import type { RunSettings } from "../report/run-file";

export interface ProfileSessionOptions extends RunSettings {
  route: string;
  /** Measured rounds (default 1), each of durationMs. */
  runs?: number;
  /** Who drives the load (absent: wrk when installed); external: whatever arrives at the URL the session reports. */
  load?: LoadChoice;
  /** Where the app listens (default 127.0.0.1, a free port): for load from elsewhere. */
  host?: string;
  port?: number;
  out?: string;
  cpuIntervalUs?: number;
  luaIntervalMs?: number;
  body?: string;
  headers?: Record<string, string>;
  /** --lua-path for the app's require (absolute entries). */
  luaPath?: string;
  /** Folder that holds .moonscope/runs (default: the current directory). */
  workspace?: string;
  cliPath?: string;
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
  /** The merged flamegraph so far, every couple of seconds while measuring (mode sample). */
  onTree?: (tree: StoredTree, elapsedMs: number) => void;
  onLog?: (line: string) => void;
}

export type Phase = "starting" | "warmup" | "measuring" | "collecting" | "writing" | "done";

export interface Progress {
  phase: Phase;
  message: string;
  elapsedMs?: number;
  durationMs?: number;
  requests?: number;
  rps?: number;
  serverP50Us?: number;
  serverP99Us?: number;
  /** The route's stage table so far (while measuring). */
  stages?: StageFrameRow[];
  /** Per worker, so imbalance shows (while measuring). */
  workers?: WorkerFrameRow[];
  /** Which round is being measured, when a run has several (elapsedMs counts within it). */
  round?: { index: number; count: number };
  /** With external load: the URL to point it at (announced once, before the warm-up; the message says what to do). */
  loadUrl?: string;
  /** Which app of `moonscope ab` the progress is about. */
  side?: "A" | "B";
}

export interface SessionResult {
  run: RunFile;
  dir: string;
  merged: CallTree | null;
}

