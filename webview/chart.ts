// A time-series line chart on a canvas for the live view. It keeps a bounded window of points, so a
// ten-minute session at 4 frames a second uses the same memory as a ten-second one.
import { palette } from "./colors";
import { h, prepareCanvas } from "./dom";

export interface Series {
  name: string;
  format(v: number): string;
}

const MAX_POINTS = 2400;

export class LiveChart {
  readonly el: HTMLElement;
  private readonly canvas: HTMLCanvasElement;
  private readonly legendEl: HTMLElement;
  private t: number[] = [];
  private values: number[][];
  private pending = 0;

  constructor(
    readonly title: string,
    private readonly series: Series[],
    testid: string,
  ) {
    this.values = series.map(() => []);
    this.canvas = h("canvas", { role: "img", "aria-label": title, "data-testid": testid, "data-points": 0 }) as HTMLCanvasElement;
    this.legendEl = h("div", { className: "ms-chart-legend", "aria-live": "off" });
    this.el = h("figure", { className: "ms-chart" }, h("figcaption", {}, title), this.canvas, this.legendEl);
    new ResizeObserver(() => this.schedule()).observe(this.el);
  }

  clear(): void {
    this.t = [];
    this.values = this.series.map(() => []);
    this.schedule();
  }

  push(tSeconds: number, vs: number[]): void {
    this.t.push(tSeconds);
    vs.forEach((v, i) => this.values[i].push(Number.isFinite(v) ? v : 0));
    if (this.t.length > MAX_POINTS) {
      // Halve the resolution of the oldest half instead of dropping it: the whole session stays visible.
      const keep = (a: number[]) => a.filter((_, i) => i >= MAX_POINTS / 2 || i % 2 === 0);
      this.t = keep(this.t);
      this.values = this.values.map(keep);
    }
    this.schedule();
  }

  get points(): number {
    return this.t.length;
  }

  private schedule(): void {
    if (this.pending) return;
    this.pending = requestAnimationFrame(() => {
      this.pending = 0;
      this.draw();
    });
  }

  draw(): void {
    const p = palette();
    const width = this.canvas.parentElement?.clientWidth || 300;
    const height = 140;
    const c = this.canvas;
    const g = prepareCanvas(c, width, height);
    if (!g) return;
    const left = 56;
    const bottom = height - 18;
    const top = 6;
    const font = getComputedStyle(document.body).fontFamily || "sans-serif";
    g.font = `11px ${font}`;
    g.fillStyle = p.muted;
    g.strokeStyle = p.muted;
    g.globalAlpha = 0.5;
    g.beginPath();
    g.moveTo(left, top);
    g.lineTo(left, bottom);
    g.lineTo(width - 4, bottom);
    g.stroke();
    g.globalAlpha = 1;
    const n = this.t.length;
    let max = 0;
    for (const vs of this.values) for (const v of vs) if (v > max) max = v;
    max = max > 0 ? max * 1.1 : 1;
    const t0 = n ? this.t[0] : 0;
    const t1 = n ? Math.max(this.t[n - 1], t0 + 1) : 1;
    g.textBaseline = "middle";
    g.textAlign = "right";
    g.fillText(this.series[0].format(max), left - 4, top + 4);
    g.fillText("0", left - 4, bottom);
    g.textAlign = "left";
    g.textBaseline = "alphabetic";
    g.fillText(`${t0.toFixed(0)} s`, left, height - 4);
    g.textAlign = "right";
    g.fillText(`${t1.toFixed(0)} s`, width - 4, height - 4);
    const X = (t: number) => left + ((t - t0) / (t1 - t0)) * (width - 4 - left);
    const Y = (v: number) => bottom - (v / max) * (bottom - top);
    this.values.forEach((vs, si) => {
      g.strokeStyle = p.lines[si % p.lines.length];
      g.lineWidth = 1.5;
      g.beginPath();
      for (let i = 0; i < n; i++) {
        const x = X(this.t[i]);
        const y = Y(vs[i]);
        if (i === 0) g.moveTo(x, y);
        else g.lineTo(x, y);
      }
      g.stroke();
    });
    c.dataset.points = String(n);
    c.dataset.tLast = n ? this.t[n - 1].toFixed(2) : "";
    this.legendEl.replaceChildren(
      ...this.series.map((s, si) => {
        const last = this.values[si][n - 1];
        return h("span", { className: "ms-legend-item" }, h("span", { className: `ms-swatch ms-line-${(si % 3) + 1}`, "aria-hidden": "true" }), `${s.name} ${last === undefined ? "–" : s.format(last)}`);
      }),
    );
  }
}
