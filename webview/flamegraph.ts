// The flamegraph on a canvas: left-heavy, root at the top (stage roots right under it). Click zooms
// into a frame, the breadcrumb zooms out; Ctrl+wheel (or a pinch) zooms the view around the cursor
// and a drag pans it, with an overview strip while zoomed; search highlights the matches, counts
// them and steps through them; a tooltip, keyboard navigation, and double-click (or "o") opens the
// frame's source.
//
// Why canvas and not DOM/SVG: a merged Lua+JS profile has 10^4–10^5 nodes; one fillRect per visible
// rectangle (bucketed by colour, narrow ones culled by the layout) keeps a full redraw far under a
// frame's budget, where that many elements would not.
import type { CallNode, CallTree } from "../profile/calltree";
import { busyTree } from "../profile/compare";
import { layoutFlame, type FlameRect } from "../profile/flame-layout";
import { centerView, FULL_VIEW, isFullView, panView, zoomView, type ViewWindow } from "../profile/flame-view";
import { frameKey, frameLabel, type Frame } from "../profile/frames";
import { contrast, mix, palette, textOn, type Palette } from "./colors";
import { KIND_LABELS } from "../profile/frames";
import { h, fill, prepareCanvas } from "./dom";
import { duration, share } from "./format";

const ROW = 18;
/** Canvas backing stores above ~32k px tall fail in Chromium; deeper stacks are cut and say so. */
const MAX_CANVAS_PX = 30_000;
const MIN_TEXT_PX = 28;
const OVERVIEW_ROW = 4;
const OVERVIEW_ROWS = 12;
/** A drag shorter than this is a click. */
const DRAG_PX = 4;

export interface FlameGraphOptions {
  /** Accessible name of the canvas. */
  label: string;
  onOpenSource(frame: Frame): void;
  /** Where a frame's source opens (a link or a path), or null when it has none; default: its file. */
  sourceOf?(frame: Frame): string | null;
  /** Colour of a node instead of its kind's (the differential view); null keeps the kind colour. */
  colorOf?(node: CallNode, p: Palette): string | null;
  /** An extra tooltip line for a node (the differential view's delta). */
  describe?(node: CallNode): string | null;
  /** Lines of a Lua function with their cost (the run's hot lines), for the tooltip. */
  linesOf?(frame: Frame): string[];
  /** Offers "Sandwich" for the selected frame: its callers and callees. */
  onSandwich?(frame: Frame): void;
  /** Without search and legend (the sandwich's two small graphs). */
  compact?: boolean;
  /** What the colours mean, when colorOf gives them a meaning of its own (default: the frame kinds). */
  legend?: Legend;
  /** data-testid of the canvas (default "flamegraph"). */
  testid?: string;
}

/** How the samples were taken, for the header line. */
export interface SampleInfo {
  cpuIntervalUs?: number;
  luaIntervalMs?: number;
  luaSamples?: number;
  /** A live tree (pruned below 0.1% for the wire). */
  live?: boolean;
}

export class FlameGraph {
  readonly el: HTMLElement;
  private readonly canvas: HTMLCanvasElement;
  private readonly overview: HTMLCanvasElement;
  private readonly scroller: HTMLElement;
  private readonly tooltip: HTMLElement;
  private readonly crumbs: HTMLElement;
  private readonly matchInfo: HTMLElement;
  private readonly info: HTMLElement;
  private readonly detail: HTMLElement;
  private readonly empty: HTMLElement;
  private readonly search: HTMLInputElement;
  private readonly prevButton: HTMLButtonElement;
  private readonly nextButton: HTMLButtonElement;
  private tree: CallTree | null = null;
  /** Busy CPU (idle excluded): every share in this view is of it, as in the hot spots. */
  private busy = 0;
  private parents = new Map<CallNode, CallNode>();
  /** Root first; the last entry is the zoomed node. */
  private zoomPath: CallNode[] = [];
  private view: ViewWindow = FULL_VIEW;
  private rects: FlameRect[] = [];
  private rows: FlameRect[][] = [];
  private matches: Set<CallNode> | null = null;
  /** The matches, widest first (the order next/previous steps through them). */
  private matchList: CallNode[] = [];
  private matchIndex = -1;
  private selected: CallNode | null = null;
  private pending = 0;
  private drag: { x: number; view: ViewWindow; moved: boolean } | null = null;
  private suppressClick = false;
  /** Milliseconds the last layout + draw took (reported by the browser tests and the bench). */
  lastDrawMs = 0;

