// The daemon's WebSocket stream (GET /ws?token=...): what it sends, split by direction, versioned.
import type { RunSummary, SessionState } from "./lsp";

export const WS_PROTOCOL_VERSION = 1;

export interface StageFrameRow {
  stage: string;
  p50Us: number;
  p99Us: number;
  meanUs: number;
  share: number;
}

/** daemon → client */
export type ToClient =
  | { type: "hello"; protocolVersion: number; daemon: string; sessions: SessionState[]; runs: RunSummary[] }
  /** About 4 times a second while a session measures. */
  | { type: "frame"; sessionId: number; route: string; elapsedMs: number; durationMs: number; requests: number; rps: number; serverP50Us: number; serverP99Us: number; stages: StageFrameRow[] }
  | { type: "state"; state: SessionState }
  | { type: "runDone"; sessionId: number; run: RunSummary }
  | { type: "error"; code: string; message: string };

/** client → daemon */
export type FromClient = { type: "ping"; id: number } | { type: "listRuns" };

/** Answers to FromClient that are not broadcasts. */
export type Reply = { type: "pong"; id: number } | { type: "runs"; runs: RunSummary[] };
