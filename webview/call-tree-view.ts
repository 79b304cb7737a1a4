// The call tree as an expandable table (a treegrid): top-down (the stage roots, then their callees)
// or bottom-up (each function by its self time, then who called it; profile/call-views.ts). Rows are
// built when their parent is expanded, so a 100k-node tree costs what is open.
import { WhenShown } from "./when-shown";
import type { CallNode, CallTree } from "../profile/calltree";
import { bottomUp } from "../profile/call-views";
import { busyTree } from "../profile/compare";
import { KIND_LABELS, type Frame } from "../profile/frames";
import { h, fill } from "./dom";
import { duration, share } from "./format";

type Direction = "top-down" | "bottom-up";
/** Children listed per row before "… more": the rest are a click away. */
const CHILD_LIMIT = 100;

export class CallTreeView {
  readonly el: HTMLElement;
  private readonly body = h("tbody");
  private readonly head = h("tr");
  private readonly buttons: Record<Direction, HTMLButtonElement>;
  private tree: CallTree | null = null;
  private shownTree: CallTree | null = null;
  private bottomUpTree: CallTree | null = null;
  private direction: Direction = "top-down";
  private readonly build = new WhenShown(() => this.refresh());
  private readonly rowNodes = new WeakMap<HTMLElement, { node: CallNode; level: number }>();

  constructor(
    private readonly onOpenSource: (f: Frame) => void,
    private readonly sourceOf: (f: Frame) => string | null,
  ) {
    const button = (d: Direction, label: string, title: string) => {
      const b = h("button", { type: "button", className: "ms-toggle", "aria-pressed": String(d === this.direction), "data-testid": `calltree-${d}`, title }, label) as HTMLButtonElement;
      b.addEventListener("click", () => this.setDirection(d));
      return b;
    };
    this.buttons = {
      "top-down": button("top-down", "Top-down", "From the stage roots down to what they called"),
      "bottom-up": button("bottom-up", "Bottom-up", "Each function by its own (self) time, then who called it"),
    };
    this.el = h(
      "section",
      { className: "ms-calltree" },
      h("div", { className: "ms-row", role: "group", "aria-label": "Direction" }, this.buttons["top-down"], this.buttons["bottom-up"]),
      h(
        "table",
        { className: "ms-table", role: "treegrid", "aria-label": "Call tree", "data-testid": "calltree" },
        h("caption", {}, "Call tree: ArrowRight or a click expands a row, ArrowLeft collapses it, Enter opens the source. Shares are of busy CPU, as in the flamegraph and hot spots."),
        h("thead", {}, this.head),
        this.body,
      ),
    );
    this.body.addEventListener("keydown", (e) => this.key(e));
  }

  setTree(t: CallTree | null): void {
    this.tree = t ? busyTree(t) : null;
    this.bottomUpTree = null;
    this.build.changed();
  }

  setShown(shown: boolean): void {
    this.build.setShown(shown);
  }

  private setDirection(d: Direction): void {
    this.direction = d;
    for (const [k, b] of Object.entries(this.buttons)) b.setAttribute("aria-pressed", String(k === d));
    this.build.run();
  }

  private refresh(): void {
    const t = this.tree;
    if (t && this.direction === "bottom-up") this.bottomUpTree ??= bottomUp(t);
    this.shownTree = t && this.direction === "bottom-up" ? this.bottomUpTree : t;
    const cols = this.direction === "top-down" ? ["Function", "Kind", "Total", "Total %", "Self", "Self %"] : ["Function", "Kind", "Self time through here", "%"];
    fill(this.head, ...cols.map((c) => h("th", { scope: "col" }, c)));
    const shown = this.shownTree;
    if (!shown || shown.total <= 0) {
      fill(this.body, h("tr", {}, h("td", { colspan: cols.length, className: "ms-muted" }, "No samples yet.")));
      return;
    }
    fill(this.body);
    const rows = this.rowsFor(shown.root.children, 1);
    this.body.append(...rows);
    // The widest first row opens, so the table starts where the time is.
    if (rows[0]) this.expand(rows[0]);
    rows[0]?.setAttribute("tabindex", "0");
  }

