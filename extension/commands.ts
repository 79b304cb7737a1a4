// The moonscope.* commands, each a small factory over the Ctx, registered in one loop (extension.ts).
import * as path from "node:path";
import * as vscode from "vscode";
import * as P from "../protocol/lsp";
import type { Ctx } from "./ctx";
import type { EditorRoutes } from "./editor-routes";
import type { HotLines } from "./hot-lines";
import { addLuaDefinitions } from "./luals";
import type { CommandId } from "./manifest-ids";
import { Panel } from "./panel";
import { errorMessage, exportRun, pickRun, showComparison } from "./run-actions";
import { runsCommands, type RunsCommandId } from "./runs-commands";
import type { RunsView } from "./runs-view";
import { inWorkspace, progressMessage, ProgressSteps, routeAt, runMessage } from "./texts";

type Cmd = (...args: unknown[]) => unknown;

/** A session's states as a progress notification: the phase and time left, and the bar moved by the time measured. */
function showProgress(ctx: Ctx, progress: vscode.Progress<{ message?: string; increment?: number }>): vscode.Disposable {
  const steps = new ProgressSteps();
  let announced = false;
  return ctx.onSessionState((s) => {
    progress.report({ message: progressMessage(s), increment: steps.next(s) });
    // Load from elsewhere: the URL is what the user needs now, in a form they can copy.
    if (s.loadUrl && !announced) {
      announced = true;
      void vscode.window.showInformationMessage(`Moonscope: send the load for ${s.route} to ${s.loadUrl} now; whatever arrives is measured.`, "Copy URL").then((a) => {
        if (a) void vscode.env.clipboard.writeText(s.loadUrl!);
      });
    }
  });
}

function errorCode(e: unknown): string | undefined {
  return (e as { data?: { code?: string } }).data?.code;
}

/**
 * 0x or clinic is missing: the error, with a button that installs it in a terminal, through the
 * bundled CLI run by the daemon's Node (the editor's own through ELECTRON_RUN_AS_NODE when the user
 * has none), so nothing else is needed on PATH but npm.
 */
async function offerProfilerInstall(ctx: Ctx, e: unknown, mode: string): Promise<void> {
  const tool = mode === "0x" ? "0x" : "clinic";
  const action = `Install ${tool}`;
  if ((await vscode.window.showErrorMessage(`Moonscope: ${errorMessage(e)}`, action)) !== action) return;
  const cli = ctx.extension.asAbsolutePath(path.join("dist", "cli", "moonscope.js"));
  // The Node the daemon runs under (node-runtime.ts), so the tool is installed for the Node that will run it.
  const node = ctx.node.runtime ?? process.execPath;
  const terminal = vscode.window.createTerminal({ name: `Moonscope: install ${tool}`, shellPath: node, shellArgs: [cli, "install", tool], env: ctx.node.runtime ? {} : { ELECTRON_RUN_AS_NODE: "1" } });
  terminal.show();
  ctx.output.appendLine(`installing ${tool} in the terminal "Moonscope: install ${tool}"; profile again when it says installed`);
}

/**
 * Route handlers of every Lua app of the workspace, from the daemon's scan of the disk (open buffers
 * as edited): no document is opened for it, so no other Lua extension sees a burst of didOpens.
 */
async function workspaceRoutes(ctx: Ctx): Promise<P.RouteEntry[]> {
  return (await ctx.request(P.listRoutes, {})).routes;
}

async function pickRoute(ctx: Ctx): Promise<{ uri: string; route: string } | undefined> {
  const routes = await workspaceRoutes(ctx);
  if (routes.length === 0) {
    void vscode.window.showInformationMessage("No Lua route handlers found. Define one like: function api.hello.get(ctx) return api.json { ok = true } end");
    return undefined;
  }
  const pick = await vscode.window.showQuickPick(
    routes.map((r) => ({ label: `${r.method} ${r.path}`, description: r.name, detail: `${vscode.workspace.asRelativePath(r.file)}:${r.line + 1}`, r })),
    { placeHolder: "Route to profile" },
  );
  return pick ? { uri: pick.r.uri, route: `${pick.r.method} ${pick.r.path}` } : undefined;
}

