// Messages between the panel (webview/, browser code) and whoever hosts it: the VS Code extension
// (postMessage) or the standalone dashboard page (WebSocket + the daemon's read-only HTTP API).
// The panel speaks only these, so one bundle serves both.
import type { RunSummary } from "./lsp";
import type { StreamRequests, ToClient } from "./ws";

export type ExportFormat = "svg" | "cpuprofile" | "folded" | "speedscope";

/** What the panel shows: the live session (and the run it ends in), one stored run, or two compared. */
export type PanelView = { kind: "live" } | { kind: "run"; id: string } | { kind: "compare"; before: string; after: string };

export interface PanelRequests extends StreamRequests {
  listRuns: { params: Record<string, never>; result: { runs: RunSummary[] } };
  /** The whole run.json (profile/run.ts RunFile). */
  getRun: { params: { id: string }; result: { run: unknown } };
}
export type PanelMethod = keyof PanelRequests;

/** host → panel */
export type ToPanel =
  | { type: "stream"; message: ToClient }
  | { type: "reply"; id: number; result?: unknown; error?: { code: string; message: string } }
  | { type: "show"; view: PanelView }
  | { type: "notice"; level: "info" | "error"; message: string };

/** panel → host */
export type FromPanel =
  | { type: "ready" }
  | { type: "request"; id: number; method: PanelMethod; params: PanelRequests[PanelMethod]["params"] }
  | { type: "openSource"; file: string; line?: number; appFile?: string }
  | { type: "export"; id: string; format: ExportFormat };
