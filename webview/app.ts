// The panel: its state (the live session, the selected run and worker), the toolbar and the tabs, and
// which view shows what, over whatever Host it runs in (VS Code or the standalone dashboard). The tabs'
// contents are their own views: OverviewView, FlameGraph with SandwichView, HotSpotTable, CompareView.
import type { CallTree } from "../profile/calltree";
import { busyTree } from "../profile/compare";
import type { Frame } from "../profile/frames";
import { checkRun, type RunFile } from "../profile/run";
import { checkRunShape } from "../profile/run-shape";
import { loadTree } from "../profile/tree-store";
import { timelineRange } from "../profile/timeline";
import { EXPORT_FORMAT_NAMES, EXPORT_FORMATS } from "../profile/exports";
import { handleMessage, type MessageHandlers } from "../protocol/dispatch";
import { AB_DEFAULTS, type ProfileOptions, type RouteEntry, type RunSummary, type SessionState } from "../protocol/types";
import { CallTreeView } from "./call-tree-view";
import { StartOptionsForm } from "./start-options";
import type { PanelView, ToPanel } from "../protocol/panel";
import type { ToClient } from "../protocol/ws";
import { onThemeChange } from "./colors";
import { CompareView } from "./compare";
import { defaultPick, sameRunRefusal } from "./compare-pick";
import { h, fill, setDisabled } from "./dom";
import { FlameGraph, type SampleInfo } from "./flamegraph";
import { rate } from "./format";
import type { Host } from "./host";
import { lineShares, lineSummaries } from "./hot-lines";
import { HotSpotTable } from "./hotspots";
import { OverviewView, type LiveFrame } from "./overview";
import { SandwichView } from "./sandwich-view";

const TABS = ["overview", "flamegraph", "hotspots", "calltree", "compare"] as const;
type Tab = (typeof TABS)[number];

interface SelectEl extends HTMLElement {
  value: string;
}
interface TabsEl extends HTMLElement {
  selectedIndex: number;
}

export class App {
  readonly el: HTMLElement;
  private runs: RunSummary[] = [];
  private session: SessionState | null = null;
  private frameCount = 0;
  private lastFrame: LiveFrame | null = null;
  private run: RunFile | null = null;
  private worker = "merged";
  private view: PanelView = { kind: "live" };

  /** The run whose figures the charts hold: the session just watched (its 4 frames a second), or a run's timeline. */
  private chartsRun: string | null = null;
  /** Says which time range of the run the views show, when one was brushed. */
  private readonly rangeBar = h("div", { className: "ms-range", hidden: true, role: "status", "data-testid": "range-bar" });
  private readonly status = h("div", { className: "ms-status", role: "status", "aria-live": "polite", "data-testid": "status" }, "Idle");
  private readonly frameCountEl = h("span", { className: "ms-muted", "data-testid": "frame-count" }, "0");
  private readonly notice = h("div", { className: "ms-notice", role: "alert", hidden: true, "data-testid": "notice" });
  private readonly runSelect = select("Run", "run-select");
  private readonly workerSelect = select("Workers", "worker-select");
  private readonly exportButtons: HTMLElement[];
  private readonly tabs: TabsEl;
  private readonly overview: OverviewView;
  private readonly flame: FlameGraph;
  private readonly sandwich: SandwichView;
  /** The tree the main flamegraph shows (for its sandwich view). */
  private flameTree: CallTree | null = null;
  private readonly hotspots: HotSpotTable;
  private readonly callTree: CallTreeView;
  private readonly startOptions = new StartOptionsForm();
  private readonly compare: CompareView;
  private readonly beforeSelect = select("First run (before)", "compare-before");
  private readonly afterSelect = select("Second run (after)", "compare-after");
  private readonly compareBody = h("div", {});
  /** The user chose the runs to compare (pressed Compare): a new run no longer replaces them with the default pair. */
  private comparePicked = false;
  /** The pair the Compare tab shows, if any. */
  private compared: { before: string; after: string } | null = null;
  private readonly lastRunButton = h("vscode-button", { secondary: true, disabled: true, "aria-disabled": "true", "data-testid": "compare-last" }, "Compare with last run");
  // In VS Code the settings and AB_DEFAULTS say how long; the dashboard asks here.
  private readonly roundsInput = h("input", { type: "number", min: 1, max: 50, value: AB_DEFAULTS.runs, className: "ms-input ms-narrow", "aria-label": "Rounds per side", "data-testid": "compare-rounds" }) as HTMLInputElement;
  private readonly roundSecondsInput = h("input", { type: "number", min: 1, max: 120, value: AB_DEFAULTS.durationMs / 1000, className: "ms-input ms-narrow", "aria-label": "Seconds per round", "data-testid": "compare-seconds" }) as HTMLInputElement;
  private routes: RouteEntry[] = [];
  private readonly routeSelect = select("Route to profile", "route-select");
  private readonly durationInput = h("input", { type: "number", min: 1, max: 600, value: 10, className: "ms-input ms-narrow", "aria-label": "Seconds to measure", "data-testid": "duration" }) as HTMLInputElement;
  private readonly startButton = h("vscode-button", { "data-testid": "profile-start" }, "Profile");
  private readonly stopButton = h("vscode-button", { secondary: true, disabled: true, "aria-disabled": "true", "data-testid": "profile-stop" }, "Stop");

