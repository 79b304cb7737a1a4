// The daemon's WebSocket stream (GET /ws?token=...): what it sends, split by direction, versioned.
import type { StoredTree } from "../profile/run";
import type { RouteEntry, RunSummary, SessionState, StageFrameRow, StartCompareParams, StartProfileParams, WireError, WorkerFrameRow } from "./types";

export const WS_PROTOCOL_VERSION = 1;

/** daemon → client */
export type ToClient =
  | { type: "hello"; protocolVersion: number; daemon: string; sessions: SessionState[]; runs: RunSummary[] }
  /**
   * About 4 times a second while a session measures. elapsedMs and durationMs count over the whole
   * measurement (a compare's rounds one after the other); side and round say which app and round
   * the figures are of, in a compare (side A: the run's code, B: the app now).
   */
  | {
      type: "frame";
      sessionId: number;
      route: string;
      elapsedMs: number;
      durationMs: number;
      requests: number;
      rps: number;
      serverP50Us: number;
      serverP99Us: number;
      stages: StageFrameRow[];
      workers: WorkerFrameRow[];
      side?: "A" | "B";
      round?: { index: number; count: number };
    }
  /** The merged flamegraph so far, about every 2 s while a session measures (nodes under 0.1% folded into their parent). */
  | { type: "tree"; sessionId: number; route: string; elapsedMs: number; tree: StoredTree }
  | { type: "state"; state: SessionState }
  | { type: "runDone"; sessionId: number; run: RunSummary }
  /** A compare session wrote both runs: before is the old code's, after the app's as it is now; headline is the one-line verdict. */
  | { type: "compareDone"; sessionId: number; before: RunSummary; after: RunSummary; headline: string }
  | { type: "error"; code: string; message: string };

/** What a dashboard may ask of the daemon over the socket, by method. */
export interface StreamRequests {
  /** Route handlers of the daemon's workspace (its Lua files). */
  listRoutes: { params: Record<string, never>; result: { routes: RouteEntry[] } };
  /** Answers once the session started (or MS_ERR_BUSY); progress and the run arrive as broadcasts. */
  startProfile: { params: StartProfileParams; result: { sessionId: number } };
  stopProfile: { params: { sessionId?: number }; result: { stopped: boolean } };
  /** Answers once the compare session started (or MS_ERR_BUSY, or why the run cannot be run again); it ends in compareDone. */
  startCompare: { params: StartCompareParams; result: { sessionId: number } };
}
export type StreamMethod = keyof StreamRequests;

/** client → daemon */
export type FromClient =
  | { type: "ping"; id: number }
  | { type: "listRuns" }
  | { type: "request"; id: number; method: StreamMethod; params: StreamRequests[StreamMethod]["params"] };

/** Answers to FromClient that are not broadcasts. */
export type Reply = { type: "pong"; id: number } | { type: "runs"; runs: RunSummary[] } | { type: "reply"; id: number; result?: unknown; error?: WireError };
