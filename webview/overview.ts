// The Overview tab: summary cards, the verdict, the live throughput and latency charts, the stage
// breakdown, the per-worker table and the run's warnings, for a finished run or the live frames.
// Which run, frame and worker it shows is the App's choice; this view only draws them.
import { STAGE_NAMES, type RunFile, type TimelineChunk } from "../profile/run";
import type { WorkerFrameRow } from "../protocol/types";
import type { ToClient } from "../protocol/ws";
import { LiveChart } from "./chart";
import { h, fill } from "./dom";
import { bytes, duration, rate, share } from "./format";
import { StagesView } from "./stages";

export type LiveFrame = Extract<ToClient, { type: "frame" }>;

export class OverviewView {
  readonly el: HTMLElement;
  private readonly summary = h("div", { className: "ms-cards", "data-testid": "summary" });
  private readonly verdict = h("p", { className: "ms-verdict", "data-testid": "verdict" });
  private readonly warnings = h("ul", { className: "ms-warnings", "data-testid": "warnings" });
  private readonly workersTable = h("div", { "data-testid": "workers" });
  private readonly stages = new StagesView();
  // The live charts count what the server answered, frame by frame; the run's Throughput card is
  // the load generator's mean. The legend says "now" and "mean" so the two are not mistaken.
  private readonly rpsChart: LiveChart;
  private readonly latencyChart = new LiveChart("Server latency", [{ name: "p50", format: duration }, { name: "p99", format: duration }], { unit: "time in the server", scale: "log", testid: "chart-latency" });

  /** onBrush: a time range (seconds) dragged across the throughput chart, or null when cleared. */
  constructor(where: "vscode" | "browser", onBrush: (range: [number, number] | null) => void) {
    this.rpsChart = new LiveChart("Throughput", [{ name: "req/s", format: (v) => rate(v) }], { unit: "req/s, as the server answered", testid: "chart-rps", onBrush });
    this.el = h("div", { className: "ms-overview" }, this.summary, this.verdict, h("div", { className: "ms-charts", "data-testid": "overview-charts" }, this.rpsChart.el, this.latencyChart.el), this.stages.el, this.workersTable, this.warnings);
    const here =
      where === "browser"
        ? "Pick a handler under Route above and press Profile (Options sets workers, connections, rate, warm-up and the request's query, headers and body)."
        : "Pick a handler under Route above and press Profile, click ▶ Profile over a handler in a Lua route file, or run “Moonscope: Profile Route”.";
    fill(
      this.summary,
      h(
        "div",
        { className: "ms-empty", "data-testid": "empty" },
        h("p", {}, "No run yet."),
        h("p", { className: "ms-muted" }, here),
        h("p", { className: "ms-muted" }, "From a terminal: ", h("code", {}, 'npx moonscope profile app.lua --route "GET /hello"'), "."),
      ),
    );
    this.stages.update([], "Stages: nothing measured yet");
  }

  /** A session that ended without a run: nothing of an earlier run stays under its name. */
  showFailed(route: string, why: string): void {
    fill(this.summary, h("div", { className: "ms-empty", "data-testid": "failed" }, h("p", {}, `${route} was not measured: the session failed.`), h("p", { className: "ms-muted" }, why), h("p", { className: "ms-muted" }, "Earlier runs are still under Run.")));
    this.verdict.textContent = "";
    this.stages.update([], "Stages: nothing measured");
    fill(this.workersTable);
    fill(this.warnings);
  }

  /** A finished run, for all workers merged (worker null) or one of them. */
  showRun(r: RunFile, worker: number | null): void {
    const c = r.client;
    fill(
      this.summary,
      card("Throughput", `${rate(c.rps)} req/s`, `load generator's mean over ${(c.durationMs / 1000).toFixed(1)} s · ${c.generator}, ${r.options.rate ? `${r.options.rate} req/s fixed` : `${r.options.connections} connections`}, ${r.workers.length || r.options.workers} worker${(r.workers.length || r.options.workers) === 1 ? "" : "s"}`),
      card("Client p50", duration(c.latencyUs.p50), `p90 ${duration(c.latencyUs.p90)}`),
      card("Client p99", duration(c.latencyUs.p99), `p99.9 ${duration(c.latencyUs.p999)}`),
      card("Errors", String(c.errors + c.non2xx), `${c.non2xx} non-2xx`),
      card("Server p50 / p99", `${duration(r.server.latencyUs.p50)} / ${duration(r.server.latencyUs.p99)}`, `${r.server.requests} requests`),
    );
    this.verdict.textContent = r.verdict.message;
    const ratio = c.latencyUs.p50 / Math.max(1e-9, r.server.latencyUs.p50);
    if (ratio > 10) this.verdict.append(h("span", { className: "ms-note", "data-testid": "latency-note" }, ` The client's p50 is ${ratio.toFixed(0)}× the server's: the server's figure is the time from a request's first byte to its response's write; the client's adds queueing behind ${r.options.connections} connection${r.options.connections === 1 ? "" : "s"}, the network and the load generator itself.`));
    const mine = worker === null ? undefined : r.server.perWorker?.find((x) => x.worker === worker);
    if (worker === null) this.stages.update(r.server.stages, `Stages, all workers (${r.server.requests} requests)`);
    else if (mine) this.stages.update(mine.stages, `Stages, worker ${worker} (${mine.requests} requests, server p99 ${duration(mine.latencyUs.p99)})`);
    else this.stages.update(r.server.stages, "Stages, all workers (this run stored stage timings merged only; the flamegraph and hot spots show the selected worker)");
    fill(
      this.workersTable,
      table(
        "Workers",
        ["Worker", "PID", "Requests", "CPU", "RSS", "Lua heap", "Event-loop p99"],
        r.workers.map((x) => [String(x.worker), String(x.pid), String(x.requests), `${x.cpuPercent.toFixed(0)}%`, bytes(x.rssBytes), bytes(x.luaHeapBytes), duration(x.eventLoopDelayP99Us)]),
        "workers-table",
      ),
    );
    fill(
      this.warnings,
      ...r.budgets.filter((b) => !b.ok).map((b) => h("li", { className: "ms-worse" }, `Budget missed: ${b.message}`)),
      ...r.warnings.map((x) => h("li", {}, x)),
    );
  }