  constructor(private readonly host: Host) {
    this.overview = new OverviewView(host.kind, (r) => this.showRange(r));
    const open = (f: Frame) => this.host.openSource(f, this.appFile());
    const sourceOf = (f: Frame) => this.host.sourceOf(f, this.appFile());
    this.sandwich = new SandwichView(open, sourceOf);
    // A live tree is not the stored run's: its lines come once the run is written.
    const linesOf = (f: Frame) => (this.session ? [] : lineSummaries(this.run?.hotLines, f));
    this.flame = new FlameGraph({
      linesOf,
      label: "Flamegraph of the selected run: stages at the top, callees below",
      onOpenSource: open,
      sourceOf,
      onSandwich: (f) => {
        if (this.flameTree) this.sandwich.show(this.flameTree, f);
      },
    });
    this.hotspots = new HotSpotTable(open, sourceOf, undefined, (f) => (this.session ? { short: "", full: [] } : { short: lineShares(this.run?.hotLines, f), full: lineSummaries(this.run?.hotLines, f) }));
    this.callTree = new CallTreeView(open, sourceOf);
    this.compare = new CompareView(open);
    this.exportButtons = EXPORT_FORMAT_NAMES.map((f) => {
      const b = h("vscode-button", { secondary: true, disabled: true, "aria-disabled": "true", "data-testid": `export-${f}`, title: `Export the selected run's profile as ${EXPORT_FORMATS[f].label} (${EXPORT_FORMATS[f].file})` }, f === "svg" ? "Export SVG" : f);
      b.addEventListener("click", () => this.run && !b.hasAttribute("disabled") && this.host.exportRun(this.run.id, f));
      return b;
    });
    this.runSelect.addEventListener("change", () => {
      if (this.runSelect.value) void this.showRun(this.runSelect.value);
    });
    this.workerSelect.addEventListener("change", () => {
      this.worker = this.workerSelect.value || "merged";
      this.renderRun();
      if (this.session && this.lastFrame) this.showFrame(this.lastFrame);
    });
    const compareButton = h("vscode-button", { "data-testid": "compare-go" }, "Compare");
    compareButton.addEventListener("click", () => {
      if (!this.beforeSelect.value || !this.afterSelect.value) return;
      this.comparePicked = true;
      void this.showCompare(this.beforeSelect.value, this.afterSelect.value);
    });
    this.lastRunButton.addEventListener("click", () => !this.lastRunButton.hasAttribute("disabled") && void this.compareWithLastRun());

    this.startButton.addEventListener("click", () => void this.startProfile());
    this.stopButton.addEventListener("click", () => {
      this.host.request("stopProfile", {}).catch((e: Error) => this.showNotice("error", e.message));
    });

    const tabHeader = (t: Tab, label: string) => h("vscode-tab-header", { slot: "header", "data-testid": `tab-${t}` }, label);
    this.tabs = h(
      "vscode-tabs",
      { panel: true, "data-testid": "tabs" },
      tabHeader("overview", "Overview"),
      h("vscode-tab-panel", {}, this.overview.el),
      tabHeader("flamegraph", "Flamegraph"),
      h("vscode-tab-panel", {}, this.flame.el, this.sandwich.el),
      tabHeader("hotspots", "Hot spots"),
      h("vscode-tab-panel", {}, this.hotspots.el),
      tabHeader("calltree", "Call tree"),
      h("vscode-tab-panel", {}, this.callTree.el),
      tabHeader("compare", "Compare"),
      h(
        "vscode-tab-panel",
        {},
        h("div", { className: "ms-row" }, h("label", {}, "Before "), this.beforeSelect, h("label", {}, " After "), this.afterSelect, compareButton),
        h(
          "div",
          { className: "ms-row" },
          this.lastRunButton,
          ...(host.kind === "browser" ? [h("label", {}, " Rounds "), this.roundsInput, h("label", {}, " Seconds per round "), this.roundSecondsInput] : []),
        ),
        this.compareBody,
      ),
    ) as TabsEl;
    this.tabs.addEventListener("vsc-tabs-select", () => {
      this.hotspots.setShown(this.currentTab() === "hotspots");
      this.callTree.setShown(this.currentTab() === "calltree");
      if (this.currentTab() === "compare") this.renderCompareDefault();
      // A canvas laid out while its tab was hidden has no width: draw again once visible.
      requestAnimationFrame(() => this.redraw());
    });

    this.el = h(
      "main",
      { className: "ms-app" },
      h(
        "header",
        { className: "ms-header" },
        h("h1", {}, "Moonscope"),
        this.status,
        // In the header's line, so brushing a chart does not push the chart down under the pointer.
        this.rangeBar,
        h("span", { className: "ms-muted ms-frames", title: "live frames received" }, "frames ", this.frameCountEl),
      ),
      this.notice,
      // In VS Code the settings (moonscope.durationSeconds, ...) say how long; the dashboard asks here.
      h("div", { className: "ms-toolbar", "data-testid": "profile-bar" }, h("label", {}, "Route "), this.routeSelect, host.kind === "browser" ? h("label", {}, " Seconds ") : null, host.kind === "browser" ? this.durationInput : null, this.startButton, this.stopButton),
      host.kind === "browser" ? this.startOptions.el : null,
      h("div", { className: "ms-toolbar" }, h("label", {}, "Run "), this.runSelect, h("label", {}, " Workers "), this.workerSelect, ...this.exportButtons),
      this.tabs,
    );
    this.renderEmpty();
    onThemeChange(() => this.redraw());
  }