  constructor(private readonly o: FlameGraphOptions) {
    this.search = h("input", { type: "search", className: "ms-input", placeholder: "Search functions (substring or /regex/)", "aria-label": "Search functions", "data-testid": "flame-search" }) as HTMLInputElement;
    this.search.addEventListener("input", () => this.setSearch(this.search.value));
    this.search.addEventListener("keydown", (e) => {
      if (e.key !== "Enter") return;
      e.preventDefault();
      this.stepMatch(e.shiftKey ? -1 : 1);
    });
    this.prevButton = h("button", { type: "button", className: "ms-link", "aria-label": "Previous match", disabled: true, "data-testid": "flame-prev" }, "‹ prev") as HTMLButtonElement;
    this.nextButton = h("button", { type: "button", className: "ms-link", "aria-label": "Next match", disabled: true, "data-testid": "flame-next" }, "next ›") as HTMLButtonElement;
    this.prevButton.addEventListener("click", () => this.stepMatch(-1));
    this.nextButton.addEventListener("click", () => this.stepMatch(1));
    this.matchInfo = h("span", { className: "ms-muted", "data-testid": "flame-matches", role: "status" });
    this.info = h("p", { className: "ms-muted ms-flame-info", "data-testid": "flame-info" });
    this.crumbs = h("nav", { className: "ms-crumbs", "aria-label": "Zoom path", "data-testid": "flame-crumbs" });
    this.canvas = h("canvas", { tabindex: 0, role: "img", "aria-label": o.label, "data-testid": o.testid ?? "flamegraph", "data-nodes": 0 }) as HTMLCanvasElement;
    this.overview = h("canvas", { role: "img", "aria-label": "Overview of the whole flamegraph; the frame marks the part shown. Click to move there.", "data-testid": `${o.testid ?? "flamegraph"}-overview`, hidden: true, className: "ms-flame-overview" }) as HTMLCanvasElement;
    this.tooltip = h("div", { className: "ms-tooltip", role: "tooltip", hidden: true, "data-testid": "flame-tooltip" });
    this.empty = h("div", { className: "ms-empty", hidden: true });
    this.scroller = h("div", { className: "ms-flame-scroll" }, this.canvas, this.tooltip);
    this.detail = h("div", { className: "ms-flame-detail", "data-testid": "flame-detail", "aria-live": "polite" });
    this.el = h(
      "div",
      { className: "ms-flame" },
      o.compact ? null : this.info,
      o.compact ? null : h("div", { className: "ms-row" }, this.search, this.prevButton, this.nextButton, this.matchInfo),
      this.crumbs,
      o.compact ? null : legend(o.legend ?? KIND_LEGEND),
      this.empty,
      o.compact ? null : this.overview,
      this.scroller,
      this.detail,
    );
    this.canvas.addEventListener("mousemove", (e) => this.hover(e));
    this.canvas.addEventListener("mouseleave", () => (this.tooltip.hidden = true));
    this.canvas.addEventListener("click", (e) => {
      if (this.suppressClick) return void (this.suppressClick = false);
      const n = this.hit(e);
      if (n) this.zoomTo(n);
    });
    this.canvas.addEventListener("dblclick", (e) => {
      const n = this.hit(e);
      if (n) this.openSource(n);
    });
    this.canvas.addEventListener("keydown", (e) => this.key(e));
    this.canvas.addEventListener("wheel", (e) => this.wheel(e), { passive: false });
    this.canvas.addEventListener("pointerdown", (e) => {
      if (e.button !== 0) return;
      this.drag = { x: e.clientX, view: this.view, moved: false };
    });
    this.canvas.addEventListener("pointermove", (e) => {
      const d = this.drag;
      if (!d) return;
      if (!d.moved && Math.abs(e.clientX - d.x) < DRAG_PX) return;
      if (!d.moved) this.canvas.setPointerCapture(e.pointerId);
      d.moved = true;
      this.tooltip.hidden = true;
      this.setView(panView(d.view, (e.clientX - d.x) / this.width()));
    });
    const endDrag = () => {
      if (this.drag?.moved) this.suppressClick = true;
      this.drag = null;
    };
    this.canvas.addEventListener("pointerup", endDrag);
    this.canvas.addEventListener("pointercancel", endDrag);
    this.overview.addEventListener("click", (e) => {
      const r = this.overview.getBoundingClientRect();
      this.setView(centerView(this.view, (e.clientX - r.left) / r.width));
    });
    new ResizeObserver(() => this.schedule()).observe(this.scroller);
  }

