// What the extension says and where it writes, as plain functions of the session and the settings:
// testable in Node without VS Code.
import * as path from "node:path";
import { EXPORT_FORMATS, type ExportFormat } from "../protocol/panel";
import type { RouteEntry, RunSummary, SessionState } from "../protocol/lsp";

export function secondsLeft(s: Pick<SessionState, "durationMs" | "elapsedMs">): number | null {
  return s.durationMs && s.elapsedMs !== undefined ? Math.max(0, Math.round((s.durationMs - s.elapsedMs) / 1000)) : null;
}

const kreq = (rps: number) => `${(rps / 1000).toFixed(1)}k req/s`;
const ms = (us: number) => `${(us / 1000).toFixed(2)} ms`;

/** The status bar item: the running session, else the last result, else idle. */
export function statusText(session: SessionState | null, last: RunSummary | null): { text: string; tooltip: string } {
  if (session) {
    const left = secondsLeft(session);
    const doing = session.kind === "compare" ? "comparing" : "profiling";
    return { text: `$(pulse) ${doing} ${session.route}${left !== null ? `, ${left} s left` : ""}`, tooltip: session.message };
  }
  if (last) return { text: `$(flame) ${last.route}: ${kreq(last.rps)}, p99 ${ms(last.p99Us)}`, tooltip: `${last.verdict}\n(${last.id})` };
  return { text: "$(flame) Moonscope", tooltip: "Moonscope: profile a Lua route from its code lens" };
}

/** The progress notification's line while a session runs. */
export function progressMessage(s: SessionState): string {
  const left = secondsLeft(s);
  const from = s.loadUrl ? ` · send the load to ${s.loadUrl}` : "";
  return `${s.phase}${left !== null ? ` (${left} s left)` : ""}${s.rps ? ` · ${kreq(s.rps)}` : ""}${from}`;
}

/** How far the session is, 0 to 100, when its duration is known (the progress notification's bar). */
export function progressPercent(s: Pick<SessionState, "durationMs" | "elapsedMs">): number | null {
  if (!s.durationMs || s.elapsedMs === undefined) return null;
  return Math.max(0, Math.min(100, (100 * s.elapsedMs) / s.durationMs));
}

/**
 * The progress bar's steps: each state moves it by what it gained since the last (VS Code's
 * increments add up), never backwards and never past 100.
 */
export class ProgressSteps {
  private shown = 0;
  next(s: Pick<SessionState, "durationMs" | "elapsedMs">): number | undefined {
    const p = progressPercent(s);
    if (p === null || p <= this.shown) return undefined;
    const step = p - this.shown;
    this.shown = p;
    return step;
  }
}

/** The handler the cursor is in: the last one defined at or above its line (0-based), of one file's routes. */
export function routeAt(routes: RouteEntry[], line: number): RouteEntry | undefined {
  let best: RouteEntry | undefined;
  for (const r of routes) if (r.line <= line && (!best || r.line > best.line)) best = r;
  return best;
}

/** The message when a run is written. */
export function runMessage(run: RunSummary): string {
  const missed = run.budgetsMissed.length ? ` Budget missed: ${run.budgetsMissed.join("; ")}` : "";
  return `${run.route}: ${kreq(run.rps)}, p99 ${ms(run.p99Us)}. ${run.verdict}.${missed}`;
}

/** A setting's path (exportFolder, appEntry): absolute as given, else under the workspace folder. */
export function inWorkspace(p: string, root: string | undefined): string | null {
  if (path.isAbsolute(p)) return p;
  return root ? path.join(root, p) : null;
}

/** "<run id>.<the format's extension>", the name an export is saved under. */
export function exportFileName(id: string, format: ExportFormat): string {
  return `${id}.${EXPORT_FORMATS[format].ext}`;
}