  addHeaderControl(el: HTMLElement): void {
    this.el.querySelector(".ms-header")?.appendChild(el);
  }

  start(): void {
    const saved = this.host.savedView();
    this.host.connect((m) => handleMessage(this.fromHost, m, ignore));
    void this.refreshRuns().then(() => {
      if (saved) void this.show(saved);
    });
    void this.refreshRoutes();
  }

  private async refreshRoutes(): Promise<void> {
    try {
      this.routes = (await this.host.request("listRoutes", {})).routes;
    } catch (e) {
      this.routes = [];
      this.showNotice("error", `Could not list the workspace's routes: ${(e as Error).message}`);
    }
    const label = (r: RouteEntry) => `${r.method} ${r.path} — ${r.file.split(/[\\/]/).slice(-2).join("/")}:${r.line + 1}`;
    fill(this.routeSelect, ...this.routes.map((r, i) => h("vscode-option", { value: String(i) }, label(r))));
    if (this.routes.length === 0) fill(this.routeSelect, h("vscode-option", { value: "" }, "no Lua route handlers found"));
  }

  private async startProfile(): Promise<void> {
    const r = this.routes[Number(this.routeSelect.value)];
    if (!r) return this.showNotice("info", "Pick a route first. Routes are the handlers of the workspace's Lua files, like function api.hello.get(ctx).");
    const seconds = Math.max(1, Math.min(600, Number(this.durationInput.value) || 10));
    let route = `${r.method} ${r.path}`;
    let options: ProfileOptions | undefined;
    if (this.host.kind === "browser") {
      const typed = this.startOptions.read();
      if ("error" in typed) return this.showNotice("error", typed.error);
      options = { ...typed.options, durationMs: seconds * 1000 };
      if (typed.query) route += `?${typed.query}`;
    }
    try {
      await this.host.request("startProfile", { uri: r.uri, route, options });
    } catch (e) {
      this.showNotice("error", `${(e as { code?: string }).code ?? "MS_ERR_SESSION"}: ${(e as Error).message}`);
    }
  }

