// Frame colours by kind, from CSS variables (panel.css maps them onto VS Code's chart colours), so
// light, dark and high-contrast themes each get theirs. The canvas needs concrete colours: they are
// resolved once per theme through a probe element and cached.
import type { FrameKind } from "../profile/frames";

const KIND_VARS: Record<FrameKind, string> = {
  stage: "--ms-stage",
  lua: "--ms-lua",
  "lua-c": "--ms-lua-c",
  "js-app": "--ms-js",
  "server-core": "--ms-server",
  node: "--ms-node",
  native: "--ms-native",
  gc: "--ms-gc",
  idle: "--ms-idle",
  program: "--ms-program",
};


export interface Palette {
  kind: Record<FrameKind, string>;
  /** Text on a bar of that kind (black or white, whichever reads better). */
  text: Record<FrameKind, string>;
  foreground: string;
  muted: string;
  background: string;
  highlight: string;
  focus: string;
  grew: string;
  shrank: string;
  lines: string[];
}

let cached: { key: string; palette: Palette } | null = null;

function resolve(probe: HTMLElement, value: string): string {
  probe.style.color = "";
  probe.style.color = value;
  return getComputedStyle(probe).color;
}

function rgbOf(c: string): [number, number, number] {
  const m = /rgba?\((\d+),\s*(\d+),\s*(\d+)/.exec(c);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : [128, 128, 128];
}

function luminance(c: string): number {
  const [r, g, b] = rgbOf(c).map((v) => {
    const s = v / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/** Black or white, whichever reads better on c (WCAG contrast). */
export function textOn(c: string): string {
  return contrast("rgb(0, 0, 0)", c) >= contrast("rgb(255, 255, 255)", c) ? "#000000" : "#ffffff";
}

/** WCAG contrast ratio of two colours (1..21). */
export function contrast(a: string, b: string): number {
  const la = luminance(a.startsWith("#") ? hexToRgb(a) : a);
  const lb = luminance(b.startsWith("#") ? hexToRgb(b) : b);
  return (Math.max(la, lb) + 0.05) / (Math.min(la, lb) + 0.05);
}

function hexToRgb(hex: string): string {
  const n = parseInt(hex.slice(1), 16);
  return `rgb(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255})`;
}

/** The current theme's palette; recomputed when the body's theme class changes. */
export function palette(): Palette {
  const key = document.body.className + "|" + (document.documentElement.getAttribute("style") ?? "").length;
  if (cached && cached.key === key) return cached.palette;
  const probe = document.createElement("span");
  probe.style.display = "none";
  document.body.appendChild(probe);
  const v = (name: string) => resolve(probe, `var(${name})`);
  const kind = {} as Record<FrameKind, string>;
  const text = {} as Record<FrameKind, string>;
  for (const [k, name] of Object.entries(KIND_VARS) as [FrameKind, string][]) {
    kind[k] = v(name);
    text[k] = textOn(kind[k]);
  }
  const p: Palette = {
    kind,
    text,
    foreground: v("--ms-foreground"),
    muted: v("--ms-muted"),
    background: v("--ms-background"),
    highlight: v("--ms-highlight"),
    focus: v("--ms-focus"),
    grew: v("--ms-grew"),
    shrank: v("--ms-shrank"),
    lines: [v("--ms-line-1"), v("--ms-line-2"), v("--ms-line-3")],
  };
  probe.remove();
  cached = { key, palette: p };
  return p;
}

/** Calls fn when VS Code (or the dashboard's toggle) switches theme. */
export function onThemeChange(fn: () => void): void {
  const obs = new MutationObserver(() => {
    cached = null;
    fn();
  });
  obs.observe(document.body, { attributes: true, attributeFilter: ["class"] });
  obs.observe(document.documentElement, { attributes: true, attributeFilter: ["style"] });
}

/** A colour between `base` and `to` by t (0..1), for the differential flamegraph. */
export function mix(base: string, to: string, t: number): string {
  const a = rgbOf(base);
  const b = rgbOf(to);
  const c = a.map((x, i) => Math.round(x + (b[i] - x) * Math.max(0, Math.min(1, t))));
  return `rgb(${c[0]}, ${c[1]}, ${c[2]})`;
}
