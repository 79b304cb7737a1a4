// Messages between the panel (webview/, browser code) and whoever hosts it: the VS Code extension
// (postMessage) or the standalone dashboard page (WebSocket + the daemon's read-only HTTP API).
// The panel speaks only these, so one bundle serves both.
import type { ExportFormat } from "../profile/exports";
import type { RunFile } from "../profile/run";
import type { RunSummary, WireError } from "./types";
import type { StreamRequests, ToClient } from "./ws";

export { EXPORT_FORMATS, EXPORT_FORMAT_NAMES, type ExportFormat } from "../profile/exports";

/** What the panel shows: the live session (and the run it ends in), one stored run, or two compared. */
export type PanelView = { kind: "live" } | { kind: "run"; id: string } | { kind: "compare"; before: string; after: string };

/** What the panel asks its host: the dashboard's requests, and the stored runs. */
export interface PanelRequests extends StreamRequests {
  listRuns: { params: Record<string, never>; result: { runs: RunSummary[] } };
  getRun: { params: { id: string }; result: { run: RunFile } };
}
export type PanelMethod = keyof PanelRequests;

/** host → panel */
export type ToPanel =
  | { type: "stream"; message: ToClient }
  | { type: "reply"; id: number; result?: unknown; error?: WireError }
  | { type: "show"; view: PanelView }
  | { type: "notice"; level: "info" | "error"; message: string };

/** panel → host */
export type FromPanel =
  | { type: "ready" }
  | { type: "request"; id: number; method: PanelMethod; params: PanelRequests[PanelMethod]["params"] }
  | { type: "openSource"; file: string; line?: number; appFile?: string }
  | { type: "export"; id: string; format: ExportFormat };
