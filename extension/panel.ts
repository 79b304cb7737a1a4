// The Moonscope panel inside VS Code: a webview running the same bundle as the standalone dashboard
// (dist/webview/panel.js). The extension is its host: it relays the daemon's live stream (the
// moonscope/stream notification) and answers the panel's requests through the language client, so
// the panel needs no socket of its own and works when VS Code runs remote.
import * as path from "node:path";
import { randomBytes } from "node:crypto";
import * as vscode from "vscode";
import * as P from "../protocol/lsp";
import type { ExportFormat, FromPanel, PanelRequests, PanelView, ToPanel } from "../protocol/panel";
import { dispatch, handleMessage, RequestError, wireError, type Handlers, type MessageHandlers } from "../protocol/dispatch";
import { WS_PROTOCOL_VERSION, type ToClient } from "../protocol/ws";
import { note, type Ctx } from "./ctx";
import { resolveSource } from "./source-path";

export interface PanelActions {
  listRoutes(): Promise<P.RouteEntry[]>;
  /** Starts a profile the way the Profile Route command does (progress notification, run message). */
  startProfile(target: P.StartProfileParams): void;
  /** Runs a compare the way the Compare with Last Run command does; rejects when it fails (after saying so). */
  startCompare(params: P.StartCompareParams): Promise<void>;
  exportRun(id: string, format: ExportFormat): Promise<void>;
}

/** How long a started profile may take to report its session (the daemon starts it at once). */
const SESSION_START_MS = 10_000;

export class Panel implements vscode.Disposable {
  private panel: vscode.WebviewPanel | null = null;
  private ready = false;
  private readyWaiters: (() => void)[] = [];
  /** Messages for a panel whose page has not loaded yet, in order. */
  private queue: ToPanel[] = [];
  private readonly subscriptions: vscode.Disposable[] = [];

  constructor(
    private readonly ctx: Ctx,
    private readonly actions: PanelActions,
  ) {}

  /** Subscribes to the daemon's stream (after the client started). */
  attach(): void {
    this.subscriptions.push(this.ctx.client.onNotification(note(P.streamMessage), (m: ToClient) => this.post({ type: "stream", message: m })));
  }

  get visible(): boolean {
    return this.panel !== null;
  }