  /** Runs the last run's code (its copy of the app) and the app as it is now in interleaved rounds; the live view streams it, compareDone shows the result. */
  private async compareWithLastRun(): Promise<void> {
    const last = this.runs.find((r) => !r.error);
    if (!last) return this.showNotice("info", "No run yet: profile a route first. Compare with last run then measures that run's code against the app as it is now.");
    const seconds = Math.max(1, Math.min(120, Number(this.roundSecondsInput.value) || AB_DEFAULTS.durationMs / 1000));
    const runs = Math.max(1, Math.min(50, Math.round(Number(this.roundsInput.value) || AB_DEFAULTS.runs)));
    try {
      const options = this.host.kind === "browser" ? { runs, durationMs: seconds * 1000, warmupMs: Math.min(2000, seconds * 500) } : undefined;
      await this.host.request("startCompare", { run: last.id, options });
    } catch (e) {
      this.showNotice("error", `${(e as { code?: string }).code ?? "MS_ERR_SESSION"}: ${(e as Error).message}`);
    }
  }

  private readonly fromHost: MessageHandlers<ToPanel> = {
    stream: (m) => handleMessage(this.fromDaemon, m.message, ignore),
    show: (m) => void this.show(m.view),
    notice: (m) => this.showNotice(m.level, m.message),
    // The host settles replies to its own requests; none reach the panel.
    reply: () => {},
  };

  private readonly fromDaemon: MessageHandlers<ToClient> = {
    hello: (m) => {
      this.runs = m.runs;
      this.renderRunOptions();
      const latest = this.runs.find((r) => !r.error);
      if (m.sessions[0]) this.onState(m.sessions[0]);
      else if (!this.run && latest && this.view.kind === "live") void this.showRun(latest.id, false);
    },
    state: (m) => this.onState(m.state),
    frame: (m) => {
      this.frameCount++;
      this.frameCountEl.textContent = String(this.frameCount);
      this.lastFrame = m;
      this.overview.plot(m);
      this.showFrame(m);
    },
    tree: (m) => {
      if (!this.session) return;
      const t = loadTree(m.tree);
      this.setFlameTree(t, "No samples yet.", { live: true });
      this.hotspots.setTree(busyTree(t));
      this.callTree.setTree(t);
    },
    runDone: (m) => {
      this.chartsRun = m.run.id;
      void this.refreshRuns().then(() => this.showRun(m.run.id, false));
    },
    compareDone: (m) => {
      // The charts hold both sides' rounds, as the session went: they stay under the new runs.
      this.chartsRun = m.after.id;
      void this.refreshRuns().then(async () => {
        await this.showRun(m.after.id, false);
        await this.showCompare(m.before.id, m.after.id);
      });
    },
    error: (m) => this.showNotice("error", `${m.code}: ${m.message}`),
  };

  private onState(s: SessionState): void {
    const active = !["done", "failed", "cancelled"].includes(s.phase);
    if (s.phase === "starting" && this.session?.sessionId !== s.sessionId) {
      this.frameCount = 0;
      this.frameCountEl.textContent = "0";
      this.lastFrame = null;
      this.overview.clearCharts();
      this.chartsRun = null;
      this.hideNotice();
      this.setFlameTree(null, "The flamegraph appears about 2 s into the measurement and grows as samples come in.");
      this.hotspots.setTree(null);
      this.callTree.setTree(null);
      this.rangeBar.hidden = true;
      // A new session shows its live view once; after that the user's tab stays theirs.
      this.view = { kind: "live" };
      this.selectTab("overview");
    }
    if (s.phase === "starting" && s.kind === "compare") this.setFlameTree(null, "A comparison has no live flamegraph (two apps take turns, and their profilers are left undisturbed); the differential flamegraph appears in Compare at the end.");
    this.session = active ? s : null;
    setDisabled(this.startButton, active);
    setDisabled(this.stopButton, !active);
    this.renderLastRunButton();
    if (active) {
      const left = s.durationMs && s.elapsedMs !== undefined ? ` · ${Math.max(0, (s.durationMs - s.elapsedMs) / 1000).toFixed(0)} s left` : "";
      const note = s.loadUrl ? ` — send the load to ${s.loadUrl}` : s.message && s.phase !== "measuring" ? ` — ${s.message}` : "";
      this.setStatus(`${s.phase} ${s.route}${left}${note}`, s.phase);
    } else if (s.phase === "failed") {
      const why = `${s.error?.code ?? "MS_ERR_SESSION"}: ${s.error?.message ?? s.message}`;
      this.setStatus(`${s.route}: failed`, s.phase);
      this.showNotice("error", why);
      // Nothing of the previously shown run stays under the failed session's name.
      this.run = null;
      this.runSelect.value = "";
      for (const b of this.exportButtons) setDisabled(b, true);
      this.overview.showFailed(s.route, why);
      this.setFlameTree(null, `${s.route} failed before a profile was written; pick an earlier run under Run to see it.`);
      this.hotspots.setTree(null);
      this.callTree.setTree(null);
    } else if (s.phase === "cancelled") {
      this.setStatus(`${s.route}: cancelled`, s.phase);
    }
  }

