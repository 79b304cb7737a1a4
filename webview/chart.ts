// A time-series line chart on a canvas for the live view. It keeps a bounded window of points, so a
// ten-minute session at 4 frames a second uses the same memory as a ten-second one. Axes carry
// their unit, round ticks and gridlines; latencies use a log axis, where p50 and p99 both read.
import { palette } from "./colors";
import { h, prepareCanvas } from "./dom";

export interface Series {
  name: string;
  format(v: number): string;
}

export interface ChartOptions {
  /** The y axis' unit, shown in the caption ("req/s"). */
  unit: string;
  /** log: for latencies, which span orders of magnitude between p50 and p99. */
  scale?: "linear" | "log";
  testid: string;
  /** Dragging across the chart selects a time range (seconds); a click clears it (null). */
  onBrush?(range: [number, number] | null): void;
}

const MAX_POINTS = 2400;
const HEIGHT = 160;

export class LiveChart {
  readonly el: HTMLElement;
  private readonly canvas: HTMLCanvasElement;
  private readonly legendEl: HTMLElement;
  private t: number[] = [];
  private values: number[][];
  /**
   * Per series: every value pushed times the time since the previous point, and that time (a frame's
   * rate covers the time since the one before it): a time-weighted mean that survives the thinning
   * of old points and weighs a short last chunk of a run for what it is.
   */
  private sums: { sum: number; n: number }[];
  private lastT = 0;
  private pending = 0;
  /** The selected range (seconds), and the x mapping of the last draw, for the pointer. */
  private brush: [number, number] | null = null;
  private dragFrom: number | null = null;
  private axis = { t0: 0, t1: 1, left: 56, right: 300 };

  constructor(
    readonly title: string,
    private readonly series: Series[],
    private readonly o: ChartOptions,
  ) {
    this.values = series.map(() => []);
    this.sums = series.map(() => ({ sum: 0, n: 0 }));
    this.canvas = h("canvas", { role: "img", "aria-label": `${title} (${o.unit}) over time`, "data-testid": o.testid, "data-points": 0, "data-scale": o.scale ?? "linear" }) as HTMLCanvasElement;
    this.legendEl = h("div", { className: "ms-chart-legend", "aria-live": "off", "data-testid": `${o.testid}-legend` });
    this.el = h("figure", { className: "ms-chart" }, h("figcaption", {}, `${title} (${o.unit}${o.scale === "log" ? ", log scale" : ""})`), this.canvas, this.legendEl);
    new ResizeObserver(() => this.schedule()).observe(this.el);
    if (o.onBrush) this.listenForBrush(o.onBrush);
  }

  /** The selected range, drawn as a band; null clears it. */
  setBrush(range: [number, number] | null): void {
    this.brush = range;
    this.schedule();
  }

