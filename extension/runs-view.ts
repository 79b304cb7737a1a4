// The Runs view (Explorer): the workspace's runs grouped by route, newest first, with their figures.
// Its items carry the run, so the moonscope.runs.* commands act on the one clicked; it reloads when
// a run.json is written or deleted, and when a session ends.
import { existsSync } from "node:fs";
import * as path from "node:path";
import * as vscode from "vscode";
import * as P from "../protocol/lsp";
import { EXPORT_FORMATS } from "../protocol/panel";
import type { Ctx } from "./ctx";
import { ROUTE_ITEM } from "./manifest-ids";
import { groupRuns, runContextValue, runDescription, runLabel, runTooltip, type RouteGroup } from "./runs-tree";

export type RunsNode = { kind: "route"; group: RouteGroup; index: number } | { kind: "run"; run: P.RunSummary };

/** Run files change in bursts (a compare writes two runs): one reload for a burst. */
const RELOAD_DELAY_MS = 300;

export class RunsView implements vscode.TreeDataProvider<RunsNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<RunsNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private runs: Promise<P.RunSummary[]> | null = null;
  private timer: NodeJS.Timeout | undefined;
  private readonly subscriptions: vscode.Disposable[] = [];

  constructor(private readonly ctx: Ctx) {
    const later = () => {
      clearTimeout(this.timer);
      this.timer = setTimeout(() => this.refresh(), RELOAD_DELAY_MS);
    };
    this.subscriptions.push(
      this.changed,
      ctx.runFiles.onDidCreate(later),
      ctx.runFiles.onDidChange(later),
      ctx.runFiles.onDidDelete(later),
      ctx.onSessionState((s) => {
        if (s.phase === "done" || s.phase === "failed" || s.phase === "cancelled") later();
      }),
    );
  }

  refresh(): void {
    this.runs = null;
    this.changed.fire(undefined);
  }

  /** The runs as last listed (listed now when the view has not asked yet). */
  list(): Promise<P.RunSummary[]> {
    this.runs ??= this.ctx.started.then(() => this.ctx.request(P.listRuns, {})).then(
      (r) => r.runs,
      (e) => {
        this.ctx.output.error(`the Runs view could not list runs: ${(e as Error).message}`);
        this.runs = null;
        return [];
      },
    );
    return this.runs;
  }

  async getChildren(node?: RunsNode): Promise<RunsNode[]> {
    if (!node) return groupRuns(await this.list(), (f) => vscode.workspace.asRelativePath(f)).map((group, index) => ({ kind: "route", group, index }));
    if (node.kind === "route") return node.group.runs.map((run) => ({ kind: "run", run }));
    return [];
  }

  getTreeItem(node: RunsNode): vscode.TreeItem {
    if (node.kind === "route") {
      const g = node.group;
      // The newest routes open; older ones stay folded so the view stays short.
      const item = new vscode.TreeItem(g.route, node.index < 3 ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.Collapsed);
      item.description = [g.app, `${g.runs.length} run${g.runs.length === 1 ? "" : "s"}`].filter(Boolean).join(" · ");
      item.contextValue = ROUTE_ITEM;
      item.iconPath = new vscode.ThemeIcon(g.runs[0].error ? "warning" : "symbol-method");
      item.id = `route:${g.app}:${g.route}`;
      return item;
    }
    const r = node.run;
    const item = new vscode.TreeItem(runLabel(r), vscode.TreeItemCollapsibleState.None);
    item.id = `run:${r.id}`;
    item.description = runDescription(r);
    item.tooltip = runTooltip(r);
    item.contextValue = runContextValue(r, { cpuprofile: !r.error && existsSync(path.join(r.dir, EXPORT_FORMATS.cpuprofile.file)) });
    item.iconPath = new vscode.ThemeIcon(r.error ? "warning" : r.budgetsMissed.length ? "flame" : "pulse");
    if (!r.error) item.command = { command: "moonscope.runs.open", title: "Open in Panel", arguments: [node] };
    return item;
  }

  dispose(): void {
    clearTimeout(this.timer);
    for (const d of this.subscriptions) d.dispose();
  }
}
