// Two runs side by side: the headline verdict, how it was reached and what differs besides the code
// (above the tables, so a different load is never missed), then throughput, CPU per request and
// client percentiles, stage means and p99s, each judged across rounds (profile/compare.ts, the same
// call as `moonscope compare`), the functions whose share moved most, and a differential flamegraph
// of the second run coloured by how each frame's share changed.
import type { CallNode } from "../profile/calltree";
import { busyTree, compareRuns, headline, type Delta } from "../profile/compare";
import { matchPaths } from "../profile/diff";
import { frameLabel, type Frame } from "../profile/frames";
import type { RunFile } from "../profile/run";
import { loadTree } from "../profile/tree-store";
import { mix } from "./colors";
import { h, fill } from "./dom";
import { FlameGraph, type Legend } from "./flamegraph";
import { duration, rate, share, signedRelative, signedShare } from "./format";

const DIFF_LEGEND: Legend = {
  label: "Colours of the differential flamegraph",
  items: [
    { swatch: "ms-diff-grew", text: "share grew" },
    { swatch: "ms-diff-shrank", text: "share shrank" },
    { swatch: "ms-diff-same", text: "unchanged or new" },
  ],
};

export class CompareView {
  readonly el: HTMLElement;
  private readonly summary: HTMLElement;
  private readonly stages: HTMLElement;
  private readonly frames: HTMLElement;
  private readonly flame: FlameGraph;
  private deltas = new Map<CallNode, number>();

  constructor(onOpenSource: (f: Frame) => void) {
    this.summary = h("div", { "data-testid": "compare-summary" });
    this.stages = h("div");
    this.frames = h("div");
    this.flame = new FlameGraph({
      label: "Differential flamegraph: the second run, red where a frame's share of CPU grew, blue where it shrank",
      onOpenSource,
      testid: "compare-flamegraph",
      legend: DIFF_LEGEND,
      colorOf: (n, p) => {
        const d = this.deltas.get(n);
        if (d === undefined) return p.kind.program;
        // Full colour at a 10-point share change; the neutral base keeps unchanged frames quiet.
        const t = Math.min(1, Math.abs(d) / 0.1);
        return t < 0.02 ? p.kind.program : mix(p.kind.program, d > 0 ? p.grew : p.shrank, 0.25 + 0.75 * t);
      },
      describe: (n) => {
        const d = this.deltas.get(n);
        return d === undefined ? "new in the second run" : `share of CPU ${signedShare(d)} against the first run`;
      },
    });
    this.el = h(
      "section",
      { className: "ms-compare", "data-testid": "compare" },
      this.summary,
      this.stages,
      h("h3", {}, "Differential flamegraph"),
      h("p", { className: "ms-muted" }, "The second run's busy CPU, each frame coloured by how its share of CPU changed against the first run."),
      this.flame.el,
      this.frames,
    );
  }

  show(a: RunFile, b: RunFile): void {
    const c = compareRuns(a, b);
    const verdict = headline(c);
    const look = verdict.change === "slower" ? "ms-worse" : verdict.change === "faster" ? "ms-better" : "";
    const value = (d: Delta, v: number) => (d === c.throughput ? rate(v) : duration(v));
    fill(
      this.summary,
      h("h2", {}, `${c.route}: ${a.id} → ${b.id}`),
      h("p", { className: `ms-verdict ${look}`, "data-testid": "compare-headline", "data-change": verdict.change }, verdict.text),
      h("p", { className: "ms-muted", "data-testid": "compare-method" }, `How: ${c.method.summary}.`),
      c.differences.length
        ? h("div", { "data-testid": "compare-differences" }, h("p", {}, "What differs between the runs:"), h("ul", { className: "ms-differences" }, ...c.differences.map((d) => h("li", {}, d))))
        : null,
      ...c.notes.map((n) => h("p", { className: "ms-note" }, n)),
      deltaTable("Client and cost (CPU/req: the workers' CPU time per request)", [c.throughput, c.cpuPerRequest, ...c.clientLatency], (d) => value(d, d.before), (d) => value(d, d.after), "compare-client"),
    );
    fill(
      this.stages,
      deltaTable("Stage means", c.stageMeans, (d) => duration(d.before), (d) => duration(d.after), "compare-stages"),
      deltaTable("Stage p99", c.stageP99, (d) => duration(d.before), (d) => duration(d.after), "compare-stages-p99"),
    );
    this.deltas = new Map();
    if (a.profile.merged && b.profile.merged) {
      const before = busyTree(loadTree(a.profile.merged));
      const after = busyTree(loadTree(b.profile.merged));
      for (const [n, m] of matchPaths(before, after)) {
        if (m === undefined) continue;
        this.deltas.set(n, n.total / after.total - m.total / before.total);
      }
      this.flame.setTree(after);
    } else this.flame.setTree(null, "A run has no CPU profile (mode none): no differential flamegraph.");
    const top = c.frames.filter((f) => Math.abs(f.deltaShare) >= 0.001).slice(0, 20);
    fill(
      this.frames,
      h("h3", {}, "Functions whose share of CPU moved most"),
      top.length === 0
        ? h("p", { className: "ms-muted" }, "No function's share moved by 0.1 points or more.")
        : h(
            "table",
            { className: "ms-table", "data-testid": "compare-frames" },
            h("thead", {}, h("tr", {}, ...["Function", "Before (self)", "After (self)", "Change"].map((t) => h("th", { scope: "col" }, t)))),
            h(
              "tbody",
              {},
              ...top.map((f) => h("tr", {}, h("td", {}, frameLabel(f.frame)), h("td", {}, share(f.beforeShare)), h("td", {}, share(f.afterShare)), h("td", { className: f.deltaShare > 0 ? "ms-worse" : "ms-better" }, signedShare(f.deltaShare)))),
            ),
          ),
    );
  }
}

function deltaTable(title: string, rows: Delta[], before: (d: Delta) => string, after: (d: Delta) => string, testid: string): HTMLElement {
  return h(
    "table",
    { className: "ms-table", "data-testid": testid },
    h("caption", {}, title),
    h("thead", {}, h("tr", {}, ...["", "Before", "After", "Change", "Verdict"].map((t) => h("th", { scope: "col" }, t)))),
    h(
      "tbody",
      {},
      ...rows.map((d) =>
        h(
          "tr",
          { "data-name": d.name, "data-change": d.change },
          h("th", { scope: "row" }, d.name),
          h("td", {}, before(d)),
          h("td", {}, after(d)),
          h("td", {}, signedRelative(d.relative)),
          h("td", { className: d.change === "slower" ? "ms-worse" : d.change === "faster" ? "ms-better" : "ms-muted", title: d.why }, d.change === "no change" ? `no change (±${(d.detectable * 100).toFixed(0)}%)` : d.change),
        ),
      ),
    ),
  );
}
