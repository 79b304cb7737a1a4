// The flamegraph on a canvas: left-heavy, root at the top (stage roots right under it), click to
// zoom, breadcrumb to zoom out, search that highlights and reports the matched share, a tooltip,
// keyboard navigation, and double-click (or "o") to open the frame's source.
//
// Why canvas and not DOM/SVG: a merged Lua+JS profile has 10^4–10^5 nodes; one fillRect per visible
// rectangle (bucketed by colour, narrow ones culled by the layout) keeps a full redraw far under a
// frame's budget, where that many elements would not.
import type { CallNode, CallTree } from "../profile/calltree";
import { layoutFlame, type FlameRect } from "../profile/flame-layout";
import { frameKey, frameLabel, type Frame } from "../profile/frames";
import { palette, type Palette } from "./colors";
import { KIND_LABELS } from "../profile/frames";
import { h, fill, prepareCanvas } from "./dom";
import { duration, share } from "./format";

const ROW = 18;
/** Canvas backing stores above ~32k px tall fail in Chromium; deeper stacks are cut and say so. */
const MAX_CANVAS_PX = 30_000;
const MIN_TEXT_PX = 28;

export interface FlameGraphOptions {
  /** Accessible name of the canvas. */
  label: string;
  onOpenSource(frame: Frame): void;
  /** Colour of a node instead of its kind's (the differential view); null keeps the kind colour. */
  colorOf?(node: CallNode, p: Palette): string | null;
  /** An extra tooltip line for a node (the differential view's delta). */
  describe?(node: CallNode): string | null;
  /** Offers "Sandwich" for the selected frame: its callers and callees. */
  onSandwich?(frame: Frame): void;
  /** Without search and legend (the sandwich's two small graphs). */
  compact?: boolean;
  /** What the colours mean, when colorOf gives them a meaning of its own (default: the frame kinds). */
  legend?: Legend;
  /** data-testid of the canvas (default "flamegraph"). */
  testid?: string;
}

export class FlameGraph {
  readonly el: HTMLElement;
  private readonly canvas: HTMLCanvasElement;
  private readonly scroller: HTMLElement;
  private readonly tooltip: HTMLElement;
  private readonly crumbs: HTMLElement;
  private readonly matchInfo: HTMLElement;
  private readonly detail: HTMLElement;
  private readonly empty: HTMLElement;
  private readonly search: HTMLInputElement;
  private tree: CallTree | null = null;
  private parents = new Map<CallNode, CallNode>();
  /** Root first; the last entry is the zoomed node. */
  private zoomPath: CallNode[] = [];
  private rects: FlameRect[] = [];
  private rows: FlameRect[][] = [];
  private matches: Set<CallNode> | null = null;
  private selected: CallNode | null = null;
  private pending = 0;
  /** Milliseconds the last layout + draw took (reported by the browser tests and the bench). */
  lastDrawMs = 0;

  constructor(private readonly o: FlameGraphOptions) {
    this.search = h("input", { type: "search", className: "ms-input", placeholder: "Search functions (substring or /regex/)", "aria-label": "Search functions", "data-testid": "flame-search" }) as HTMLInputElement;
    this.search.addEventListener("input", () => this.setSearch(this.search.value));
    this.matchInfo = h("span", { className: "ms-muted", "data-testid": "flame-matches", role: "status" });
    this.crumbs = h("nav", { className: "ms-crumbs", "aria-label": "Zoom path", "data-testid": "flame-crumbs" });
    this.canvas = h("canvas", { tabindex: 0, role: "img", "aria-label": o.label, "data-testid": o.testid ?? "flamegraph", "data-nodes": 0 }) as HTMLCanvasElement;
    this.tooltip = h("div", { className: "ms-tooltip", role: "tooltip", hidden: true, "data-testid": "flame-tooltip" });
    this.empty = h("div", { className: "ms-empty", hidden: true });
    this.scroller = h("div", { className: "ms-flame-scroll" }, this.canvas, this.tooltip);
    this.detail = h("div", { className: "ms-flame-detail", "data-testid": "flame-detail", "aria-live": "polite" });
    this.el = h(
      "div",
      { className: "ms-flame" },
      o.compact ? null : h("div", { className: "ms-row" }, this.search, this.matchInfo),
      this.crumbs,
      o.compact ? null : legend(o.legend ?? KIND_LEGEND),
      this.empty,
      this.scroller,
      this.detail,
    );
    this.canvas.addEventListener("mousemove", (e) => this.hover(e));
    this.canvas.addEventListener("mouseleave", () => (this.tooltip.hidden = true));
    this.canvas.addEventListener("click", (e) => {
      const n = this.hit(e);
      if (n) this.zoomTo(n);
    });
    this.canvas.addEventListener("dblclick", (e) => {
      const n = this.hit(e);
      if (n) this.openSource(n);
    });
    this.canvas.addEventListener("keydown", (e) => this.key(e));
    new ResizeObserver(() => this.schedule()).observe(this.scroller);
  }

