// One function's sandwich under the flamegraph: who called it, and what it called, over every place
// it runs (profile/sandwich.ts), as two small flamegraphs.
import type { CallTree } from "../profile/calltree";
import { frameLabel, type Frame } from "../profile/frames";
import { sandwich } from "../profile/sandwich";
import { busyTree } from "../profile/compare";
import { h, fill } from "./dom";
import { FlameGraph } from "./flamegraph";
import { share } from "./format";

export class SandwichView {
  readonly el: HTMLElement;
  private readonly title = h("h3", {});
  private readonly callers: FlameGraph;
  private readonly callees: FlameGraph;
  private readonly summary = h("p", { className: "ms-muted" });
  private fn: Frame | null = null;

  constructor(onOpenSource: (f: Frame) => void, sourceOf: (f: Frame) => string | null) {
    this.callers = new FlameGraph({ label: "Callers: the function at the top, who called it below", onOpenSource, sourceOf, compact: true, testid: "sandwich-callers" });
    this.callees = new FlameGraph({ label: "Callees: the function at the top, what it called below", onOpenSource, sourceOf, compact: true, testid: "sandwich-callees" });
    const close = h("button", { type: "button", className: "ms-link", "data-testid": "sandwich-close" }, "close");
    close.addEventListener("click", () => this.hide());
    this.el = h(
      "section",
      { className: "ms-sandwich", hidden: true, "data-testid": "sandwich" },
      h("div", { className: "ms-row" }, this.title, close),
      this.summary,
      h("h4", {}, "Callers (who called it, stage roots at the bottom)"),
      this.callers.el,
      h("h4", {}, "Callees (what it called, all its call sites merged)"),
      this.callees.el,
    );
  }

  show(tree: CallTree, fn: Frame, scroll = true): void {
    this.fn = fn;
    const s = sandwich(tree, fn);
    this.title.textContent = `Sandwich: ${frameLabel(fn)}`;
    fill(this.summary, `${share(s.callees.total / (busyTree(tree).total || tree.total))} of busy CPU runs in it or below it, reached through ${s.callers.root.children[0]?.children.length ?? 0} caller(s).`);
    this.el.hidden = false;
    this.callers.setTree(s.callers);
    this.callees.setTree(s.callees);
    if (scroll) this.el.scrollIntoView({ block: "nearest" });
  }

  /** The same function in a new tree (a live update), or hidden when there is no tree. */
  update(tree: CallTree | null): void {
    if (this.el.hidden || !this.fn) return;
    if (tree) this.show(tree, this.fn, false);
    else this.hide();
  }

  hide(): void {
    this.el.hidden = true;
  }
}
