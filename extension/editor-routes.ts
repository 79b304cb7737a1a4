// The route handlers of the active Lua editor, asked of the daemon (moonscope/listRoutes with its
// uri), behind the context key the editor-title button and the context menu show on.
import * as vscode from "vscode";
import * as P from "../protocol/lsp";
import type { Ctx } from "./ctx";
import { CONTEXT_KEYS } from "./manifest-ids";

/** How long after the last edit the active file's routes are asked for again. */
const EDIT_DELAY_MS = 500;

export class EditorRoutes implements vscode.Disposable {
  private readonly subscriptions: vscode.Disposable[] = [];
  private timer: NodeJS.Timeout | undefined;
  private asked = 0;

  constructor(private readonly ctx: Ctx) {
    this.subscriptions.push(
      vscode.window.onDidChangeActiveTextEditor(() => this.update()),
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (e.document !== vscode.window.activeTextEditor?.document) return;
        clearTimeout(this.timer);
        this.timer = setTimeout(() => this.update(), EDIT_DELAY_MS);
      }),
    );
  }

  /** The handlers the document defines (none for a document that is not a Lua file on disk). */
  async routesOf(doc: vscode.TextDocument): Promise<P.RouteEntry[]> {
    if (doc.languageId !== "lua" || doc.uri.scheme !== "file") return [];
    await this.ctx.started;
    return (await this.ctx.request(P.listRoutes, { uri: doc.uri.toString() })).routes;
  }

  update(): void {
    const serial = ++this.asked;
    const doc = vscode.window.activeTextEditor?.document;
    const set = (has: boolean) => {
      // A later editor change answered first wins.
      if (serial === this.asked) void vscode.commands.executeCommand("setContext", CONTEXT_KEYS.editorHasRoutes, has);
    };
    if (!doc) return set(false);
    this.routesOf(doc).then(
      (routes) => set(routes.length > 0),
      () => set(false),
    );
  }

  dispose(): void {
    clearTimeout(this.timer);
    for (const d of this.subscriptions) d.dispose();
  }
}