  private rowsFor(nodes: CallNode[], level: number): HTMLElement[] {
    const out = nodes.slice(0, CHILD_LIMIT).map((n) => this.row(n, level));
    if (nodes.length > CHILD_LIMIT) {
      const more = h("tr", { "aria-level": level, "data-level": level }, h("td", { colspan: 6, className: "ms-muted" }, `… ${nodes.length - CHILD_LIMIT} more, each narrower than those above`));
      out.push(more);
    }
    return out;
  }

  private row(n: CallNode, level: number): HTMLElement {
    const T = this.shownTree!.total;
    const f = n.frame;
    const leaf = n.children.length === 0;
    const name = h("td", { className: "ms-calltree-name" }, h("span", { className: "ms-twisty", "aria-hidden": "true" }, leaf ? "" : "▸"), h("span", { className: `ms-swatch ms-kind-${f.kind}`, "aria-hidden": "true" }), f.name || "(anonymous)");
    // Through the CSSOM: the pages' CSP refuses style attributes.
    name.style.paddingLeft = `${(level - 1) * 14 + 4}px`;
    const cells =
      this.direction === "top-down"
        ? [name, h("td", {}, KIND_LABELS[f.kind]), h("td", {}, duration(n.total)), h("td", {}, share(n.total / T)), h("td", {}, duration(n.self)), h("td", {}, share(n.self / T))]
        : [name, h("td", {}, KIND_LABELS[f.kind]), h("td", {}, duration(n.total)), h("td", {}, share(n.total / T))];
    const tr = h("tr", { role: "row", tabindex: -1, "aria-level": level, "data-level": level, "aria-expanded": leaf ? undefined : "false", title: f.file ? `${f.file}${f.line ? `:${f.line}` : ""}` : undefined }, ...cells);
    this.rowNodes.set(tr, { node: n, level });
    tr.addEventListener("click", () => (tr.getAttribute("aria-expanded") === "true" ? this.collapse(tr) : this.expand(tr)));
    return tr;
  }

  private expand(tr: HTMLElement): void {
    const info = this.rowNodes.get(tr);
    if (!info || tr.getAttribute("aria-expanded") !== "false") return;
    tr.setAttribute("aria-expanded", "true");
    tr.querySelector(".ms-twisty")!.textContent = "▾";
    tr.after(...this.rowsFor(info.node.children, info.level + 1));
  }

  private collapse(tr: HTMLElement): void {
    const level = Number(tr.dataset.level);
    if (tr.getAttribute("aria-expanded") !== "true") return;
    tr.setAttribute("aria-expanded", "false");
    tr.querySelector(".ms-twisty")!.textContent = "▸";
    while (tr.nextElementSibling && Number((tr.nextElementSibling as HTMLElement).dataset.level) > level) tr.nextElementSibling.remove();
  }

  private key(e: KeyboardEvent): void {
    const tr = (e.target as HTMLElement).closest("tr") as HTMLElement | null;
    if (!tr) return;
    const move = (to: Element | null) => {
      if (!to) return;
      tr.setAttribute("tabindex", "-1");
      to.setAttribute("tabindex", "0");
      (to as HTMLElement).focus();
    };
    const level = Number(tr.dataset.level);
    switch (e.key) {
      case "ArrowDown":
        move(tr.nextElementSibling);
        break;
      case "ArrowUp":
        move(tr.previousElementSibling);
        break;
      case "ArrowRight":
        if (tr.getAttribute("aria-expanded") === "false") this.expand(tr);
        else if (tr.getAttribute("aria-expanded") === "true") move(tr.nextElementSibling);
        break;
      case "ArrowLeft":
        if (tr.getAttribute("aria-expanded") === "true") this.collapse(tr);
        else {
          let p = tr.previousElementSibling as HTMLElement | null;
          while (p && Number(p.dataset.level) >= level) p = p.previousElementSibling as HTMLElement | null;
          move(p);
        }
        break;
      case "Enter": {
        const f = this.rowNodes.get(tr)?.node.frame;
        if (f && this.sourceOf(f)) this.onOpenSource(f);
        break;
      }
      default:
        return;
    }
    e.preventDefault();
  }
}