  private listenForBrush(onBrush: (range: [number, number] | null) => void): void {
    const c = this.canvas;
    c.classList.add("ms-brushable");
    // From the keyboard: arrows move the range (a fifth of the chart at first), Shift+arrows resize it, Escape clears it.
    c.tabIndex = 0;
    c.setAttribute("aria-label", `${c.getAttribute("aria-label")}; drag across it, or use the arrow keys, to pick a time range`);
    c.addEventListener("keydown", (e) => {
      if (this.t.length === 0) return;
      const { t0, t1 } = this.axis;
      const step = (t1 - t0) / 20;
      let [a, b] = this.brush ?? [t0, t0 + (t1 - t0) / 5];
      if (e.key === "Escape") {
        if (!this.brush) return;
        this.setBrush(null);
        onBrush(null);
        e.preventDefault();
        return;
      }
      const d = e.key === "ArrowRight" ? step : e.key === "ArrowLeft" ? -step : 0;
      if (d === 0) return;
      e.preventDefault();
      if (this.brush && e.shiftKey) b = Math.max(a + step, Math.min(t1, b + d));
      else if (this.brush) {
        const shift = Math.max(t0 - a, Math.min(t1 - b, d));
        a += shift;
        b += shift;
      }
      this.setBrush([a, b]);
      onBrush([a, b]);
    });
    const tAt = (e: PointerEvent) => {
      const r = c.getBoundingClientRect();
      const { t0, t1, left, right } = this.axis;
      const x = Math.min(right, Math.max(left, e.clientX - r.left));
      return t0 + ((x - left) / Math.max(1, right - left)) * (t1 - t0);
    };
    c.addEventListener("pointerdown", (e) => {
      if (e.button !== 0 || this.t.length === 0) return;
      c.setPointerCapture(e.pointerId);
      this.dragFrom = tAt(e);
    });
    c.addEventListener("pointermove", (e) => {
      if (this.dragFrom === null) return;
      this.setBrush([this.dragFrom, tAt(e)]);
    });
    c.addEventListener("pointerup", (e) => {
      if (this.dragFrom === null) return;
      const a = this.dragFrom;
      const b = tAt(e);
      this.dragFrom = null;
      const { t0, t1, left, right } = this.axis;
      const px = (Math.abs(b - a) / (t1 - t0)) * (right - left);
      const range: [number, number] | null = px < 4 ? null : [Math.min(a, b), Math.max(a, b)];
      this.setBrush(range);
      onBrush(range);
    });
  }

  clear(): void {
    this.brush = null;
    this.t = [];
    this.values = this.series.map(() => []);
    this.sums = this.series.map(() => ({ sum: 0, n: 0 }));
    this.lastT = 0;
    this.schedule();
  }