  /** The live session as of frame m, for all workers merged (worker null) or one of them. */
  showFrame(m: LiveFrame, worker: number | null): void {
    const row = worker === null ? null : m.workers.find((x) => x.worker === worker);
    this.stages.update(row ? row.stages : m.stages, row ? `Stages, worker ${worker} (live)` : `Stages, all workers (live, ${m.requests} requests)`);
    fill(
      this.summary,
      card("Throughput", `${rate(m.rps)} req/s`, "live, as the server answered"),
      card("Server p50", duration(m.serverP50Us), "live"),
      card("Server p99", duration(m.serverP99Us), "live"),
      card("Requests", String(m.requests), `${(m.elapsedMs / 1000).toFixed(1)} s`),
    );
    this.verdict.textContent = "";
    this.showLiveWorkers(m.workers);
  }

  /** Adds frame m's throughput and latencies to the live charts. */
  plot(m: LiveFrame): void {
    this.rpsChart.push(m.elapsedMs / 1000, [m.rps]);
    this.latencyChart.push(m.elapsedMs / 1000, [m.serverP50Us, m.serverP99Us]);
  }

  /** A stored run's timeline on the charts (chunks of about 2 s), for brushing. */
  plotTimeline(chunks: readonly TimelineChunk[]): void {
    this.clearCharts();
    // Steps: each chunk's figures held over its span.
    for (const c of chunks) {
      const seconds = Math.max(1e-3, (c.endMs - c.startMs) / 1000);
      for (const t of [c.startMs, c.endMs]) {
        this.rpsChart.push(t / 1000, [c.requests / seconds]);
        this.latencyChart.push(t / 1000, [c.p50Us, c.p99Us]);
      }
    }
  }

  /** The stage means of a brushed range (its percentiles cannot be had from the chunks, so they show as –). */
  showRangeStages(chunk: Omit<TimelineChunk, "tree">, label: string): void {
    const sum = STAGE_NAMES.reduce((a, s) => a + chunk.stageMeanUs[s], 0);
    const rows = STAGE_NAMES.map((stage) => ({ stage, p50Us: NaN, p99Us: NaN, meanUs: chunk.stageMeanUs[stage], share: sum > 0 ? chunk.stageMeanUs[stage] / sum : 0 }));
    this.stages.update(rows, `Stages, ${label} (${chunk.requests} requests, all workers; means only)`);
  }

  /** Clears the brushed range on the chart. */
  clearBrush(): void {
    this.rpsChart.setBrush(null);
  }

  /** Empties the live charts, for a new session. */
  clearCharts(): void {
    this.rpsChart.clear();
    this.latencyChart.clear();
  }

  draw(): void {
    this.rpsChart.draw();
    this.latencyChart.draw();
  }

  private showLiveWorkers(ws: WorkerFrameRow[]): void {
    if (ws.length === 0) return fill(this.workersTable);
    const rps = ws.map((w) => w.rps);
    const max = Math.max(...rps);
    const min = Math.min(...rps);
    const imbalance = max > 0 && ws.length > 1 ? (max - min) / max : 0;
    fill(
      this.workersTable,
      table(
        "Workers (live)",
        ["Worker", "PID", "req/s", "Requests", "p99", "CPU"],
        ws.map((w) => [String(w.worker), String(w.pid), rate(w.rps), String(w.requests), duration(w.serverP99Us), `${w.cpuPercent.toFixed(0)}%`]),
        "workers-table",
      ),
      imbalance > 0.2 ? h("p", { className: "ms-note", "data-testid": "imbalance" }, `Imbalance: the busiest worker serves ${share(imbalance)} more requests per second than the least busy one.`) : null,
    );
  }
}

function card(title: string, value: string, sub: string): HTMLElement {
  return h("div", { className: "ms-card" }, h("div", { className: "ms-muted" }, title), h("div", { className: "ms-card-value" }, value), h("div", { className: "ms-muted" }, sub));
}

function table(caption: string, head: string[], rows: string[][], testid: string): HTMLElement {
  return h(
    "table",
    { className: "ms-table", "data-testid": testid },
    h("caption", {}, caption),
    h("thead", {}, h("tr", {}, ...head.map((t) => h("th", { scope: "col" }, t)))),
    h("tbody", {}, ...rows.map((r) => h("tr", {}, ...r.map((c) => h("td", {}, c))))),
  );
}