  /** Replaces the tree; zoom, view, selection and search carry over by frame path (live updates keep the view). */
  setTree(tree: CallTree | null, emptyMessage = "No samples yet.", sampling: SampleInfo = {}): void {
    const t0 = performance.now();
    const zoomKeys = this.zoomPath.map((n) => frameKey(n.frame));
    const selKeys = this.selected ? this.pathOf(this.selected).map((n) => frameKey(n.frame)) : null;
    this.tree = tree && tree.total > 0 ? tree : null;
    this.busy = this.tree ? busyTree(this.tree).total || this.tree.total : 0;
    this.empty.textContent = emptyMessage;
    this.empty.hidden = this.tree !== null;
    this.scroller.hidden = this.tree === null;
    this.parents = new Map();
    this.zoomPath = [];
    this.selected = null;
    if (this.tree) {
      const work: CallNode[] = [this.tree.root];
      while (work.length) {
        const n = work.pop()!;
        for (const c of n.children) {
          this.parents.set(c, n);
          work.push(c);
        }
      }
      const zoom = this.resolve(zoomKeys);
      this.zoomPath = zoom ?? [this.tree.root];
      if (!zoom) this.view = FULL_VIEW;
      const sel = selKeys ? this.resolve(selKeys) : null;
      this.selected = sel ? sel[sel.length - 1] : null;
    } else this.view = FULL_VIEW;
    this.renderInfo(sampling);
    this.matches = null;
    if (this.search.value) this.setSearch(this.search.value, false, true);
    else this.clearMatches();
    this.renderCrumbs();
    this.renderDetail();
    this.draw();
    // Whole cost of a new tree (index, search, layout, draw), for the bench.
    this.canvas.dataset.setMs = (performance.now() - t0).toFixed(1);
  }

  /** The node at the end of a path of frame keys from the root, with the path; null when it is gone. */
  private resolve(keys: string[]): CallNode[] | null {
    if (!this.tree || keys.length === 0) return null;
    const path = [this.tree.root];
    for (let i = 1; i < keys.length; i++) {
      const next = path[path.length - 1].children.find((c) => frameKey(c.frame) === keys[i]);
      if (!next) return null;
      path.push(next);
    }
    return path;
  }

  private pathOf(n: CallNode): CallNode[] {
    const out = [n];
    for (let p = this.parents.get(n); p; p = this.parents.get(p)) out.push(p);
    return out.reverse();
  }

  zoomTo(n: CallNode): void {
    if (!this.tree) return;
    this.selected = n;
    this.zoomPath = this.pathOf(n);
    this.view = FULL_VIEW;
    this.renderCrumbs();
    this.renderDetail();
    this.draw();
  }

  private setView(v: ViewWindow): void {
    this.view = v;
    this.schedule();
  }

  /** A share of busy CPU, or of all samples for what is not busy (idle, the root). */
  private shareOf(n: CallNode, weight: number): string {
    const t = this.tree!;
    if (n === t.root || n.frame.kind === "idle" || n.frame.kind === "program") return `${share(weight / t.total)} of all samples`;
    return `${share(weight / this.busy)} of busy CPU`;
  }

