// Entry of the VS Code extension: starts the daemon through the language client and registers the
// moonscope.* commands.
import * as vscode from "vscode";
import { Ctx } from "./ctx";
import { commands } from "./commands";

let ctx: Ctx | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  ctx = new Ctx(context);
  context.subscriptions.push(ctx);
  const { commands: table, panel } = commands(ctx);
  context.subscriptions.push(panel);
  for (const [name, fn] of Object.entries(table)) context.subscriptions.push(vscode.commands.registerCommand(name, fn));
  try {
    await ctx.start();
    panel.attach();
  } catch (e) {
    void vscode.window.showErrorMessage(`Moonscope: the daemon did not start: ${(e as Error).message}. Show Output has its log.`, "Show Output").then((a) => {
      if (a) ctx?.output.show();
    });
  }
}

export async function deactivate(): Promise<void> {
  await ctx?.client.stop();
}
