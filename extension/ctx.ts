// One object owns every lifecycle of the extension (the pattern of rust-analyzer's ctx.ts): the
// language client that runs the daemon, the status bar item, the output channel, and the
// disposables. Commands are small factories over it (commands.ts).
import * as path from "node:path";
import * as vscode from "vscode";
import { LanguageClient, RequestType, NotificationType, State, TransportKind, type LanguageClientOptions, type ServerOptions } from "vscode-languageclient/node";
import * as P from "../protocol/lsp";
import { statusText } from "./texts";
import { compareOptions, profileOptions } from "./settings";
import { CONTEXT_KEYS } from "./manifest-ids";
import { chooseNode, type NodeChoice } from "./node-runtime";

/** Every finished run's run.json (written last, atomically): the daemon's lenses and the Runs view follow it. */
export const RUN_FILES_GLOB = "**/.moonscope/runs/*/run.json";

/** protocol/lsp.ts declarations as vscode-jsonrpc types, made once. */
export function req<Params, Result>(d: P.RequestDecl<Params, Result>): RequestType<Params, Result, void> {
  return new RequestType<Params, Result, void>(d.method);
}
export function note<Params>(d: P.NotificationDecl<Params>): NotificationType<Params> {
  return new NotificationType<Params>(d.method);
}

export class Ctx implements vscode.Disposable {
  readonly client: LanguageClient;
  readonly output: vscode.LogOutputChannel;
  /** The Node the daemon (and so every app it profiles) runs under. */
  readonly node: NodeChoice;
  /** Creation, change and deletion of runs (RUN_FILES_GLOB). */
  readonly runFiles: vscode.FileSystemWatcher;
  readonly status: vscode.StatusBarItem;
  readonly subscriptions: vscode.Disposable[] = [];
  session: P.SessionState | null = null;
  lastRun: P.RunSummary | null = null;
  /** Resolves once the daemon runs (requests made before wait for it instead of failing). */
  readonly started: Promise<void>;
  private markStarted: () => void = () => {};
  // vscode-jsonrpc keeps one handler per notification method, so the Ctx owns it and fans out.
  private readonly sessionListeners = new Set<(s: P.SessionState) => void>();

  constructor(readonly extension: vscode.ExtensionContext) {
    this.started = new Promise((resolve) => (this.markStarted = resolve));
    // A log channel: levels and timestamps, and vscode-languageclient writes moonscope.trace.server's trace into it.
    this.output = vscode.window.createOutputChannel("Moonscope", { log: true });
    this.runFiles = vscode.workspace.createFileSystemWatcher(RUN_FILES_GLOB);
    this.status = vscode.window.createStatusBarItem(vscode.StatusBarAlignment.Left, 50);
    this.status.command = "moonscope.showOutput";
    this.setStatus();
    this.status.show();
    // The daemon is the `moonscope lsp` command of the bundled CLI, on stdio, under the user's Node
    // (node-runtime.ts): the apps it profiles run under the Node it runs under.
    const cli = extension.asAbsolutePath(path.join("dist", "cli", "moonscope.js"));
    const node = (this.node = chooseNode(vscode.workspace.getConfiguration("moonscope").get<string>("nodePath", ""), process.env.PATH, { version: process.version, electron: process.versions.electron }));
    this.output.info(`apps run under ${node.label}`);
    if (node.warning) {
      this.output.warn(node.warning);
      void vscode.window.showWarningMessage(`Moonscope: ${node.warning}`);
    }
    const serverOptions: ServerOptions = {
      run: { module: cli, runtime: node.runtime, args: ["lsp"], transport: TransportKind.stdio },
      debug: { module: cli, runtime: node.runtime, args: ["lsp"], transport: TransportKind.stdio },
    };
    const clientOptions: LanguageClientOptions = {
      documentSelector: [{ scheme: "file", language: "lua" }],
      outputChannel: this.output,
      synchronize: { fileEvents: this.runFiles },
    };
    this.client = new LanguageClient("moonscope", "Moonscope", serverOptions, clientOptions);
    this.subscriptions.push(
      this.output,
      this.status,
      this.runFiles,
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (!e.affectsConfiguration("moonscope.nodePath")) return;
        void vscode.window.showInformationMessage("Moonscope: moonscope.nodePath takes effect when the window reloads.", "Reload Window").then((a) => {
          if (a) void vscode.commands.executeCommand("workbench.action.reloadWindow");
        });
      }),
      this.client.onDidChangeState((e) => {
        // vscode-languageclient restarts a crashed server by itself; say so instead of failing silently.
        if (e.oldState === State.Running && e.newState !== State.Running) {
          this.output.appendLine("The Moonscope daemon stopped; restarting it.");
          void vscode.window.showWarningMessage("The Moonscope daemon stopped and is being restarted. Show Output has its log.", "Show Output").then((a) => {
            if (a) this.output.show();
          });
          this.session = null;
          this.setStatus();
          void vscode.commands.executeCommand("setContext", CONTEXT_KEYS.profiling, false);
        }
      }),
    );
  }

  async start(): Promise<void> {
    await this.client.start();
    this.markStarted();
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
    const was = this.session !== null;
    this.session = s.phase === "done" || s.phase === "failed" || s.phase === "cancelled" ? null : s;
    if (was !== (this.session !== null)) void vscode.commands.executeCommand("setContext", CONTEXT_KEYS.profiling, this.session !== null);
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