  private renderInfo(s: SampleInfo): void {
    const t = this.tree;
    if (!t) return fill(this.info);
    const idle = t.total - this.busy;
    const parts = [`${duration(t.total)} of samples${s.live ? " so far (live, frames under 0.1% folded into their caller)" : ""}`];
    if (s.cpuIntervalUs) parts.push(`V8 sampled every ${duration(s.cpuIntervalUs)} (≈${Math.round(t.total / s.cpuIntervalUs).toLocaleString("en-US")} samples)`);
    if (s.luaIntervalMs) parts.push(`Lua stacks every ${duration(s.luaIntervalMs * 1000)}${s.luaSamples !== undefined ? ` (${s.luaSamples.toLocaleString("en-US")} samples)` : ""}`);
    parts.push(`busy CPU ${duration(this.busy)}${idle > 0 ? `, idle ${share(idle / t.total)} of all samples` : ""}; shares below are of busy CPU, as in Hot spots`);
    this.info.textContent = parts.join(" · ");
  }

  setSearch(q: string, redraw = true, keepIndex = false): void {
    this.search.value = q;
    const t = this.tree;
    const previous = keepIndex ? this.matchList[this.matchIndex] : undefined;
    if (!q || !t) {
      this.clearMatches();
      if (redraw) this.draw();
      return;
    }
    let test: (s: string) => boolean;
    const re = /^\/(.+)\/([imsu]*)$/.exec(q);
    try {
      const rx = re ? new RegExp(re[1], re[2].includes("i") ? re[2] : re[2] + "i") : null;
      const needle = q.toLowerCase();
      test = rx ? (s) => rx.test(s) : (s) => s.toLowerCase().includes(needle);
    } catch {
      this.clearMatches();
      this.matches = new Set();
      this.matchInfo.textContent = "invalid regular expression";
      if (redraw) this.draw();
      return;
    }
    // Matched share counts each sample once: a match nested in another match adds nothing.
    const matches = new Set<CallNode>();
    let matched = 0;
    const work: [CallNode, boolean][] = [[t.root, false]];
    const seen = new Map<string, boolean>();
    while (work.length) {
      const [n, inside] = work.pop()!;
      const label = frameLabel(n.frame);
      let hit = seen.get(label);
      if (hit === undefined) {
        hit = test(label);
        seen.set(label, hit);
      }
      if (hit) {
        matches.add(n);
        if (!inside) matched += n.total;
      }
      for (const c of n.children) work.push([c, inside || hit]);
    }
    this.matches = matches;
    this.matchList = [...matches].sort((a, b) => b.total - a.total);
    const again = previous ? this.matchList.findIndex((n) => frameKey(n.frame) === frameKey(previous.frame)) : -1;
    this.matchIndex = again;
    this.matchInfo.dataset.share = String(matched / this.busy);
    this.renderMatchInfo(matched);
    if (redraw) this.draw();
  }

  private clearMatches(): void {
    this.matches = null;
    this.matchList = [];
    this.matchIndex = -1;
    this.matchInfo.textContent = "";
    delete this.matchInfo.dataset.share;
    this.prevButton.disabled = this.nextButton.disabled = true;
  }

  private renderMatchInfo(matched = Number(this.matchInfo.dataset.share) * this.busy): void {
    const n = this.matchList.length;
    this.prevButton.disabled = this.nextButton.disabled = n === 0;
    if (n === 0) {
      this.matchInfo.textContent = "no match";
      return;
    }
    const at = this.matchIndex >= 0 ? `match ${this.matchIndex + 1} of ${n}` : `${n} frame${n > 1 ? "s" : ""} match`;
    const all = this.tree!.total;
    this.matchInfo.textContent = `${at} · ${share(matched / this.busy)} of busy CPU${all !== this.busy ? ` (${share(matched / all)} of all samples, idle included)` : ""}`;
  }

  /** Selects the next (+1) or previous (-1) match, widest first, and zooms to its caller so it shows in context. */
  private stepMatch(dir: 1 | -1): void {
    const n = this.matchList.length;
    if (!this.tree || n === 0) return;
    this.matchIndex = this.matchIndex < 0 ? (dir > 0 ? 0 : n - 1) : (this.matchIndex + dir + n) % n;
    const m = this.matchList[this.matchIndex];
    this.zoomTo(this.parents.get(m) ?? m);
    this.selected = m;
    this.renderDetail();
    this.renderMatchInfo();
    this.draw();
  }