/**
 * "Compare with the last run": the daemon runs that run's copy of the app and the app as it is now in
 * interleaved rounds, streaming to the panel, under a cancellable progress notification; then the
 * panel shows the comparison and a notification the headline. Rejects when it failed, after saying so.
 */
async function compareWithRun(ctx: Ctx, panel: Panel, target: { run: string; route?: string; options?: P.StartCompareParams["options"] }): Promise<void> {
  panel.show({ kind: "live" }, true);
  await panel.whenReady(10_000);
  await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Moonscope: comparing ${target.route ?? "the last run"} with the code as it is now`, cancellable: true },
    async (progress, token) => {
      token.onCancellationRequested(() => void ctx.request(P.stopProfile, {}));
      const sub = showProgress(ctx, progress);
      try {
        const r = await ctx.request(P.startCompare, { run: target.run, options: { ...ctx.compareOptions(), ...target.options } });
        ctx.output.appendLine(`compare ${r.before.id} (the last run's code) -> ${r.after.id} (the app now)${r.svgFile ? ` (differential flamegraph: ${r.svgFile})` : ""}`);
        for (const line of [r.comparison.method.summary, ...r.comparison.differences.map((d) => `differs: ${d}`), `verdict: ${r.headline.text}`]) ctx.output.appendLine(`  ${line}`);
        panel.show({ kind: "compare", before: r.before.id, after: r.after.id });
        void vscode.window.showInformationMessage(`Moonscope: ${r.after.route}: ${r.headline.text}`);
      } catch (e) {
        if (errorCode(e) === "MS_ERR_PROFILER_MISSING") void offerProfilerInstall(ctx, e, target.options?.mode ?? ctx.compareOptions().mode ?? "");
        else void vscode.window.showErrorMessage(`Moonscope: ${errorMessage(e)}`);
        throw e;
      } finally {
        sub.dispose();
      }
    },
  );
}

export interface CommandParts {
  runsView: RunsView;
  editorRoutes: EditorRoutes;
  hotLines: HotLines;
}