  private async show(v: PanelView): Promise<void> {
    if (v.kind === "run") await this.showRun(v.id);
    else if (v.kind === "compare") {
      this.comparePicked = true;
      await this.showCompare(v.before, v.after);
    } else this.selectTab("overview");
  }

  private async refreshRuns(): Promise<void> {
    try {
      this.runs = (await this.host.request("listRuns", {})).runs;
      this.renderRunOptions();
    } catch (e) {
      this.showNotice("error", `Could not list runs: ${(e as Error).message}`);
    }
  }

  private async loadRun(id: string): Promise<RunFile> {
    const { run } = await this.host.request("getRun", { id });
    return checkRunShape(checkRun(run, `run ${id}`), `run ${id}`);
  }

  private async showRun(id: string, switchTab = true): Promise<void> {
    try {
      this.run = await this.loadRun(id);
    } catch (e) {
      this.showNotice("error", `Could not open run ${id}: ${(e as Error).message}`);
      return;
    }
    this.hideNotice();
    this.view = { kind: "run", id };
    this.host.saveView(this.view);
    // The charts show the selected run: as it was watched, or its timeline; a run without one (measured
    // in a terminal, say) has none to show, rather than another run's.
    if (!this.session && this.chartsRun !== id) {
      if (this.run.profile.timeline?.length) this.overview.plotTimeline(this.run.profile.timeline);
      else this.overview.clearCharts();
      this.chartsRun = id;
    }
    this.runSelect.value = id;
    if (!this.session) this.setStatus(`${this.run.route.method} ${this.run.route.path} · ${new Date(this.run.createdAt).toLocaleString()}`, "run");
    this.renderWorkerOptions();
    this.renderRun();
    if (switchTab && this.currentTab() === "compare") this.selectTab("overview");
  }

  private async showCompare(before: string, after: string): Promise<void> {
    if (before === after) {
      this.compared = null;
      fill(this.compareBody, h("p", { className: "ms-empty", role: "alert", "data-testid": "compare-refused" }, sameRunRefusal(before)));
      this.selectTab("compare");
      return;
    }
    try {
      const [a, b] = await Promise.all([this.loadRun(before), this.loadRun(after)]);
      this.compare.show(a, b);
      fill(this.compareBody, this.compare.el);
      this.compared = { before, after };
      this.beforeSelect.value = before;
      this.afterSelect.value = after;
      this.view = { kind: "compare", before, after };
      this.host.saveView(this.view);
      this.hideNotice();
      this.selectTab("compare");
    } catch (e) {
      this.compared = null;
      this.showNotice("error", `Could not compare ${before} and ${after}: ${(e as Error).message}`);
    }
  }

  private currentTab(): Tab {
    return TABS[this.tabs.selectedIndex] ?? "overview";
  }

  private selectTab(t: Tab): void {
    this.tabs.selectedIndex = TABS.indexOf(t);
    this.hotspots.setShown(t === "hotspots");
    this.callTree.setShown(t === "calltree");
    requestAnimationFrame(() => this.flame.draw());
  }

  private renderEmpty(): void {
    this.setFlameTree(null, "No profile yet: profile a route to see where its CPU time goes.");
    this.hotspots.setTree(null);
    this.callTree.setTree(null);
    this.renderCompareDefault();
  }