  private schedule(): void {
    if (this.pending) return;
    this.pending = requestAnimationFrame(() => {
      this.pending = 0;
      this.draw();
    });
  }

  private width(): number {
    return this.scroller.clientWidth || 800;
  }

  private layout(width: number): void {
    this.rects = [];
    this.rows = [];
    if (!this.tree) return;
    const z = this.zoomPath[this.zoomPath.length - 1];
    const offset = this.zoomPath.length - 1;
    for (let i = 0; i < offset; i++) this.rects.push({ x: 0, w: 1, depth: i, node: this.zoomPath[i] });
    const span = this.view.x1 - this.view.x0;
    // Half a pixel: narrower rectangles cannot be seen or hit, and culling them keeps big trees fast.
    const sub = layoutFlame({ root: z, total: z.total }, { minWidthFraction: (0.5 * span) / Math.max(1, width), window: this.view });
    for (const r of sub) {
      r.depth += offset;
      this.rects.push(r);
    }
    for (const r of this.rects) (this.rows[r.depth] ??= []).push(r);
  }

  /** Canvas x (CSS px) of a layout fraction, through the view window; ancestors above the zoom span the width. */
  private px(r: FlameRect, width: number): { x: number; w: number } {
    if (r.depth < this.zoomPath.length - 1) return { x: 0, w: width };
    const span = this.view.x1 - this.view.x0;
    const x = ((r.x - this.view.x0) / span) * width;
    const w = (r.w / span) * width;
    // Clipped to the canvas, so labels of wide frames stay readable at their visible left edge.
    const left = Math.max(0, x);
    return { x: left, w: Math.min(width, x + w) - left };
  }

  draw(): void {
    const t0 = performance.now();
    const width = this.width();
    this.layout(width);
    const depth = this.rows.length;
    const cssHeight = Math.min(depth * ROW, MAX_CANVAS_PX);
    const c = this.canvas;
    const g = prepareCanvas(c, width, cssHeight);
    if (!g) return;
    const p = palette();
    const zoomed = this.zoomPath.length - 1;
    // One fillStyle per colour: bucket the rectangles first. Dimmed frames get an opaque colour
    // faded toward the background, so the text drawn on them can be chosen to read on it.
    const buckets = new Map<string, FlameRect[]>();
    const fills = new Map<FlameRect, string>();
    // Colours repeat: fade and pick ink once per colour, not per rectangle.
    const faded = new Map<string, string>();
    const inks = new Map<string, { ink: string; contrast: number }>();
    let drawn = 0;
    for (const r of this.rects) {
      if (r.depth * ROW >= cssHeight) continue;
      const { w } = this.px(r, width);
      if (w <= 0) continue;
      const n = r.node;
      let color = this.o.colorOf?.(n, p) ?? p.kind[n.frame.kind];
      if (this.matches && this.matches.has(n)) color = p.highlight;
      else if ((this.matches !== null && !this.matches.has(n)) || r.depth < zoomed) {
        let f = faded.get(color);
        if (f === undefined) faded.set(color, (f = mix(color, p.background, 0.65)));
        color = f;
      }
      fills.set(r, color);
      let b = buckets.get(color);
      if (!b) buckets.set(color, (b = []));
      b.push(r);
      drawn++;
    }
    for (const [color, rs] of buckets) {
      g.fillStyle = color;
      for (const r of rs) {
        const { x, w } = this.px(r, width);
        g.fillRect(x, r.depth * ROW, Math.max(w - 1, 0.5), ROW - 1);
      }
    }
    const font = getComputedStyle(document.body).fontFamily || "sans-serif";
    g.font = `12px ${font}`;
    g.textBaseline = "middle";
    const charW = g.measureText("abcdefghijklmnopqrstuvwxyz").width / 26 || 7;
    let minContrast = Infinity;
    for (const r of this.rects) {
      const bar = fills.get(r);
      if (!bar) continue;
      const { x, w } = this.px(r, width);
      if (w < MIN_TEXT_PX) continue;
      const n = r.node;
      const max = Math.floor((w - 6) / charW);
      if (max < 2) continue;
      let label = r.depth === 0 ? `all (${duration(n.total)})` : frameLabel(n.frame);
      if (label.length > max) label = label.slice(0, max - 1) + "…";
      let ink = inks.get(bar);
      if (ink === undefined) {
        const t = textOn(bar);
        inks.set(bar, (ink = { ink: t, contrast: contrast(t, bar) }));
      }
      minContrast = Math.min(minContrast, ink.contrast);
      g.fillStyle = ink.ink;
      g.fillText(label, x + 3, r.depth * ROW + ROW / 2);
    }
    const sel = this.selected ? this.rects.find((r) => r.node === this.selected) : undefined;
    if (sel) {
      const { x, w } = this.px(sel, width);
      g.strokeStyle = p.focus;
      g.lineWidth = 2;
      g.strokeRect(x + 1, sel.depth * ROW + 1, Math.max(w - 2, 1), ROW - 3);
    }
    this.drawOverview(width, p);
    this.lastDrawMs = performance.now() - t0;
    c.dataset.nodes = String(drawn);
    c.dataset.drawMs = this.lastDrawMs.toFixed(1);
    c.dataset.zoom = this.zoomPath.length > 1 ? frameLabel(this.zoomPath[this.zoomPath.length - 1].frame) : "";
    c.dataset.view = `${this.view.x0.toFixed(4)}-${this.view.x1.toFixed(4)}`;
    // The worst label contrast drawn (WCAG ratio), for the tests: labels must stay readable while searching.
    c.dataset.minContrast = Number.isFinite(minContrast) ? minContrast.toFixed(2) : "";
    c.title = depth * ROW > MAX_CANVAS_PX ? `Stacks deeper than ${Math.floor(MAX_CANVAS_PX / ROW)} frames are cut here; zoom in to see them.` : "";
  }