  /** Replaces the tree; zoom, selection and search carry over by frame path (live updates keep the view). */
  setTree(tree: CallTree | null, emptyMessage = "No samples yet."): void {
    const t0 = performance.now();
    const zoomKeys = this.zoomPath.map((n) => frameKey(n.frame));
    const selKeys = this.selected ? this.pathOf(this.selected).map((n) => frameKey(n.frame)) : null;
    this.tree = tree && tree.total > 0 ? tree : null;
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
      this.zoomPath = this.resolve(zoomKeys) ?? [this.tree.root];
      const sel = selKeys ? this.resolve(selKeys) : null;
      this.selected = sel ? sel[sel.length - 1] : null;
    }
    this.matches = null;
    if (this.search.value) this.setSearch(this.search.value, false);
    else this.matchInfo.textContent = "";
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
    this.renderCrumbs();
    this.renderDetail();
    this.draw();
  }

  setSearch(q: string, redraw = true): void {
    this.search.value = q;
    const t = this.tree;
    if (!q || !t) {
      this.matches = null;
      this.matchInfo.textContent = "";
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
    this.matchInfo.textContent = matches.size ? `${matches.size} frame${matches.size > 1 ? "s" : ""} match · ${share(matched / t.total)} of samples` : "no match";
    this.matchInfo.dataset.share = String(matched / t.total);
    if (redraw) this.draw();
  }

  private schedule(): void {
    if (this.pending) return;
    this.pending = requestAnimationFrame(() => {
      this.pending = 0;
      this.draw();
    });
  }

  private layout(width: number): void {
    this.rects = [];
    this.rows = [];
    if (!this.tree) return;
    const z = this.zoomPath[this.zoomPath.length - 1];
    const offset = this.zoomPath.length - 1;
    for (let i = 0; i < offset; i++) this.rects.push({ x: 0, w: 1, depth: i, node: this.zoomPath[i] });
    // Half a pixel: narrower rectangles cannot be seen or hit, and culling them keeps big trees fast.
    const sub = layoutFlame({ root: z, total: z.total }, { minWidthFraction: 0.5 / Math.max(1, width) });
    for (const r of sub) {
      r.depth += offset;
      this.rects.push(r);
    }
    for (const r of this.rects) (this.rows[r.depth] ??= []).push(r);
  }

  draw(): void {
    const t0 = performance.now();
    const width = this.scroller.clientWidth || 800;
    this.layout(width);
    const depth = this.rows.length;
    const cssHeight = Math.min(depth * ROW, MAX_CANVAS_PX);
    const c = this.canvas;
    const g = prepareCanvas(c, width, cssHeight);
    if (!g) return;
    const p = palette();
    const zoomed = this.zoomPath.length - 1;
    // One fillStyle per colour: bucket the rectangles first.
    const buckets = new Map<string, FlameRect[]>();
    let drawn = 0;
    for (const r of this.rects) {
      if (r.depth * ROW >= cssHeight) continue;
      const n = r.node;
      let color = this.o.colorOf?.(n, p) ?? p.kind[n.frame.kind];
      if (this.matches && this.matches.has(n)) color = p.highlight;
      const dim = (this.matches !== null && !this.matches.has(n)) || r.depth < zoomed;
      const key = (dim ? "d" : "n") + color;
      let b = buckets.get(key);
      if (!b) buckets.set(key, (b = []));
      b.push(r);
      drawn++;
    }
    for (const [key, rs] of buckets) {
      g.globalAlpha = key[0] === "d" ? 0.35 : 1;
      g.fillStyle = key.slice(1);
      for (const r of rs) g.fillRect(r.x * width, r.depth * ROW, Math.max(r.w * width - 1, 0.5), ROW - 1);
    }
    g.globalAlpha = 1;
    const font = getComputedStyle(document.body).fontFamily || "sans-serif";
    g.font = `12px ${font}`;
    g.textBaseline = "middle";
    const charW = g.measureText("abcdefghijklmnopqrstuvwxyz").width / 26 || 7;
    for (const r of this.rects) {
      const w = r.w * width;
      if (w < MIN_TEXT_PX || r.depth * ROW >= cssHeight) continue;
      const n = r.node;
      const max = Math.floor((w - 6) / charW);
      if (max < 2) continue;
      let label = r.depth === 0 ? `all (${duration(n.total)})` : frameLabel(n.frame);
      if (label.length > max) label = label.slice(0, max - 1) + "…";
      const custom = this.o.colorOf?.(n, p);
      g.fillStyle = this.matches?.has(n) ? "#000000" : custom ? "#000000" : p.text[n.frame.kind];
      g.globalAlpha = (this.matches !== null && !this.matches.has(n)) || r.depth < zoomed ? 0.6 : 1;
      g.fillText(label, r.x * width + 3, r.depth * ROW + ROW / 2);
    }
    g.globalAlpha = 1;
    const sel = this.selected ? this.rects.find((r) => r.node === this.selected) : undefined;
    if (sel) {
      g.strokeStyle = p.focus;
      g.lineWidth = 2;
      g.strokeRect(sel.x * width + 1, sel.depth * ROW + 1, Math.max(sel.w * width - 2, 1), ROW - 3);
    }
    this.lastDrawMs = performance.now() - t0;
    c.dataset.nodes = String(drawn);
    c.dataset.drawMs = this.lastDrawMs.toFixed(1);
    c.dataset.zoom = this.zoomPath.length > 1 ? frameLabel(this.zoomPath[this.zoomPath.length - 1].frame) : "";
    if (depth * ROW > MAX_CANVAS_PX) c.title = `Stacks deeper than ${Math.floor(MAX_CANVAS_PX / ROW)} frames are cut here; zoom in to see them.`;
  }

  private hit(e: MouseEvent): CallNode | null {
    const rect = this.canvas.getBoundingClientRect();
    const x = (e.clientX - rect.left) / rect.width;
    const depth = Math.floor((e.clientY - rect.top) / ROW);
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

  private hover(e: MouseEvent): void {
    const n = this.hit(e);
    if (!n || !this.tree) {
      this.tooltip.hidden = true;
      return;
    }
    const z = this.zoomPath[this.zoomPath.length - 1];
    const f = n.frame;
    const T = this.tree.total;
    const extra = this.o.describe?.(n);
    fill(
      this.tooltip,
      h("strong", {}, n === this.tree.root ? "all" : f.name || "(anonymous)"),
      h("div", { className: "ms-muted" }, KIND_LABELS[f.kind], f.file ? ` · ${f.file}${f.line ? `:${f.line}` : ""}` : ""),
      h("div", {}, `self ${duration(n.self)} (${share(n.self / T)}) · total ${duration(n.total)} (${share(n.total / T)})`),
      z !== this.tree.root ? h("div", { className: "ms-muted" }, `${share(n.total / z.total)} of the zoomed frame`) : null,
      extra ? h("div", {}, extra) : null,
      h("div", { className: "ms-muted" }, f.file ? "click: zoom · double-click: open source" : "click: zoom"),
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
        if (this.zoomPath.length > 1) this.zoomTo(this.zoomPath[this.zoomPath.length - 2]);
        e.preventDefault();
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
    if (!this.pathOf(next).includes(this.zoomPath[this.zoomPath.length - 1])) this.zoomPath = this.pathOf(parent && next === parent ? next : (this.parents.get(next) ?? next));
    this.renderCrumbs();
    this.renderDetail();
    this.draw();
  }

  private openSource(n: CallNode): void {
    if (n.frame.file) this.o.onOpenSource(n.frame);
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
      fill(this.detail, h("span", { className: "ms-muted" }, `Click a frame to zoom into it; double-click (or select it and press o) to open its source${this.o.onSandwich ? ", s for its callers and callees" : ""}. Arrow keys move, Enter zooms, Escape zooms out.`));
      return;
    }
    const f = n.frame;
    const T = this.tree.total;
    const open = h("button", { type: "button", className: "ms-link", disabled: !f.file, "data-testid": "flame-open" }, f.file ? `${f.file}${f.line ? `:${f.line}` : ""}` : "no source");
    open.addEventListener("click", () => this.openSource(n));
    let sw: HTMLElement | null = null;
    if (this.o.onSandwich) {
      sw = h("button", { type: "button", className: "ms-link", "data-testid": "flame-sandwich", title: "Callers and callees of this function, over every place it is called" }, "sandwich");
      sw.addEventListener("click", () => this.o.onSandwich?.(f));
    }
    fill(this.detail, h("strong", {}, f.name || "(anonymous)"), ` · ${KIND_LABELS[f.kind]} · self ${share(n.self / T)} · total ${share(n.total / T)} · `, open, sw ? " · " : null, sw);
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