  /**
   * Resolves once the panel's page listens (or after timeoutMs): a session started before that
   * would stream its first seconds into a page that is not there yet.
   */
  whenReady(timeoutMs: number): Promise<void> {
    if (!this.panel || this.ready) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      this.readyWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** Opens (or reveals) the panel, then shows view in it. */
  show(view: PanelView = { kind: "live" }, preserveFocus = false): void {
    if (!this.panel) this.create(preserveFocus);
    else this.panel.reveal(undefined, preserveFocus);
    this.post({ type: "show", view });
  }

  private create(preserveFocus: boolean): void {
    const root = vscode.Uri.file(this.ctx.extension.asAbsolutePath(path.join("dist", "webview")));
    const panel = vscode.window.createWebviewPanel("moonscope.panel", "Moonscope", { viewColumn: vscode.ViewColumn.Beside, preserveFocus }, {
      enableScripts: true,
      // Live charts keep their history while the tab is in the background.
      retainContextWhenHidden: true,
      localResourceRoots: [root],
    });
    this.panel = panel;
    this.ready = false;
    panel.webview.html = this.html(panel.webview, root);
    panel.onDidDispose(() => {
      this.panel = null;
      this.ready = false;
      this.queue = [];
    });
    panel.webview.onDidReceiveMessage((m: FromPanel) => this.onMessage(m));
  }

  private html(webview: vscode.Webview, root: vscode.Uri): string {
    const nonce = randomBytes(16).toString("base64");
    const js = webview.asWebviewUri(vscode.Uri.joinPath(root, "panel.js"));
    const css = webview.asWebviewUri(vscode.Uri.joinPath(root, "panel.css"));
    const csp = [`default-src 'none'`, `script-src 'nonce-${nonce}'`, `style-src ${webview.cspSource}`, `img-src ${webview.cspSource} data:`, `font-src ${webview.cspSource}`].join("; ");
    return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="${css}">
<title>Moonscope</title>
</head>
<body>
<script nonce="${nonce}" src="${js}"></script>
</body>
</html>`;
  }

  private post(m: ToPanel): void {
    if (!this.panel) return;
    if (!this.ready) {
      // Frames are only worth their latest state; keep the queue short.
      if (m.type === "stream" && m.message.type === "frame") this.queue = this.queue.filter((q) => !(q.type === "stream" && q.message.type === "frame"));
      this.queue.push(m);
      return;
    }
    void this.panel.webview.postMessage(m);
  }

  /** What the panel sends, by type. */
  private readonly messages: MessageHandlers<FromPanel, Promise<void> | void> = {
    ready: async () => {
      this.ready = true;
      for (const w of this.readyWaiters.splice(0)) w();
      const [sessions, runs] = await Promise.all([
        this.ctx.request(P.getSessionState, {}).then((r) => r.sessions, () => []),
        this.ctx.request(P.listRuns, {}).then((r) => r.runs, () => []),
      ]);
      void this.panel?.webview.postMessage({ type: "stream", message: { type: "hello", protocolVersion: WS_PROTOCOL_VERSION, daemon: "moonscope (VS Code)", sessions, runs } } satisfies ToPanel);
      const q = this.queue;
      this.queue = [];
      for (const x of q) void this.panel?.webview.postMessage(x);
    },
    request: (m) => this.answer(m.id, m.method, m.params),
    openSource: (m) => openSource(m.file, m.line, m.appFile, this.ctx.extension.extensionPath),
    export: (m) => this.actions.exportRun(m.id, m.format),
  };

  private onMessage(m: FromPanel): void {
    void handleMessage(this.messages, m, () => undefined);
  }

  /** The panel's requests, answered through the language client. */
  private readonly handlers: Handlers<PanelRequests> = {
    listRuns: () => this.ctx.request(P.listRuns, {}),
    getRun: (p) => this.ctx.request(P.getRun, p),
    listRoutes: async () => ({ routes: await this.actions.listRoutes() }),
    stopProfile: (p) => this.ctx.request(P.stopProfile, p),
    startProfile: (p) => this.sessionStartedBy(() => this.actions.startProfile(p)),
    startCompare: (p) => this.sessionStartedBy(() => this.actions.startCompare(p)),
  };

  /**
   * Starts a session the way its command does; the answer is the daemon's id of that session, from
   * its first state, or the error of a start that failed before the session began.
   */
  private sessionStartedBy(start: () => Promise<void> | void): Promise<{ sessionId: number }> {
    if (this.ctx.session) throw new RequestError("MS_ERR_BUSY", `busy: ${this.ctx.session.route} is being profiled; wait for it or stop it`);
    return new Promise((resolve, reject) => {
      let settled = false;
      const settle = (fn: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        sub.dispose();
        fn();
      };
      const timer = setTimeout(() => settle(() => reject(new RequestError("MS_ERR_SESSION", "the session did not start; the Moonscope output has the details"))), SESSION_START_MS);
      const sub = this.ctx.onSessionState((s) => settle(() => resolve({ sessionId: s.sessionId })));
      void Promise.resolve(start()).catch((e: unknown) =>
        settle(() => {
          const { code, message } = wireError(e, "MS_ERR_SESSION");
          reject(new RequestError(code, message));
        }),
      );
    });
  }

  private async answer(id: number, method: unknown, params: unknown): Promise<void> {
    const reply = (r: Omit<Extract<ToPanel, { type: "reply" }>, "type" | "id">) => void this.panel?.webview.postMessage({ type: "reply", id, ...r } satisfies ToPanel);
    try {
      reply({ result: await dispatch(this.handlers, method, params) });
    } catch (e) {
      reply({ error: wireError(e, "MS_ERR_REQUEST") });
    }
  }

  dispose(): void {
    this.panel?.dispose();
    for (const d of this.subscriptions) d.dispose();
  }
}

async function openSource(file: string, line: number | undefined, appFile: string | undefined, moonscopeRoot: string): Promise<void> {
  const f = resolveSource(file, appFile, moonscopeRoot);
  if (!f) {
    void vscode.window.showInformationMessage(`Moonscope: the source of ${file} is not on this machine (it may be Node's or Moonscope's own bundled code).`);
    return;
  }
  const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(f));
  const pos = new vscode.Position(Math.max(0, (line ?? 1) - 1), 0);
  await vscode.window.showTextDocument(doc, { viewColumn: vscode.ViewColumn.One, selection: new vscode.Range(pos, pos) });
}