  /** The whole zoomed frame in small, with the part on the canvas framed: shown only while the view is narrower. */
  private drawOverview(width: number, p: Palette): void {
    const ov = this.overview;
    const shown = !this.o.compact && this.tree !== null && !isFullView(this.view);
    ov.hidden = !shown;
    if (!shown) return;
    const z = this.zoomPath[this.zoomPath.length - 1];
    const rects = layoutFlame({ root: z, total: z.total }, { minWidthFraction: 1 / Math.max(1, width) });
    const height = OVERVIEW_ROWS * OVERVIEW_ROW;
    const g = prepareCanvas(ov, width, height);
    if (!g) return;
    for (const r of rects) {
      if (r.depth >= OVERVIEW_ROWS) continue;
      g.fillStyle = this.o.colorOf?.(r.node, p) ?? p.kind[r.node.frame.kind];
      g.fillRect(r.x * width, r.depth * OVERVIEW_ROW, Math.max(r.w * width - 0.5, 0.5), OVERVIEW_ROW - 1);
    }
    const x0 = this.view.x0 * width;
    const x1 = this.view.x1 * width;
    g.fillStyle = p.background;
    g.globalAlpha = 0.6;
    g.fillRect(0, 0, x0, height);
    g.fillRect(x1, 0, width - x1, height);
    g.globalAlpha = 1;
    g.strokeStyle = p.focus;
    g.lineWidth = 2;
    g.strokeRect(x0 + 1, 1, Math.max(2, x1 - x0 - 2), height - 2);
  }

  private wheel(e: WheelEvent): void {
    if (!this.tree) return;
    const rect = this.canvas.getBoundingClientRect();
    const at = (e.clientX - rect.left) / rect.width;
    if (e.ctrlKey || e.metaKey) {
      // Ctrl+wheel, and a trackpad's pinch (which arrives as one), zoom around the cursor.
      e.preventDefault();
      this.setView(zoomView(this.view, Math.exp(-e.deltaY * 0.002), at));
    } else if ((e.shiftKey || Math.abs(e.deltaX) > Math.abs(e.deltaY)) && !isFullView(this.view)) {
      e.preventDefault();
      this.setView(panView(this.view, -(e.shiftKey ? e.deltaY : e.deltaX) / rect.width));
    }
    // A plain vertical wheel scrolls the page, as everywhere else.
  }