export function commands(ctx: Ctx, parts: CommandParts): { commands: Record<CommandId, Cmd>; panel: Panel } {
  const panel: Panel = new Panel(ctx, {
    listRoutes: () => workspaceRoutes(ctx),
    startProfile: (t) => void vscode.commands.executeCommand("moonscope.profileRoute", t),
    exportRun: (id, format) => exportRun(ctx, id, format),
    startCompare: (p) => compareWithRun(ctx, panel, { ...p, route: ctx.lastRun?.id === p.run ? ctx.lastRun.route : undefined }),
  });
  const table: Record<Exclude<CommandId, RunsCommandId>, Cmd> = {
    "moonscope.profileRoute": async (arg?: unknown) => {
      const given = arg as { uri?: string; route?: string; options?: P.ProfileOptions } | undefined;
      const target = given?.route && given.uri ? { uri: given.uri, route: given.route } : await pickRoute(ctx);
      if (!target) return;
      if (ctx.session) {
        void vscode.window.showWarningMessage(`Moonscope: ${ctx.session.route} is being profiled; wait for it or run Moonscope: Stop Profiling.`);
        return;
      }
      // Handlers may live in modules of one app: moonscope.appEntry names the file the server loads.
      const entrySetting = vscode.workspace.getConfiguration("moonscope").get<string>("appEntry", "").trim();
      const entry = entrySetting ? inWorkspace(entrySetting, vscode.workspace.workspaceFolders?.[0]?.uri.fsPath) : null;
      if (entry) target.uri = vscode.Uri.file(entry).toString();
      panel.show({ kind: "live" }, true);
      await panel.whenReady(10_000);
      await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `Moonscope: profiling ${target.route}`, cancellable: true },
        async (progress, token) => {
          token.onCancellationRequested(() => void ctx.request(P.stopProfile, {}));
          const sub = showProgress(ctx, progress);
          try {
            const { run } = await ctx.request(P.startProfile, { uri: target.uri, route: target.route, options: { ...ctx.profileOptions(), ...given?.options } });
            ctx.output.appendLine(`${run.route}: ${run.verdict} (${run.dir})`);
            void vscode.window.showInformationMessage(runMessage(run), "Show in Panel").then((a) => {
              if (a) panel.show({ kind: "run", id: run.id });
            });
          } catch (e) {
            if (errorCode(e) === "MS_ERR_PROFILER_MISSING") void offerProfilerInstall(ctx, e, given?.options?.mode ?? ctx.profileOptions().mode ?? "");
            else void vscode.window.showErrorMessage(`Moonscope: ${errorMessage(e)}`);
          } finally {
            sub.dispose();
          }
        },
      );
    },
    "moonscope.stopProfiling": async () => {
      const { stopped } = await ctx.request(P.stopProfile, {});
      if (!stopped) void vscode.window.showInformationMessage("Moonscope: nothing is being profiled.");
    },
    "moonscope.openPanel": () => panel.show(ctx.lastRun ? { kind: "run", id: ctx.lastRun.id } : { kind: "live" }),
    "moonscope.openRun": async (arg?: unknown) => {
      const a = arg as { id?: string } | undefined;
      const id = a?.id ?? (await pickRun(ctx, "Run to open"))?.id;
      if (id) panel.show({ kind: "run", id });
    },
    "moonscope.exportFlamegraphSvg": async () => {
      const run = ctx.lastRun ?? (await pickRun(ctx, "Run to export"));
      if (run) await exportRun(ctx, run.id, "svg");
    },
    "moonscope.compareRuns": async () => {
      const before = await pickRun(ctx, "First run (before)");
      if (!before) return;
      const after = await pickRun(ctx, "Second run (after)");
      if (!after) return;
      await showComparison(ctx, panel, before, after);
    },
    "moonscope.profileRouteUnderCursor": async () => {
      const editor = vscode.window.activeTextEditor;
      if (!editor || editor.document.languageId !== "lua") {
        void vscode.window.showInformationMessage("Moonscope: open a Lua file with route handlers first.");
        return;
      }
      const routes = await parts.editorRoutes.routesOf(editor.document);
      if (routes.length === 0) {
        void vscode.window.showInformationMessage(`Moonscope: ${vscode.workspace.asRelativePath(editor.document.uri)} defines no route handler.`);
        return;
      }
      let route = routes.length === 1 ? routes[0] : routeAt(routes, editor.selection.active.line);
      if (!route) {
        const pick = await vscode.window.showQuickPick(
          routes.map((r) => ({ label: `${r.method} ${r.path}`, description: r.name, detail: `line ${r.line + 1}`, r })),
          { placeHolder: "Route to profile" },
        );
        route = pick?.r;
      }
      if (route) await vscode.commands.executeCommand("moonscope.profileRoute", { uri: route.uri, route: `${route.method} ${route.path}` });
    },
    "moonscope.addLuaDefinitions": () => addLuaDefinitions(ctx),
    "moonscope.toggleHotLines": () => parts.hotLines.toggle(),
    "moonscope.compareWithLastRun": async () => {
      const run = ctx.lastRun ?? (await pickRun(ctx, "Run whose code to measure again beside the app as it is now"));
      if (!run) return;
      if (ctx.session) {
        void vscode.window.showWarningMessage(`Moonscope: ${ctx.session.route} is being profiled; wait for it or run Moonscope: Stop Profiling.`);
        return;
      }
      // compareWithRun has said what went wrong; a rejected command would say it a second time.
      await compareWithRun(ctx, panel, { run: run.id, route: run.route }).catch(() => {});
    },
    "moonscope.showOutput": () => ctx.output.show(),
  };
  return { commands: { ...table, ...runsCommands(ctx, panel, parts.runsView, parts.hotLines) }, panel };
}
