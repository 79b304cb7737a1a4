// One object owns every lifecycle of the extension (the pattern of rust-analyzer's ctx.ts): the
// language client that runs the daemon, the status bar item, the output channel, and the
// disposables. Commands are small factories over it (commands.ts).
import * as path from "node:path";
import * as vscode from "vscode";
import { LanguageClient, RequestType, NotificationType, State, TransportKind, type LanguageClientOptions, type ServerOptions } from "vscode-languageclient/node";
import * as P from "../protocol/lsp";
import { statusText } from "./texts";
import { compareOptions, profileOptions } from "./settings";

/** protocol/lsp.ts declarations as vscode-jsonrpc types, made once. */
export function req<Params, Result>(d: P.RequestDecl<Params, Result>): RequestType<Params, Result, void> {
  return new RequestType<Params, Result, void>(d.method);
}
export function note<Params>(d: P.NotificationDecl<Params>): NotificationType<Params> {
  return new NotificationType<Params>(d.method);
}

export class Ctx implements vscode.Disposable {
  readonly client: LanguageClient;
  readonly output: vscode.OutputChannel;
  readonly status: vscode.StatusBarItem;
  readonly subscriptions: vscode.Disposable[] = [];
  session: P.SessionState | null = null;
  lastRun: P.RunSummary | null = null;
  // vscode-jsonrpc keeps one handler per notification method, so the Ctx owns it and fans out.
  private readonly sessionListeners = new Set<(s: P.SessionState) => void>();

  constructor(readonly extension: vscode.ExtensionContext) {
    this.output = vscode.window.createOutputChannel("Moonscope");
    this.status = vscode.window.createStatusBarItem(vscode.StatusBarAlignment.Left, 50);
    this.status.command = "moonscope.showOutput";
    this.setStatus();
    this.status.show();
    // The daemon is the `moonscope lsp` command of the bundled CLI, on stdio.
    const cli = extension.asAbsolutePath(path.join("dist", "cli", "moonscope.js"));
    const serverOptions: ServerOptions = {
      run: { module: cli, args: ["lsp"], transport: TransportKind.stdio },
      debug: { module: cli, args: ["lsp"], transport: TransportKind.stdio },
    };
    const clientOptions: LanguageClientOptions = {
      documentSelector: [{ scheme: "file", language: "lua" }],
      outputChannel: this.output,
      synchronize: { fileEvents: vscode.workspace.createFileSystemWatcher("**/.moonscope/runs/*/run.json") },
    };
    this.client = new LanguageClient("moonscope", "Moonscope", serverOptions, clientOptions);
    this.subscriptions.push(
      this.output,
      this.status,
      this.client.onDidChangeState((e) => {
        // vscode-languageclient restarts a crashed server by itself; say so instead of failing silently.
        if (e.oldState === State.Running && e.newState !== State.Running) {
          this.output.appendLine("The Moonscope daemon stopped; restarting it.");
          void vscode.window.showWarningMessage("The Moonscope daemon stopped and is being restarted. Show Output has its log.", "Show Output").then((a) => {
            if (a) this.output.show();
          });
          this.session = null;
          this.setStatus();
        }
      }),
    );
  }

  async start(): Promise<void> {
    await this.client.start();
    this.subscriptions.push(
      this.client.onNotification(note(P.sessionState), (s) => {
        this.onSession(s);
        for (const l of this.sessionListeners) l(s);
      }),
    );
  }

  /** Listens to session state changes until the returned disposable is disposed. */
  onSessionState(listener: (s: P.SessionState) => void): vscode.Disposable {
    this.sessionListeners.add(listener);
    return new vscode.Disposable(() => this.sessionListeners.delete(listener));
  }

  request<Params, Result>(d: P.RequestDecl<Params, Result>, params: Params, token?: vscode.CancellationToken): Promise<Result> {
    return this.client.sendRequest(req(d), params, token);
  }

  private onSession(s: P.SessionState): void {
    this.session = s.phase === "done" || s.phase === "failed" || s.phase === "cancelled" ? null : s;
    if (s.run) this.lastRun = s.run;
    this.setStatus();
  }

  private setStatus(): void {
    const { text, tooltip } = statusText(this.session, this.lastRun);
    this.status.text = text;
    this.status.tooltip = tooltip;
  }

  /** Settings (moonscope.*) as profile options. */
  profileOptions(): P.ProfileOptions {
    return profileOptions(vscode.workspace.getConfiguration("moonscope"));
  }

  /** Settings as the options of a compare (the load, not the duration). */
  compareOptions(): P.ProfileOptions {
    return compareOptions(vscode.workspace.getConfiguration("moonscope"));
  }

  dispose(): void {
    void this.client.stop();
    for (const d of this.subscriptions) d.dispose();
  }
}
