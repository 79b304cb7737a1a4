// The Runs view's actions (moonscope.runs.*): each acts on the run item it is invoked on, or on a
// {id} a caller passes, or asks for a run.
import * as path from "node:path";
import * as vscode from "vscode";
import * as P from "../protocol/lsp";
import { EXPORT_FORMATS, EXPORT_FORMAT_NAMES } from "../protocol/panel";
import type { Ctx } from "./ctx";
import type { HotLines } from "./hot-lines";
import type { CommandId } from "./manifest-ids";
import type { Panel } from "./panel";
import { errorMessage, exportRun, runOf, showComparison } from "./run-actions";
import { beforeAfter, compareCandidates, runLabel } from "./runs-tree";
import type { RunsView } from "./runs-view";

type Cmd = (...args: unknown[]) => unknown;
export type RunsCommandId = Extract<CommandId, `moonscope.runs.${string}`>;

export function runsCommands(ctx: Ctx, panel: Panel, runsView: RunsView, hotLines: HotLines): Record<RunsCommandId, Cmd> {
  return {
    "moonscope.runs.refresh": () => runsView.refresh(),
    "moonscope.runs.showHotLines": async (arg?: unknown) => {
      const run = await runOf(ctx, arg, "Run whose hot lines to show");
      if (run) await hotLines.showRun(run.id, true);
    },
    "moonscope.runs.open": async (arg?: unknown) => {
      const run = await runOf(ctx, arg, "Run to open");
      if (run) panel.show({ kind: "run", id: run.id });
    },
    "moonscope.runs.compareWith": async (arg?: unknown) => {
      const run = await runOf(ctx, arg, "Run to compare");
      if (!run) return;
      const others = compareCandidates((await ctx.request(P.listRuns, {})).runs, run);
      if (others.length === 0) {
        void vscode.window.showInformationMessage("Moonscope: there is no other run to compare with; profile the route again first.");
        return;
      }
      const pick = await vscode.window.showQuickPick(
        others.map((r) => ({ label: r.route, description: runLabel(r), detail: `${(r.rps / 1000).toFixed(1)}k req/s · p99 ${(r.p99Us / 1000).toFixed(2)} ms · ${r.id}`, r })),
        { placeHolder: `Compare ${run.route} (${runLabel(run)}) with` },
      );
      if (pick) {
        const { before, after } = beforeAfter(run, pick.r);
        await showComparison(ctx, panel, before, after);
      }
    },
    "moonscope.runs.export": async (arg?: unknown) => {
      const run = await runOf(ctx, arg, "Run to export");
      if (!run) return;
      const pick = await vscode.window.showQuickPick(
        EXPORT_FORMAT_NAMES.map((f) => ({ label: EXPORT_FORMATS[f].label, description: `.${EXPORT_FORMATS[f].ext}`, f })),
        { placeHolder: `Export ${run.route} (${runLabel(run)}) as` },
      );
      if (pick) await exportRun(ctx, run.id, pick.f);
    },
    "moonscope.runs.openCpuProfile": async (arg?: unknown) => {
      const run = await runOf(ctx, arg, "Run whose CPU profile to open");
      if (!run) return;
      // VS Code's built-in profile viewer opens .cpuprofile files (as text where it is not installed).
      await vscode.commands.executeCommand("vscode.open", vscode.Uri.file(path.join(run.dir, EXPORT_FORMATS.cpuprofile.file)));
    },
    "moonscope.runs.reveal": async (arg?: unknown) => {
      const run = await runOf(ctx, arg, "Run whose folder to reveal");
      if (!run) return;
      // The OS file manager only exists where the editor's window is on this machine.
      const local = vscode.env.remoteName === undefined && vscode.env.uiKind === vscode.UIKind.Desktop;
      await vscode.commands.executeCommand(local ? "revealFileInOS" : "revealInExplorer", vscode.Uri.file(path.join(run.dir, "run.json")));
    },
    "moonscope.runs.delete": async (arg?: unknown) => {
      const run = await runOf(ctx, arg, "Run to delete");
      if (!run) return;
      const yes = "Delete";
      const answer = await vscode.window.showWarningMessage(
        `Delete the run of ${run.route || run.id} from ${runLabel(run)}?`,
        { modal: true, detail: `Its folder goes, with its profile, exports and copy of the app:\n${run.dir}` },
        yes,
      );
      if (answer !== yes) return;
      try {
        await ctx.request(P.deleteRun, { id: run.id });
        ctx.output.info(`deleted ${run.dir}`);
        if (ctx.lastRun?.id === run.id) ctx.lastRun = null;
      } catch (e) {
        void vscode.window.showErrorMessage(`Moonscope: ${errorMessage(e)}`);
      }
      runsView.refresh();
    },
  };
}
