// The moonscope.* commands, each a small factory over the Ctx, registered in one loop (extension.ts).
import * as path from "node:path";
import * as vscode from "vscode";
import * as P from "../protocol/lsp";
import type { Ctx } from "./ctx";

type Cmd = (...args: unknown[]) => unknown;

function errorMessage(e: unknown): string {
  const err = e as { message?: string; data?: { code?: string } };
  return err.data?.code ? `${err.data.code}: ${err.message}` : (err.message ?? String(e));
}

async function pickRoute(ctx: Ctx): Promise<{ uri: string; route: string } | undefined> {
  // Open every Lua file of the workspace so the daemon knows their routes.
  const files = await vscode.workspace.findFiles("**/*.lua", "**/{node_modules,.moonscope}/**", 200);
  for (const f of files) await vscode.workspace.openTextDocument(f);
  const { routes } = await ctx.request(P.listRoutes, {});
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

async function pickRun(ctx: Ctx, placeHolder: string): Promise<P.RunSummary | undefined> {
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

async function openFile(file: string): Promise<void> {
  // SVG flamegraphs are interactive in a browser; VS Code would show their source.
  await vscode.env.openExternal(vscode.Uri.file(file));
}

export function commands(ctx: Ctx): Record<string, Cmd> {
  return {
    "moonscope.profileRoute": async (arg?: unknown) => {
      const target = (arg as { uri?: string; route?: string } | undefined)?.route ? (arg as { uri: string; route: string }) : await pickRoute(ctx);
      if (!target) return;
      await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `Moonscope: profiling ${target.route}`, cancellable: true },
        async (progress, token) => {
          token.onCancellationRequested(() => void ctx.request(P.stopProfile, {}));
          const sub = ctx.onSessionState((s) => {
            const left = s.durationMs && s.elapsedMs !== undefined ? ` (${Math.max(0, Math.round((s.durationMs - s.elapsedMs) / 1000))} s left)` : "";
            progress.report({ message: `${s.phase}${left}${s.rps ? ` · ${(s.rps / 1000).toFixed(1)}k req/s` : ""}` });
          });
          try {
            const { run } = await ctx.request(P.startProfile, { uri: target.uri, route: target.route, options: ctx.profileOptions() });
            ctx.output.appendLine(`${run.route}: ${run.verdict} (${run.dir})`);
            const missed = run.budgetsMissed.length ? ` Budget missed: ${run.budgetsMissed.join("; ")}` : "";
            const a = await vscode.window.showInformationMessage(`${run.route}: ${(run.rps / 1000).toFixed(1)}k req/s, p99 ${(run.p99Us / 1000).toFixed(2)} ms. ${run.verdict}.${missed}`, "Open Flamegraph");
            if (a) await openFile(path.join(run.dir, "flamegraph.svg"));
          } catch (e) {
            void vscode.window.showErrorMessage(`Moonscope: ${errorMessage(e)}`);
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
    "moonscope.openRun": async (arg?: unknown) => {
      const a = arg as { dir?: string } | undefined;
      const dir = a?.dir ?? (await pickRun(ctx, "Run to open"))?.dir;
      if (dir) await openFile(path.join(dir, "flamegraph.svg"));
    },
    "moonscope.exportFlamegraphSvg": async () => {
      const run = ctx.lastRun ?? (await pickRun(ctx, "Run to export"));
      if (!run) return;
      const folder = vscode.workspace.getConfiguration("moonscope").get<string>("exportFolder", "");
      const name = `${run.id}.svg`;
      let file: string | undefined;
      if (folder) file = path.isAbsolute(folder) ? path.join(folder, name) : path.join(vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? "", folder, name);
      else file = (await vscode.window.showSaveDialog({ defaultUri: vscode.Uri.file(name), filters: { "SVG image": ["svg"] } }))?.fsPath;
      if (!file) return;
      await vscode.workspace.fs.createDirectory(vscode.Uri.file(path.dirname(file)));
      try {
        const r = await ctx.request(P.exportRun, { id: run.id, format: "svg", file });
        void vscode.window.showInformationMessage(`Moonscope: flamegraph written to ${vscode.workspace.asRelativePath(r.file)} (${Math.round(r.bytes / 1024)} KB).`);
      } catch (e) {
        void vscode.window.showErrorMessage(`Moonscope: ${errorMessage(e)}`);
      }
    },
    "moonscope.compareRuns": async () => {
      const before = await pickRun(ctx, "First run (before)");
      if (!before) return;
      const after = await pickRun(ctx, "Second run (after)");
      if (!after) return;
      try {
        const r = await ctx.request(P.compareRuns, { before: before.id, after: after.id });
        ctx.output.appendLine(JSON.stringify(r.comparison, null, 2));
        ctx.output.show(true);
        if (r.svgFile) await openFile(r.svgFile);
      } catch (e) {
        void vscode.window.showErrorMessage(`Moonscope: ${errorMessage(e)}`);
      }
    },
    "moonscope.showOutput": () => ctx.output.show(),
  };
}