  push(tSeconds: number, vs: number[]): void {
    this.t.push(tSeconds);
    const w = Math.max(0, tSeconds - this.lastT);
    this.lastT = Math.max(this.lastT, tSeconds);
    vs.forEach((v, i) => {
      const x = Number.isFinite(v) ? v : 0;
      this.values[i].push(x);
      this.sums[i].sum += x * w;
      this.sums[i].n += w;
    });
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
    const c = this.canvas;
    const g = prepareCanvas(c, width, HEIGHT);
    if (!g) return;
    const left = 56;
    const right = width - 8;
    const bottom = HEIGHT - 20;
    const top = 8;
    const font = getComputedStyle(document.body).fontFamily || "sans-serif";
    g.font = `11px ${font}`;
    const n = this.t.length;
    const log = this.o.scale === "log";
    let max = 0;
    let min = Infinity;
    for (const vs of this.values) for (const v of vs) {
      if (v > max) max = v;
      if (v > 0 && v < min) min = v;
    }
    const scale = log ? logTicks(Number.isFinite(min) ? min : 1, max > 0 ? max : 10) : linearTicks(max > 0 ? max * 1.05 : 1);
    const lo = scale[0];
    const hi = scale[scale.length - 1];
    // No data, no numbers on the axis (they would be made up).
    const yTicks = n ? scale : [];
    const Y = log ? (v: number) => bottom - ((Math.log10(Math.max(v, lo)) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * (bottom - top) : (v: number) => bottom - ((v - lo) / (hi - lo)) * (bottom - top);
    const t0 = n ? this.t[0] : 0;
    const t1 = n ? Math.max(this.t[n - 1], t0 + 1) : 1;
    const X = (t: number) => left + ((t - t0) / (t1 - t0)) * (right - left);
    const xTicks = timeTicks(t0, t1);
    this.axis = { t0, t1, left, right };
    if (this.brush) {
      const a = X(Math.max(t0, Math.min(this.brush[0], this.brush[1])));
      const b = X(Math.min(t1, Math.max(this.brush[0], this.brush[1])));
      g.fillStyle = p.focus;
      g.globalAlpha = 0.15;
      g.fillRect(a, top, Math.max(1, b - a), bottom - top);
      g.globalAlpha = 1;
    }
    // Gridlines and tick labels.
    g.strokeStyle = p.muted;
    g.fillStyle = p.muted;
    g.lineWidth = 1;
    g.globalAlpha = 0.18;
    g.beginPath();
    for (const v of yTicks) {
      const y = Math.round(Y(v)) + 0.5;
      g.moveTo(left, y);
      g.lineTo(right, y);
    }
    for (const t of xTicks) {
      const x = Math.round(X(t)) + 0.5;
      g.moveTo(x, top);
      g.lineTo(x, bottom);
    }
    g.stroke();
    g.globalAlpha = 0.6;
    g.beginPath();
    g.moveTo(left + 0.5, top);
    g.lineTo(left + 0.5, bottom + 0.5);
    g.lineTo(right, bottom + 0.5);
    g.stroke();
    g.globalAlpha = 1;
    const yLabels = yTicks.map((v) => (v === 0 ? "0" : this.series[0].format(v)));
    g.textAlign = "right";
    g.textBaseline = "middle";
    yTicks.forEach((v, i) => g.fillText(yLabels[i], left - 4, Y(v)));
    const xLabels = xTicks.map((t) => `${+t.toFixed(1)} s`);
    g.textAlign = "center";
    g.textBaseline = "alphabetic";
    xTicks.forEach((t, i) => g.fillText(xLabels[i], Math.min(right - 14, Math.max(left + 14, X(t))), HEIGHT - 5));
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
    // What the axes say, for tests and assistive technology (the canvas itself is an image).
    c.dataset.points = String(n);
    c.dataset.tFirst = n ? this.t[0].toFixed(2) : "";
    c.dataset.brush = this.brush ? this.brush.map((t) => t.toFixed(2)).join("-") : "";
    c.dataset.tLast = n ? this.t[n - 1].toFixed(2) : "";
    c.dataset.yTicks = yLabels.join(" | ");
    c.dataset.xTicks = xLabels.join(" | ");
    this.legendEl.replaceChildren(
      ...this.series.map((s, si) => {
        const last = this.values[si][n - 1];
        const { sum, n: count } = this.sums[si];
        const text = last === undefined ? `${s.name} –` : `${s.name}: now ${s.format(last)} · mean ${s.format(count > 0 ? sum / count : last)}`;
        return h("span", { className: "ms-legend-item" }, h("span", { className: `ms-swatch ms-line-${(si % 3) + 1}`, "aria-hidden": "true" }), text);
      }),
    );
  }
}

/** 0 and round steps (1, 2 or 5 × 10^k) up to at least max: about five lines. */
export function linearTicks(max: number): number[] {
  const raw = max / 5;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const out = [0];
  while (out[out.length - 1] < max) out.push(+(out.length * step).toPrecision(12));
  return out;
}

/** 1, 2, 5 × 10^k from below min to above max (decades only when that is too many). */
export function logTicks(min: number, max: number): number[] {
  const lo = 10 ** Math.floor(Math.log10(min));
  const hiMag = 10 ** Math.ceil(Math.log10(Math.max(max, lo * 10)));
  const decades = Math.round(Math.log10(hiMag / lo));
  const mults = decades > 3 ? [1] : [1, 2, 5];
  const out: number[] = [];
  for (let d = lo; d <= hiMag * 1.0001; d *= 10) for (const m of mults) {
    const v = +(d * m).toPrecision(12);
    if (v <= hiMag * 1.0001) out.push(v);
  }
  // Trim ticks far outside the data, keeping one on each side.
  const first = Math.max(0, out.findIndex((v) => v > min) - 1);
  let last = out.findIndex((v) => v >= max);
  if (last < 0) last = out.length - 1;
  return out.slice(first, last + 1);
}

/** Round seconds between t0 and t1: about six labels. */
function timeTicks(t0: number, t1: number): number[] {
  const span = t1 - t0;
  const step = [0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600].find((s) => span / s <= 6) ?? 1200;
  const out: number[] = [];
  for (let t = Math.ceil(t0 / step) * step; t <= t1 + 1e-9; t += step) out.push(+t.toFixed(3));
  return out;
}