  private hit(e: MouseEvent): CallNode | null {
    const rect = this.canvas.getBoundingClientRect();
    const depth = Math.floor((e.clientY - rect.top) / ROW);
    if (depth < this.zoomPath.length - 1) return this.zoomPath[depth] ?? null;
    const x = this.view.x0 + ((e.clientX - rect.left) / rect.width) * (this.view.x1 - this.view.x0);
    const row = this.rows[depth];
    if (!row) return null;
    let lo = 0;
    let hi = row.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const r = row[mid];
      if (x < r.x) hi = mid - 1;
      else if (x > r.x + r.w) lo = mid + 1;
      else return r.node;
    }
    return null;
  }

  private sourceOf(f: Frame): string | null {
    return this.o.sourceOf ? this.o.sourceOf(f) : (f.file ?? null);
  }

  private hover(e: MouseEvent): void {
    if (this.drag?.moved) return;
    const n = this.hit(e);
    if (!n || !this.tree) {
      this.tooltip.hidden = true;
      return;
    }
    const z = this.zoomPath[this.zoomPath.length - 1];
    const f = n.frame;
    const extra = this.o.describe?.(n);
    fill(
      this.tooltip,
      h("strong", {}, n === this.tree.root ? "all" : f.name || "(anonymous)"),
      h("div", { className: "ms-muted" }, KIND_LABELS[f.kind], f.file ? ` · ${f.file}${f.line ? `:${f.line}` : ""}` : ""),
      h("div", {}, `self ${duration(n.self)} (${this.shareOf(n, n.self)}) · total ${duration(n.total)} (${this.shareOf(n, n.total)})`),
      z !== this.tree.root ? h("div", { className: "ms-muted" }, `${share(n.total / z.total)} of the zoomed frame`) : null,
      extra ? h("div", {}, extra) : null,
      ...lineList(this.o.linesOf?.(f) ?? []),
      h("div", { className: "ms-muted" }, this.sourceOf(f) ? "click: zoom · double-click: open source" : "click: zoom"),
    );
    this.tooltip.hidden = false;
    const box = this.scroller.getBoundingClientRect();
    const tw = this.tooltip.offsetWidth;
    let left = e.clientX - box.left + this.scroller.scrollLeft + 12;
    if (left + tw > this.scroller.clientWidth) left = Math.max(0, left - tw - 24);
    this.tooltip.style.left = `${left}px`;
    this.tooltip.style.top = `${e.clientY - box.top + this.scroller.scrollTop + 14}px`;
  }

  private key(e: KeyboardEvent): void {
    if (!this.tree) return;
    const cur = this.selected ?? this.zoomPath[this.zoomPath.length - 1];
    const parent = this.parents.get(cur);
    const siblings = parent ? parent.children : [cur];
    const i = siblings.indexOf(cur);
    let next: CallNode | undefined;
    switch (e.key) {
      case "ArrowUp":
        next = parent;
        break;
      case "ArrowDown":
        next = cur.children[0];
        break;
      case "ArrowLeft":
        next = siblings[i - 1];
        break;
      case "ArrowRight":
        next = siblings[i + 1];
        break;
      case "Enter":
        this.zoomTo(cur);
        e.preventDefault();
        return;
      case "Escape":
      case "Backspace":
        if (!isFullView(this.view)) this.setView(FULL_VIEW);
        else if (this.zoomPath.length > 1) this.zoomTo(this.zoomPath[this.zoomPath.length - 2]);
        e.preventDefault();
        return;
      case "+":
      case "=":
        this.setView(zoomView(this.view, 1.5, 0.5));
        return;
      case "-":
        this.setView(zoomView(this.view, 1 / 1.5, 0.5));
        return;
      case "o":
        this.openSource(cur);
        return;
      case "s":
        if (cur !== this.tree.root) this.o.onSandwich?.(cur.frame);
        return;
      default:
        return;
    }
    e.preventDefault();
    if (!next) return;
    this.selected = next;
    // Keep the selection visible: zoom out to a frame that contains it.
    if (!this.pathOf(next).includes(this.zoomPath[this.zoomPath.length - 1])) {
      this.zoomPath = this.pathOf(parent && next === parent ? next : (this.parents.get(next) ?? next));
      this.view = FULL_VIEW;
    }
    this.renderCrumbs();
    this.renderDetail();
    this.draw();
  }

  private openSource(n: CallNode): void {
    if (this.sourceOf(n.frame)) this.o.onOpenSource(n.frame);
  }

  private renderCrumbs(): void {
    const path = this.zoomPath;
    fill(
      this.crumbs,
      ...path.flatMap((n, i) => {
        const name = i === 0 ? "all" : n.frame.name || "(anonymous)";
        const last = i === path.length - 1;
        const b = h("button", { type: "button", className: "ms-crumb", "aria-current": last ? "true" : undefined, disabled: last, title: frameLabel(n.frame) }, name);
        b.addEventListener("click", () => this.zoomTo(n));
        return i === 0 ? [b] : [h("span", { "aria-hidden": "true" }, " › "), b];
      }),
    );
  }

  private renderDetail(): void {
    const n = this.selected;
    if (!n || !this.tree || n === this.tree.root) {
      fill(this.detail, h("span", { className: "ms-muted" }, `Click a frame to zoom into it; Ctrl+wheel zooms around the pointer and a drag pans (+, − and Escape from the keyboard); double-click (or select it and press o) to open its source${this.o.onSandwich ? ", s for its callers and callees" : ""}. Arrow keys move, Enter zooms, Escape zooms out.`));
      return;
    }
    const f = n.frame;
    const where = this.sourceOf(f);
    const place = f.file ? `${f.file}${f.line ? `:${f.line}` : ""}` : "";
    // A frame without a source to open says why instead of offering a link to nowhere.
    const open = where
      ? h("button", { type: "button", className: "ms-link", "data-testid": "flame-open", title: `Open ${where}` }, place)
      : h("button", { type: "button", className: "ms-link", disabled: true, "data-testid": "flame-open", title: f.file ? `${place} is not a file of the workspace` : undefined }, f.file ? `${place} (not in the workspace)` : "no source");
    open.addEventListener("click", () => this.openSource(n));
    let sw: HTMLElement | null = null;
    if (this.o.onSandwich) {
      sw = h("button", { type: "button", className: "ms-link", "data-testid": "flame-sandwich", title: "Callers and callees of this function, over every place it is called" }, "sandwich");
      sw.addEventListener("click", () => this.o.onSandwich?.(f));
    }
    const lines = this.o.linesOf?.(f) ?? [];
    fill(
      this.detail,
      h("strong", {}, f.name || "(anonymous)"),
      ` · ${KIND_LABELS[f.kind]} · self ${this.shareOf(n, n.self)} · total ${this.shareOf(n, n.total)} · `,
      open,
      sw ? " · " : null,
      sw,
      lines.length ? h("div", { className: "ms-muted ms-hot-lines", "data-testid": "flame-detail-lines" }, "hottest lines (whole run): ", lines.join(" | ")) : null,
    );
  }
}

/** A legend: what it is about, and each colour (a CSS class that paints the swatch) with its meaning. */
export interface Legend {
  label: string;
  items: { swatch: string; text: string }[];
}

const KIND_LEGEND: Legend = {
  label: "Colours by kind",
  items: (["stage", "lua", "lua-c", "js-app", "server-core", "node", "native", "gc"] as const).map((k) => ({ swatch: `ms-kind-${k}`, text: KIND_LABELS[k] })),
};

function legend(l: Legend): HTMLElement {
  return h(
    "div",
    { className: "ms-legend", "aria-label": l.label, "data-testid": "flame-legend" },
    ...l.items.map((i) => h("span", { className: "ms-legend-item" }, h("span", { className: `ms-swatch ${i.swatch}`, "aria-hidden": "true" }), i.text)),
  );
}

/** A Lua function's hottest lines under a heading, for the tooltip. */
function lineList(lines: string[]): HTMLElement[] {
  if (lines.length === 0) return [];
  return [h("div", { className: "ms-muted", "data-testid": "tooltip-lines" }, "hottest lines (whole run):"), ...lines.map((l) => h("div", { className: "ms-tip-line" }, l))];
}
