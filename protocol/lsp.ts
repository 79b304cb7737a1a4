// The daemon's custom LSP requests and notifications, declared once (method name + types) and
// imported by both ends: the extension asks with Ctx.request(decl, params), the language server
// answers with handle(decl, fn), so the compiler checks both against the same declaration.
import type { Comparison, Headline } from "../profile/compare";
import type { ExportFormat } from "../profile/exports";
import type { RunFile } from "../profile/run";
import { notification, request } from "./dispatch";
import type { RouteEntry, RunSummary, SessionState, StartCompareParams, StartProfileParams } from "./types";
import type { ToClient } from "./ws";

export type { NotificationDecl, RequestDecl } from "./dispatch";
export * from "./types";

export const listRoutes = request<{ uri?: string }, { routes: RouteEntry[] }>("moonscope/listRoutes");
/** Resolves when the run is written (or fails); progress arrives as sessionState notifications. */
export const startProfile = request<StartProfileParams, { sessionId: number; run: RunSummary }>("moonscope/startProfile");
/**
 * Runs a compare session (types.ts StartCompareParams) and resolves when both runs are written:
 * their summaries, the comparison (its per-frame deltas cut to the 50 largest), its one-line
 * headline and the differential flamegraph in the second run's folder. Progress arrives as
 * sessionState notifications (kind "compare"); stopProfile stops it too.
 */
export const startCompare = request<StartCompareParams, StartCompareResult>("moonscope/startCompare");
export interface StartCompareResult {
  sessionId: number;
  before: RunSummary;
  after: RunSummary;
  comparison: Comparison;
  headline: Headline;
  svgFile: string | null;
}
export const stopProfile = request<{ sessionId?: number }, { stopped: boolean }>("moonscope/stopProfile");
export const listRuns = request<{ route?: string }, { runs: RunSummary[] }>("moonscope/listRuns");
/** The whole run.json, and the folder it is in. */
export const getRun = request<{ id: string }, { run: RunFile; dir: string }>("moonscope/getRun");
export const exportRun = request<{ id: string; format: ExportFormat; file: string }, { file: string; bytes: number }>("moonscope/exportRun");
/** The comparison (its per-frame deltas cut to the 50 largest) and the differential flamegraph written beside the second run. */
export const compareRuns = request<{ before: string; after: string; svgFile?: string }, { comparison: Comparison; svgFile: string | null }>("moonscope/compareRuns");
/**
 * Deletes a run's folder (run store rules: not one a living process still writes, nor the run a
 * running compare measures again: MS_ERR_RUN_IN_USE).
 */
export const deleteRun = request<{ id: string }, { deleted: string }>("moonscope/deleteRun");
export const getSessionState = request<Record<string, never>, { sessions: SessionState[] }>("moonscope/sessionState");
export const sessionState = notification<SessionState>("moonscope/sessionStateChanged");
/** Every message of the live stream (ws.ts ToClient) also goes to the LSP client, so the editor's panel needs no socket of its own (and works when VS Code runs remote). */
export const streamMessage = notification<ToClient>("moonscope/stream");
/** Starts (once) and describes the daemon's live stream (ws.ts) on 127.0.0.1. */
export const streamInfo = request<Record<string, never>, { url: string; wsUrl: string; port: number; token: string }>("moonscope/streamInfo");

/** Commands the code lenses carry (implemented by the extension). */
export const COMMANDS = {
  profileRoute: "moonscope.profileRoute",
  openRun: "moonscope.openRun",
} as const;
