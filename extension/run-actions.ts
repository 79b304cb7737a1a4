// What several commands do with stored runs: pick one, export it, show two compared, and find the run a
// Runs view action is for. commands.ts and runs-commands.ts share these.
import * as path from "node:path";
import * as vscode from "vscode";
import * as P from "../protocol/lsp";
import { EXPORT_FORMATS, type ExportFormat } from "../protocol/panel";
import type { Ctx } from "./ctx";
import type { Panel } from "./panel";
import type { RunsNode } from "./runs-view";
import { exportFileName, inWorkspace } from "./texts";

export function errorMessage(e: unknown): string {
  const err = e as { message?: string; data?: { code?: string } };
  return err.data?.code ? `${err.data.code}: ${err.message}` : (err.message ?? String(e));
}

export async function pickRun(ctx: Ctx, placeHolder: string): Promise<P.RunSummary | undefined> {
  const { runs } = await ctx.request(P.listRuns, {});
  const ok = runs.filter((r) => !r.error);
  if (ok.length === 0) {
    void vscode.window.showInformationMessage("No runs yet: profile a route first (▶ Profile over a handler).");
    return undefined;
  }
  const pick = await vscode.window.showQuickPick(
    ok.map((r) => ({ label: r.route, description: `${(r.rps / 1000).toFixed(1)}k req/s · p99 ${(r.p99Us / 1000).toFixed(2)} ms`, detail: `${r.createdAt} · ${r.id}`, r })),
    { placeHolder },
  );
  return pick?.r;
}

/** Writes a run's profile: into moonscope.exportFolder when set, else where the save dialog says. */
export async function exportRun(ctx: Ctx, id: string, format: ExportFormat): Promise<void> {
  const folder = vscode.workspace.getConfiguration("moonscope").get<string>("exportFolder", "");
  const { ext, label } = EXPORT_FORMATS[format];
  const name = exportFileName(id, format);
  const root = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  let file: string | undefined;
  const dir = folder ? inWorkspace(folder, root) : null;
  if (dir) file = path.join(dir, name);
  else file = (await vscode.window.showSaveDialog({ defaultUri: vscode.Uri.file(name), filters: { [label]: [ext.split(".").pop()!] } }))?.fsPath;
  if (!file) return;
  try {
    await vscode.workspace.fs.createDirectory(vscode.Uri.file(path.dirname(file)));
    const r = await ctx.request(P.exportRun, { id, format, file });
    void vscode.window.showInformationMessage(`Moonscope: ${label} written to ${vscode.workspace.asRelativePath(r.file)} (${Math.max(1, Math.round(r.bytes / 1024))} KB).`);
  } catch (e) {
    void vscode.window.showErrorMessage(`Moonscope: ${errorMessage(e)}`);
  }
}

/** Two runs side by side in the panel; the daemon writes compare.svg beside the second and returns the verdicts for the log. */
export async function showComparison(ctx: Ctx, panel: Panel, before: P.RunSummary, after: P.RunSummary): Promise<void> {
  try {
    const r = await ctx.request(P.compareRuns, { before: before.id, after: after.id });
    ctx.output.appendLine(`compare ${before.id} -> ${after.id}${r.svgFile ? ` (differential flamegraph: ${r.svgFile})` : ""}`);
    ctx.output.appendLine(JSON.stringify(r.comparison, null, 2));
    panel.show({ kind: "compare", before: before.id, after: after.id });
  } catch (e) {
    void vscode.window.showErrorMessage(`Moonscope: ${errorMessage(e)}`);
  }
}

/** The run a Runs view action is for: the item clicked, a {id} given by a caller, else one picked. */
export async function runOf(ctx: Ctx, arg: unknown, placeHolder: string): Promise<P.RunSummary | undefined> {
  const node = arg as Partial<RunsNode> & { id?: string } | undefined;
  if (node?.kind === "run" && node.run) return node.run;
  if (typeof node?.id === "string") {
    const run = (await ctx.request(P.listRuns, {})).runs.find((r) => r.id === node.id);
    if (run) return run;
  }
  return pickRun(ctx, placeHolder);
}
