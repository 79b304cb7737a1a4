// The per-stage breakdown: a stacked bar of shares and the table with p50, p99, mean, share and
// priority, for the live frames and for a finished run alike.
import { priorityOf } from "../profile/run";
import { h, fill } from "./dom";
import { duration, share } from "./format";

export interface StageLike {
  stage: string;
  p50Us: number;
  p99Us: number;
  meanUs: number;
  share: number;
  priority?: string;
}

export class StagesView {
  readonly el: HTMLElement;
  private readonly bar: HTMLElement;
  private readonly body: HTMLElement;
  private readonly caption: HTMLElement;

  constructor() {
    this.bar = h("div", { className: "ms-stackbar", role: "img", "aria-label": "Share of server time by stage", "data-testid": "stage-bar" });
    this.body = h("tbody");
    this.caption = h("caption", {}, "Stages");
    const th = (t: string, title?: string) => h("th", { scope: "col", title }, t);
    this.el = h(
      "section",
      { className: "ms-stages" },
      this.bar,
      h("table", { className: "ms-table", "data-testid": "stage-table" }, this.caption, h("thead", {}, h("tr", {}, th("Stage"), th("p50"), th("p99"), th("Mean"), th("Share", "of the route's server time"), th("Priority"))), this.body),
    );
  }

  update(rows: StageLike[], caption: string): void {
    this.caption.textContent = caption;
    const sorted = rows.slice();
    fill(
      this.bar,
      ...sorted
        .filter((r) => r.share > 0.002)
        .map((r) => {
          const seg = h("span", { className: `ms-seg ms-stage-${r.stage}`, title: `${r.stage}: ${share(r.share)}` }, r.share > 0.08 ? r.stage : "");
          seg.style.flexGrow = String(r.share);
          return seg;
        }),
    );
    fill(
      this.body,
      ...sorted.map((r) => {
        const pr = r.priority ?? priorityOf(r.share);
        const meter = h("span", { className: "ms-meter", "aria-hidden": "true" }, h("span", { className: `ms-meter-fill ms-stage-${r.stage}` }));
        (meter.firstChild as HTMLElement).style.width = `${Math.min(100, r.share * 100)}%`;
        return h(
          "tr",
          { "data-stage": r.stage },
          h("th", { scope: "row" }, h("span", { className: `ms-swatch ms-stage-${r.stage}`, "aria-hidden": "true" }), r.stage),
          h("td", {}, duration(r.p50Us)),
          h("td", {}, duration(r.p99Us)),
          h("td", {}, duration(r.meanUs)),
          h("td", {}, meter, share(r.share)),
          h("td", {}, h("span", { className: `ms-priority ms-priority-${pr.toLowerCase()}` }, pr)),
        );
      }),
    );
  }
}
