// Entry of the VS Code extension: starts the daemon through the language client and registers the
// moonscope.* commands.
import * as vscode from "vscode";
import { Ctx } from "./ctx";
import { commands } from "./commands";
import { EditorRoutes } from "./editor-routes";
import { HotLines } from "./hot-lines";
import { offerLuaDefinitions } from "./luals";
import { RUNS_VIEW } from "./manifest-ids";
import { RunsView } from "./runs-view";

let ctx: Ctx | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  ctx = new Ctx(context);
  context.subscriptions.push(ctx);
  const runsView = new RunsView(ctx);
  const editorRoutes = new EditorRoutes(ctx);
  const hotLines = new HotLines(ctx);
  const { commands: table, panel } = commands(ctx, { runsView, editorRoutes, hotLines });
  context.subscriptions.push(panel, runsView, editorRoutes, hotLines, vscode.window.registerTreeDataProvider(RUNS_VIEW, runsView));
  for (const [name, fn] of Object.entries(table)) context.subscriptions.push(vscode.commands.registerCommand(name, fn));
  try {
    await ctx.start();
    panel.attach();
    // Asked before the daemon ran, the view and the context key had nothing to show.
    runsView.refresh();
    editorRoutes.update();
    void offerLuaDefinitions(ctx);
  } catch (e) {
    void vscode.window.showErrorMessage(`Moonscope: the daemon did not start: ${(e as Error).message}. Show Output has its log.`, "Show Output").then((a) => {
      if (a) ctx?.output.show();
    });
  }
}

export async function deactivate(): Promise<void> {
  await ctx?.client.stop();
}
