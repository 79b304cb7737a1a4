// The hot-spot table: functions by self or total time, sortable, each row opening its source.
import { WhenShown } from "./when-shown";
import type { CallTree } from "../profile/calltree";
import { hotSpots, type HotSpot } from "../profile/calltree";
import { frameLabel, type Frame, type FrameKind } from "../profile/frames";
import { KIND_LABELS } from "../profile/frames";
import { h, fill } from "./dom";
import { duration, share } from "./format";

type SortKey = "self" | "total" | "name";

/** The kind filter's choices: everything, Lua alone (its functions and the C functions it calls), or one kind. */
const KIND_FILTERS: { value: string; label: string; kinds: FrameKind[] | null }[] = [
  { value: "all", label: "All kinds", kinds: null },
  { value: "lua-only", label: "Lua only", kinds: ["lua", "lua-c"] },
  ...(["lua", "lua-c", "js-app", "server-core", "node", "native", "gc"] as const).map((k) => ({ value: k, label: KIND_LABELS[k], kinds: [k] })),
];

export class HotSpotTable {
  readonly el: HTMLElement;
  private readonly body: HTMLElement;
  private readonly heads: Record<SortKey, HTMLElement>;
  private rows: HotSpot[] = [];
  private tree: CallTree | null = null;
  private readonly build = new WhenShown(() => this.refresh());
  private sort: { key: SortKey; desc: boolean } = { key: "self", desc: true };
  private readonly table: HTMLElement;
  private readonly kindSelect: HTMLSelectElement;
  private readonly count = h("span", { className: "ms-muted", role: "status", "data-testid": "hotspots-count" });

  constructor(
    private readonly onOpenSource: (f: Frame) => void,
    private readonly sourceOf: (f: Frame) => string | null = (f) => f.file ?? null,
    private readonly limit = 200,
    /** A Lua function's hottest lines: a short line under where it is, and in full on hover. */
    private readonly linesOf: (f: Frame) => { short: string; full: string[] } = () => ({ short: "", full: [] }),
  ) {
    this.kindSelect = h("select", { className: "ms-input", "aria-label": "Show kind", "data-testid": "hotspots-kind" }, ...KIND_FILTERS.map((k) => h("option", { value: k.value }, k.label))) as HTMLSelectElement;
    this.kindSelect.addEventListener("change", () => this.render());
    this.body = h("tbody");
    const head = (key: SortKey, label: string) => {
      const b = h("button", { type: "button", className: "ms-sort", "data-sort": key }, label);
      b.addEventListener("click", () => {
        this.sort = this.sort.key === key ? { key, desc: !this.sort.desc } : { key, desc: key !== "name" };
        this.render();
      });
      return h("th", { scope: "col" }, b);
    };
    this.heads = { name: head("name", "Function"), self: head("self", "Self"), total: head("total", "Total") };
    this.table = h(
      "table",
      { className: "ms-table ms-hotspots", "data-testid": "hotspots" },
      h("caption", {}, "Hot spots: where the busy CPU time went; shares are of busy CPU (idle excluded), as in the flamegraph. Enter or click opens the source."),
      h("thead", {}, h("tr", {}, this.heads.name, h("th", { scope: "col" }, "Kind"), this.heads.self, h("th", { scope: "col" }, "Self %"), this.heads.total, h("th", { scope: "col" }, "Total %"), h("th", { scope: "col" }, "Where"))),
      this.body,
    );
    this.el = h("div", {}, h("div", { className: "ms-row" }, h("label", {}, "Show ", this.kindSelect), this.count), this.table);
  }

  setTree(t: CallTree | null): void {
    this.tree = t;
    this.build.changed();
  }

  setShown(shown: boolean): void {
    this.build.setShown(shown);
  }

  private refresh(): void {
    const t = this.tree;
    this.rows = t ? hotSpots(t, Number.MAX_SAFE_INTEGER).filter((r) => r.frame.kind !== "idle" && r.frame.kind !== "stage" && r.frame.kind !== "program") : [];
    this.render();
  }

  private render(): void {
    const { key, desc } = this.sort;
    const filter = KIND_FILTERS.find((k) => k.value === this.kindSelect.value)?.kinds ?? null;
    const rows = filter ? this.rows.filter((r) => filter.includes(r.frame.kind)) : this.rows;
    this.count.textContent = this.rows.length ? `${rows.length} of ${this.rows.length} functions${rows.length > this.limit ? `, the first ${this.limit} shown` : ""}` : "";
    const sorted = rows.slice().sort((a, b) => {
      const d = key === "name" ? frameLabel(a.frame).localeCompare(frameLabel(b.frame)) : a[key] - b[key];
      return desc ? -d : d;
    });
    for (const [k, th] of Object.entries(this.heads)) th.setAttribute("aria-sort", k === key ? (desc ? "descending" : "ascending") : "none");
    this.table.dataset.sort = `${key}-${desc ? "desc" : "asc"}`;
    if (sorted.length === 0) {
      fill(this.body, h("tr", {}, h("td", { colspan: 7, className: "ms-muted" }, this.rows.length ? "No function of this kind has samples." : "No samples: the run has no CPU profile (mode none), or nothing ran yet.")));
      return;
    }
    fill(
      this.body,
      ...sorted.slice(0, this.limit).map((r) => {
        const f = r.frame;
        const where = f.file ? `${f.file}${f.line ? `:${f.line}` : ""}` : "";
        const opens = this.sourceOf(f) !== null;
        const tr = h(
          "tr",
          { tabindex: opens ? 0 : -1, className: opens ? "ms-clickable" : "", "data-kind": f.kind, title: opens ? `Open ${where}` : where ? `${where} is not a file of the workspace` : undefined },
          h("td", {}, h("span", { className: `ms-swatch ms-kind-${f.kind}`, "aria-hidden": "true" }), f.name || "(anonymous)"),
          h("td", {}, KIND_LABELS[f.kind]),
          h("td", { "data-value": r.self }, duration(r.self)),
          h("td", {}, share(r.selfShare)),
          h("td", { "data-value": r.total }, duration(r.total)),
          h("td", {}, share(r.totalShare)),
          h("td", { className: "ms-muted" }, where, ...lineNotes(this.linesOf(f))),
        );
        if (opens) {
          tr.addEventListener("click", () => this.onOpenSource(f));
          tr.addEventListener("keydown", (e) => {
            if (e.key === "Enter" || e.key === " ") {
              e.preventDefault();
              this.onOpenSource(f);
            }
          });
        }
        return tr;
      }),
    );
  }
}

function lineNotes(lines: { short: string; full: string[] }): HTMLElement[] {
  return lines.short ? [h("div", { className: "ms-hot-lines", "data-testid": "hotspot-lines", title: lines.full.join("\n") }, lines.short)] : [];
}
