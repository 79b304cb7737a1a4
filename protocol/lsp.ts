// The daemon's custom LSP requests and notifications, declared once (method name + types) and
// imported by both ends. The extension and the daemon wrap them in vscode-jsonrpc's RequestType.

/** A typed request declaration: the method name, with the param and result types carried along. */
export interface RequestDecl<P, R> {
  readonly method: string;
  readonly _types?: [P, R];
}
export interface NotificationDecl<P> {
  readonly method: string;
  readonly _types?: P;
}
function request<P, R>(method: string): RequestDecl<P, R> {
  return { method };
}
function notification<P>(method: string): NotificationDecl<P> {
  return { method };
}

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
  rate?: number;
  workers?: number;
  mode?: string;
  /** "p99=5ms,rps=20000,errors=0": a run that misses one is flagged (and its handler gets a warning). */
  budgets?: string;
}

export interface StartProfileParams {
  /** The Lua file that holds the handler: the app's entry, or a module of it (the daemon finds the entry that requires it). */
  uri: string;
  /** "GET /users/:id" or a concrete "GET /users/42". */
  route: string;
  options?: ProfileOptions;
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
  /** Set when the run file could not be read; the run is still listed. */
  error?: string;
}

export type SessionPhase = "starting" | "warmup" | "measuring" | "collecting" | "writing" | "done" | "failed" | "cancelled";

export interface SessionState {
  sessionId: number;
  route: string;
  appFile: string;
  phase: SessionPhase;
  message: string;
  elapsedMs?: number;
  durationMs?: number;
  rps?: number;
  serverP99Us?: number;
  run?: RunSummary;
  error?: { code: string; message: string };
}

export const listRoutes = request<{ uri?: string }, { routes: RouteEntry[] }>("moonscope/listRoutes");
/** Resolves when the run is written (or fails); progress arrives as sessionState notifications. */
export const startProfile = request<StartProfileParams, { sessionId: number; run: RunSummary }>("moonscope/startProfile");
export const stopProfile = request<{ sessionId?: number }, { stopped: boolean }>("moonscope/stopProfile");
export const listRuns = request<{ route?: string }, { runs: RunSummary[] }>("moonscope/listRuns");
/** The whole run.json (profile/run.ts RunFile), as JSON. */
export const getRun = request<{ id: string }, { run: unknown; dir: string }>("moonscope/getRun");
export const exportRun = request<{ id: string; format: "svg" | "cpuprofile" | "folded" | "speedscope"; file: string }, { file: string; bytes: number }>("moonscope/exportRun");
export const compareRuns = request<{ before: string; after: string; svgFile?: string }, { comparison: unknown; svgFile: string | null }>("moonscope/compareRuns");
export const getSessionState = request<Record<string, never>, { sessions: SessionState[] }>("moonscope/sessionState");
export const sessionState = notification<SessionState>("moonscope/sessionStateChanged");
/** Every message of the live stream (protocol/ws.ts ToClient) also goes to the LSP client, so the editor's panel needs no socket of its own (and works when VS Code runs remote). */
export const streamMessage = notification<import("./ws").ToClient>("moonscope/stream");
/** Starts (once) and describes the daemon's live stream (protocol/ws.ts) on 127.0.0.1. */
export const streamInfo = request<Record<string, never>, { url: string; wsUrl: string; port: number; token: string }>("moonscope/streamInfo");

/** Error codes of the daemon's answers (ResponseError.code is numeric; data.code carries these). */
export const BUSY = "MS_ERR_BUSY";

/** Commands the code lenses carry (implemented by the extension). */
export const COMMANDS = {
  profileRoute: "moonscope.profileRoute",
  openRun: "moonscope.openRun",
} as const;
