// The hot-spot table: functions by self or total time, sortable, each row opening its source.
import type { CallTree } from "../profile/calltree";
import { hotSpots, type HotSpot } from "../profile/calltree";
import { frameLabel, type Frame } from "../profile/frames";
import { KIND_LABELS } from "../profile/frames";
import { h, fill } from "./dom";
import { duration, share } from "./format";

type SortKey = "self" | "total" | "name";

export class HotSpotTable {
  readonly el: HTMLElement;
  private readonly body: HTMLElement;
  private readonly heads: Record<SortKey, HTMLElement>;
  private rows: HotSpot[] = [];
  private tree: CallTree | null = null;
  private stale = false;
  private shown = false;
  private sort: { key: SortKey; desc: boolean } = { key: "self", desc: true };

  constructor(
    private readonly onOpenSource: (f: Frame) => void,
    private readonly limit = 200,
  ) {
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
    this.el = h(
      "table",
      { className: "ms-table ms-hotspots", "data-testid": "hotspots" },
      h("caption", {}, "Hot spots: where the busy CPU time went (idle excluded). Enter or click opens the source."),
      h("thead", {}, h("tr", {}, this.heads.name, h("th", { scope: "col" }, "Kind"), this.heads.self, h("th", { scope: "col" }, "Self %"), this.heads.total, h("th", { scope: "col" }, "Total %"), h("th", { scope: "col" }, "Where"))),
      this.body,
    );
  }

  /** The table is computed when it is shown: aggregating a 100k-node tree costs ~100 ms that a hidden tab need not pay. */
  setTree(t: CallTree | null): void {
    this.tree = t;
    this.stale = true;
    if (this.shown) this.refresh();
  }

  setShown(shown: boolean): void {
    this.shown = shown;
    if (shown && this.stale) this.refresh();
  }

  private refresh(): void {
    const t = this.tree;
    this.stale = false;
    this.rows = t ? hotSpots(t, Number.MAX_SAFE_INTEGER).filter((r) => r.frame.kind !== "idle" && r.frame.kind !== "stage" && r.frame.kind !== "program") : [];
    this.render();
  }

  private render(): void {
    const { key, desc } = this.sort;
    const sorted = this.rows.slice().sort((a, b) => {
      const d = key === "name" ? frameLabel(a.frame).localeCompare(frameLabel(b.frame)) : a[key] - b[key];
      return desc ? -d : d;
    });
    for (const [k, th] of Object.entries(this.heads)) th.setAttribute("aria-sort", k === key ? (desc ? "descending" : "ascending") : "none");
    this.el.dataset.sort = `${key}-${desc ? "desc" : "asc"}`;
    if (sorted.length === 0) {
      fill(this.body, h("tr", {}, h("td", { colspan: 7, className: "ms-muted" }, "No samples: the run has no CPU profile (mode none), or nothing ran yet.")));
      return;
    }
    fill(
      this.body,
      ...sorted.slice(0, this.limit).map((r) => {
        const f = r.frame;
        const where = f.file ? `${f.file}${f.line ? `:${f.line}` : ""}` : "";
        const tr = h(
          "tr",
          { tabindex: f.file ? 0 : -1, className: f.file ? "ms-clickable" : "", "data-kind": f.kind, title: where ? `Open ${where}` : undefined },
          h("td", {}, h("span", { className: `ms-swatch ms-kind-${f.kind}`, "aria-hidden": "true" }), f.name || "(anonymous)"),
          h("td", {}, KIND_LABELS[f.kind]),
          h("td", { "data-value": r.self }, duration(r.self)),
          h("td", {}, share(r.selfShare)),
          h("td", { "data-value": r.total }, duration(r.total)),
          h("td", {}, share(r.totalShare)),
          h("td", { className: "ms-muted" }, where),
        );
        if (f.file) {
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