  /**
   * With nothing compared yet, the Compare tab compares the default pair (defaultPick) once it is
   * shown (two runs are read and judged only then), or says why there is none.
   */
  private renderCompareDefault(): void {
    if (this.compared || this.comparePicked) return;
    const pick = defaultPick(this.runs);
    if ("why" in pick) {
      fill(this.compareBody, h("p", { className: "ms-empty", "data-testid": "compare-none" }, pick.why));
      return;
    }
    fill(this.compareBody, h("p", { className: "ms-muted" }, "Pick two runs and press Compare: every metric judged across rounds, what differs besides the code, and a differential flamegraph."));
    if (this.currentTab() !== "compare") return;
    // Claimed before the runs load, so a tab-select event meanwhile does not start a second load.
    this.compared = pick;
    void this.showCompare(pick.before, pick.after);
  }

  private renderLastRunButton(): void {
    const last = this.runs.find((r) => !r.error);
    setDisabled(this.lastRunButton, !last || this.session !== null);
    this.lastRunButton.title = last
      ? `Runs the code of the last run (${last.route}, ${new Date(last.createdAt).toLocaleString()}) and the app as it is now, their rounds interleaved, then compares them`
      : "Profile a route first: this then measures that run's code against the app as it is now";
  }

  private renderRunOptions(): void {
    const ok = this.runs.filter((r) => !r.error);
    const label = (r: RunSummary) => `${r.route} · ${new Date(r.createdAt).toLocaleString()} · ${rate(r.rps)} req/s`;
    const options = (sel: SelectEl, current: string | undefined) => {
      fill(sel, ...ok.map((r) => h("vscode-option", { value: r.id, selected: r.id === current }, label(r))));
      if (current) sel.value = current;
    };
    options(this.runSelect, this.run?.id);
    const pick = defaultPick(this.runs);
    const kept = (id: string) => (this.comparePicked && ok.some((r) => r.id === id) ? id : undefined);
    options(this.beforeSelect, kept(this.beforeSelect.value) ?? ("before" in pick ? pick.before : ok[1]?.id));
    options(this.afterSelect, kept(this.afterSelect.value) ?? ("after" in pick ? pick.after : ok[0]?.id));
    // Until the user picks, the tab follows the newest pair.
    if (!this.comparePicked) this.compared = null;
    this.renderCompareDefault();
    this.renderLastRunButton();
    const broken = this.runs.filter((r) => r.error);
    if (broken.length) this.showNotice("info", `${broken.length} run folder${broken.length > 1 ? "s" : ""} could not be read and ${broken.length > 1 ? "are" : "is"} left out: ${broken.map((r) => `${r.id} (${r.error})`).join("; ")}`);
  }

  private renderWorkerOptions(): void {
    const ids = new Set<number>();
    for (const w of this.run?.workers ?? []) ids.add(w.worker);
    for (const w of this.lastFrame?.workers ?? []) ids.add(w.worker);
    const current = this.worker;
    fill(this.workerSelect, h("vscode-option", { value: "merged", selected: current === "merged" }, "All workers (merged)"), ...[...ids].sort((a, b) => a - b).map((id) => h("vscode-option", { value: `w${id}`, selected: current === `w${id}` }, `Worker ${id}`)));
    this.workerSelect.value = current;
  }

  private selectedWorker(): number | null {
    return this.worker === "merged" ? null : Number(this.worker.slice(1));
  }

  private showFrame(m: LiveFrame): void {
    if (this.workerSelect.childElementCount !== m.workers.length + 1) this.renderWorkerOptions();
    const left = Math.max(0, (m.durationMs - m.elapsedMs) / 1000);
    const side = m.side ? ` · ${m.side === "A" ? "before: the last run's code" : "after: the app now"}${m.round ? `, round ${m.round.index + 1} of ${m.round.count}` : ""}` : "";
    this.setStatus(`measuring ${m.route}${side} · ${(m.elapsedMs / 1000).toFixed(1)} of ${(m.durationMs / 1000).toFixed(0)} s · ${left.toFixed(0)} s left`, "measuring");
    this.overview.showFrame(m, this.selectedWorker());
  }

