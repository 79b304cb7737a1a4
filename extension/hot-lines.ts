// Hot lines in the editor: after a run, the lines of the profiled app that cost the most get a
// tinted background by heat, their share after the text and a hover with the figures. One run's
// lines are shown at a time; moonscope.toggleHotLines hides and shows them.
import { readFileSync } from "node:fs";
import * as vscode from "vscode";
import * as P from "../protocol/lsp";
import type { RunFile } from "../protocol/types";
import type { Ctx } from "./ctx";
import { hotLineMarks, type HeatLevel, type HotLineMark } from "./hot-line-marks";

/** Background alphas by heat level: visible on hot lines, barely on cool ones, in light and dark themes. */
const HEAT_ALPHA: Record<HeatLevel, number> = { 0: 0.06, 1: 0.12, 2: 0.2, 3: 0.3 };

export class HotLines implements vscode.Disposable {
  private readonly types: Record<HeatLevel, vscode.TextEditorDecorationType>;
  private marks = new Map<string, HotLineMark[]>();
  private run: RunFile | null = null;
  private visible = true;
  private readonly subscriptions: vscode.Disposable[] = [];

  constructor(private readonly ctx: Ctx) {
    const type = (level: HeatLevel) =>
      vscode.window.createTextEditorDecorationType({
        backgroundColor: `rgba(255, 110, 40, ${HEAT_ALPHA[level]})`,
        isWholeLine: true,
        overviewRulerColor: level >= 2 ? `rgba(255, 110, 40, ${HEAT_ALPHA[level] + 0.4})` : undefined,
        overviewRulerLane: vscode.OverviewRulerLane.Right,
        after: { color: new vscode.ThemeColor("editorCodeLens.foreground"), margin: "0 0 0 2em" },
      });
    this.types = { 0: type(0), 1: type(1), 2: type(2), 3: type(3) };
    this.subscriptions.push(
      ...Object.values(this.types),
      vscode.window.onDidChangeVisibleTextEditors(() => this.paint()),
      // An edited line's figures belong to the code that was profiled: the marks are worked out again.
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (this.run && this.marks.has(e.document.uri.fsPath)) this.load(this.run);
      }),
      vscode.languages.registerHoverProvider({ language: "lua", scheme: "file" }, { provideHover: (doc, pos) => this.hover(doc, pos) }),
      ctx.onSessionState((s) => {
        if (s.phase === "done" && s.run && s.run.mode !== "none") void this.showRun(s.run.id, false);
      }),
    );
  }

  /** Shows a stored run's hot lines (and opens its hottest line's file when asked to). */
  async showRun(id: string, reveal: boolean): Promise<void> {
    try {
      const { run } = await this.ctx.request(P.getRun, { id });
      this.visible = true;
      this.load(run);
      if (reveal) await this.reveal(run);
    } catch (e) {
      this.ctx.output.warn(`hot lines of run ${id}: ${(e as Error).message}`);
      if (reveal) void vscode.window.showErrorMessage(`Moonscope: the hot lines of run ${id} could not be read: ${(e as Error).message}`);
    }
  }

  toggle(): void {
    if (!this.run) {
      void vscode.window.showInformationMessage("Moonscope: no hot lines to show yet. Profile a route, or pick a run in the Runs view and choose Show Hot Lines.");
      return;
    }
    this.visible = !this.visible;
    this.paint();
  }

  private load(run: RunFile): void {
    this.run = run;
    const open = new Map(vscode.workspace.textDocuments.map((d) => [d.uri.fsPath, d]));
    const disk = new Map<string, string[]>();
    const lineText = (file: string, line: number): string | undefined => {
      const doc = open.get(file);
      if (doc) return line >= 1 && line <= doc.lineCount ? doc.lineAt(line - 1).text : undefined;
      let lines = disk.get(file);
      if (lines === undefined) {
        try {
          lines = readFileSync(file, "utf8").split(/\r?\n/);
        } catch {
          lines = [];
        }
        disk.set(file, lines);
      }
      return lines[line - 1];
    };
    this.marks = hotLineMarks(run, lineText);
    this.paint();
  }

  private async reveal(run: RunFile): Promise<void> {
    const hottest = [...this.marks.entries()].flatMap(([file, marks]) => marks.map((m) => ({ file, m }))).sort((a, b) => b.m.row.selfUs - a.m.row.selfUs)[0];
    if (!hottest) {
      const why = (run.hotLines ?? []).length === 0 ? "it has no Lua lines (profiled without the Lua sampler, or before lines were recorded)" : "its lines have changed since";
      void vscode.window.showInformationMessage(`Moonscope: no hot lines to show for ${run.route.method} ${run.route.path}: ${why}.`);
      return;
    }
    const editor = await vscode.window.showTextDocument(vscode.Uri.file(hottest.file), { preview: true });
    const at = new vscode.Range(hottest.m.line, 0, hottest.m.line, 0);
    editor.selection = new vscode.Selection(at.start, at.start);
    editor.revealRange(at, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
  }

  private paint(): void {
    for (const editor of vscode.window.visibleTextEditors) {
      const marks = this.visible ? (this.marks.get(editor.document.uri.fsPath) ?? []) : [];
      for (const level of [0, 1, 2, 3] as HeatLevel[]) {
        editor.setDecorations(
          this.types[level],
          marks.filter((m) => m.level === level).map((m) => ({ range: new vscode.Range(m.line, 0, m.line, 0), renderOptions: { after: { contentText: m.label } } })),
        );
      }
    }
  }

  private hover(doc: vscode.TextDocument, pos: vscode.Position): vscode.Hover | undefined {
    if (!this.visible) return undefined;
    const mark = this.marks.get(doc.uri.fsPath)?.find((m) => m.line === pos.line);
    return mark ? new vscode.Hover(new vscode.MarkdownString(mark.hover)) : undefined;
  }

  dispose(): void {
    for (const s of this.subscriptions) s.dispose();
  }
}