  private treeOf(run: RunFile): CallTree | null {
    const w = this.selectedWorker();
    const stored = w === null ? run.profile.merged : (run.profile.perWorker.find((x) => x.worker === w)?.tree ?? null);
    return stored ? loadTree(stored) : null;
  }

  /**
   * A time range brushed on the throughput chart: the flamegraph, hot spots, call tree and stages
   * of that stretch of the shown run (from its timeline); null goes back to the whole run.
   */
  private showRange(range: [number, number] | null): void {
    const r = this.run;
    const chunks = r?.profile.timeline;
    if (!r || this.session || !chunks?.length) {
      this.overview.clearBrush();
      if (range) this.showNotice("info", this.session ? "A time range can be picked once the run is written." : "This run has no timeline (it was measured without a live profile, e.g. by moonscope profile in a terminal or an outside tool): it shows as a whole.");
      return;
    }
    if (!range) return this.renderRun();
    const picked = timelineRange(chunks, range[0] * 1000, range[1] * 1000);
    if (!picked) return this.renderRun();
    const label = `${(picked.chunk.startMs / 1000).toFixed(1)}–${(picked.chunk.endMs / 1000).toFixed(1)} s`;
    const all = h("button", { type: "button", className: "ms-link", "data-testid": "range-clear" }, "show the whole run");
    all.addEventListener("click", () => this.renderRun());
    fill(this.rangeBar, `Showing ${label} of the run (${picked.chunk.requests} requests, all workers; chunks of about 2 s) · `, all);
    this.rangeBar.hidden = false;
    this.overview.showRangeStages(picked.chunk, label);
    this.setFlameTree(picked.tree, `No samples between ${label}.`, { cpuIntervalUs: r.options.cpuIntervalUs, luaIntervalMs: r.options.luaIntervalMs });
    this.hotspots.setTree(picked.tree ? busyTree(picked.tree) : null);
    this.callTree.setTree(picked.tree);
  }

  private renderRun(): void {
    const r = this.run;
    if (!r) return;
    const t0 = performance.now();
    for (const b of this.exportButtons) setDisabled(b, !r.profile.merged);
    if (this.session) return; // the live view owns the overview while a session runs
    this.rangeBar.hidden = true;
    this.overview.clearBrush();
    this.overview.showRun(r, this.selectedWorker());
    const tree = this.treeOf(r);
    this.setFlameTree(tree, r.profile.mode === "none" ? "This run has no CPU profile (mode none). Profile again with mode sample." : "No samples in this run.", { cpuIntervalUs: r.options.cpuIntervalUs, luaIntervalMs: r.options.luaIntervalMs, luaSamples: r.profile.luaSamples });
    this.hotspots.setTree(tree ? busyTree(tree) : null);
    this.callTree.setTree(tree);
    // Opening a run end to end (tree decode, flamegraph, hot spots), for the bench.
    this.flame.el.dataset.renderMs = (performance.now() - t0).toFixed(1);
  }

  private setStatus(text: string, phase: string): void {
    this.status.textContent = text;
    this.status.dataset.phase = phase;
  }

  /** Canvases draw at their laid-out size and in the theme's colours: both can change under them. */
  private redraw(): void {
    this.flame.draw();
    this.overview.draw();
  }

  /** The app whose folder Lua frames' files are relative to: the shown run's, or the live session's. */
  private appFile(): string | undefined {
    return this.run?.app.file ?? this.session?.appFile;
  }

  private setFlameTree(t: CallTree | null, emptyMessage: string, sampling?: SampleInfo): void {
    this.flameTree = t;
    this.flame.setTree(t, emptyMessage, sampling);
    this.sandwich.update(t);
  }

  private showNotice(level: "info" | "error", message: string): void {
    this.notice.textContent = message;
    this.notice.dataset.level = level;
    this.notice.hidden = false;
  }

  private hideNotice(): void {
    this.notice.hidden = true;
  }
}

/** A dropdown with its accessible name on the inner combobox (vscode-single-select's label), not only on the host. */
function select(label: string, testid: string): SelectEl {
  return h("vscode-single-select", { label, "aria-label": label, "data-testid": testid }) as SelectEl;
}

/** A message of a type this panel does not know (from a newer host or daemon) is left out: the rest still works. */
function ignore(): void {}
