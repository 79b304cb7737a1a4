// Standalone interactive flamegraph SVG, in the manner of Brendan Gregg's flamegraph.pl: opens
// offline in any browser; an embedded script gives hover details, click-to-zoom and regex search,
// and every frame's <title> serves viewers without script. The root ("all") is at the BOTTOM and
// callees stack upwards (the classic flame orientation).
//
// Size: one <g> per drawn frame, grouped per depth (<g transform="translate(0,y)">) so frames
// carry no y; colours are CSS classes; coordinates have one decimal; a label <text> only where it
// fits 3 characters. Frames narrower than minWidthFraction are not drawn (flame-layout.ts), and
// past maxBytes (4.8 MB) the narrowest of the rest are left out too, the subtitle saying so.
import type { CallNode, CallTree } from "./calltree";
import { matchPaths } from "./diff";
import { type FlameRect, layoutFlame } from "./flame-layout";
import { type FrameKind, frameLabel, KIND_LABELS } from "./frames";

export interface FlamegraphSvgOptions {
  title: string;
  subtitle?: string;
  /** Image width in px, default 1200. */
  width?: number;
  /** Frames narrower than this fraction of the total are not drawn; default 0.0005. */
  minWidthFraction?: number;
  /**
   * Size cap of the file in bytes, default 4.8 MB. Past it the narrowest frames are left out
   * (the subtitle says how many); only trees with tens of thousands of drawable frames reach it.
   */
  maxBytes?: number;
}

const DEFAULT_MAX_BYTES = 4_800_000;
/** Upper bound of everything but the frames: CSS, script, controls (about 10 kB). */
const HEADER_RESERVE = 16_000;

const FRAME_H = 16;
const RECT_H = 15;
const FONT = 12;
const CHAR_W = 0.59 * FONT;
const PAD = 10;
const TEXT_Y = 11.5;

// ---- escaping ---------------------------------------------------------------------------------

const NEEDS_ESC = /[&<>"'\u0000-\u0008\u000B\u000C\u000E-\u001F\uD800-\uDFFF\uFFFE\uFFFF]/;
const INVALID_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const ESC: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/** Escapes for XML text and double- or single-quoted attributes; characters XML 1.0 forbids become U+FFFD. */
export function escapeXml(s: string): string {
  if (!NEEDS_ESC.test(s)) return s;
  return s.replace(INVALID_XML, "\uFFFD").replace(/[&<>"']/g, (c) => ESC[c]);
}

// ---- colours ----------------------------------------------------------------------------------

const KIND_LETTER: Record<FrameKind, string> = {
  stage: "S",
  lua: "L",
  "lua-c": "C",
  "js-app": "J",
  "server-core": "V",
  node: "N",
  native: "X",
  gc: "G",
  idle: "I",
  program: "P",
};
const SHADES = 6;

/** Per kind: [hue from, hue to, saturation %, lightness from, lightness to]. */
const PALETTE: Record<FrameKind, [number, number, number, number, number]> = {
  stage: [35, 35, 14, 70, 78], // neutral sandstone
  lua: [90, 135, 50, 48, 62], // greens
  "lua-c": [168, 182, 50, 45, 57], // teal
  "js-app": [46, 58, 85, 55, 66], // yellows
  "server-core": [200, 225, 65, 62, 74], // blues
  node: [185, 195, 22, 66, 78], // grey-aqua
  native: [262, 290, 38, 66, 76], // purple-ish
  gc: [0, 8, 78, 52, 62], // red
  idle: [0, 0, 0, 84, 88], // light grey
  program: [0, 0, 0, 80, 86], // light grey
};

function hslHex(h: number, s: number, l: number): string {
  s /= 100;
  l /= 100;
  const k = (n: number) => (n + h / 30) % 12;
  const a = s * Math.min(l, 1 - l);
  const f = (n: number) => l - a * Math.max(-1, Math.min(k(n) - 3, Math.min(9 - k(n), 1)));
  const hex = (x: number) => Math.round(x * 255).toString(16).padStart(2, "0");
  return "#" + hex(f(0)) + hex(f(8)) + hex(f(4));
}

function rgbHex(r: number, g: number, b: number): string {
  const hex = (x: number) => Math.max(0, Math.min(255, Math.round(x))).toString(16).padStart(2, "0");
  return "#" + hex(r) + hex(g) + hex(b);
}

let kindCss: string | undefined;
function kindStyles(): string {
  if (kindCss !== undefined) return kindCss;
  const out: string[] = [];
  for (const kind of Object.keys(PALETTE) as FrameKind[]) {
    const [h0, h1, s, l0, l1] = PALETTE[kind];
    for (let i = 0; i < SHADES; i++) {
      const t = i / (SHADES - 1);
      // Interleave hue and lightness so neighbouring shades differ visibly.
      const u = ((i * 2) % SHADES) / (SHADES - 1);
      out.push(`.${KIND_LETTER[kind]}${i}{fill:${hslHex(h0 + (h1 - h0) * t, s, l0 + (l1 - l0) * u)}}`);
    }
  }
  return (kindCss = out.join(""));
}

const DIFF_LEVELS = 9;
function diffStyles(): string {
  const out: string[] = [".n0{fill:#dcdcdc}"];
  for (let i = 1; i <= DIFF_LEVELS; i++) {
    const t = i / DIFF_LEVELS;
    out.push(`.r${i}{fill:${rgbHex(255 - 35 * t, 228 - 190 * t, 228 - 190 * t)}}`);
    out.push(`.b${i}{fill:${rgbHex(228 - 190 * t, 228 - 150 * t, 255 - 30 * t)}}`);
  }
  return out.join("");
}

/** FNV-1a, for a stable shade per name. */
function hash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

// ---- formatting -------------------------------------------------------------------------------

function ms(us: number): string {
  const v = us / 1000;
  if (v >= 1000) return v.toFixed(0);
  if (v >= 10) return v.toFixed(1);
  if (v >= 1) return v.toFixed(2);
  return v.toFixed(3);
}

function pct(part: number, total: number): string {
  return total > 0 ? ((part / total) * 100).toFixed(2) + "%" : "0%";
}

function pts(share: number): string {
  const v = share * 100;
  return (v >= 0 ? "+" : "") + v.toFixed(2);
}

function displayLabel(node: CallNode, isRoot: boolean): string {
  if (isRoot) return "all";
  const l = frameLabel(node.frame);
  return /[\r\n\t]/.test(l) ? l.replace(/[\r\n\t]/g, " ") : l;
}

function truncate(label: string, n: number): string {
  if (n < 3) return "";
  if (label.length <= n) return label;
  let cut = n - 2;
  const c = label.charCodeAt(cut - 1);
  if (c >= 0xd800 && c <= 0xdbff) cut--;
  return label.slice(0, cut) + "..";
}

function r1(v: number): number {
  return Math.round(v * 10) / 10;
}

// ---- rendering --------------------------------------------------------------------------------

interface Style {
  diff: boolean;
  css: string;
  cls(r: FlameRect): string;
  /** Lines after the label in the frame's <title> (no leading newline). */
  stats(r: FlameRect): string;
}

function utf8Length(s: string): number {
  if (!/[^\x00-\x7f]/.test(s)) return s.length;
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

function render(opts: FlamegraphSvgOptions, style: Style, allRects: FlameRect[]): string {
  const W = opts.width && opts.width > 100 ? Math.round(opts.width) : 1200;
  const CW = W - 2 * PAD;
  const maxBytes = opts.maxBytes ?? DEFAULT_MAX_BYTES;
  const minText = 3 * CHAR_W + 6;

  // Every frame's markup, in pre-order.
  const frameParts = new Array<string>(allRects.length);
  let frameBytes = 0;
  let deepest = 0;
  for (let i = 0; i < allRects.length; i++) {
    const r = allRects[i];
    const label = displayLabel(r.node, r.depth === 0);
    const left = r1(PAD + r.x * CW);
    const right = r1(PAD + (r.x + r.w) * CW);
    const w = r1(right - left);
    let s = `<g class="${style.cls(r)}"><title>${escapeXml(label)}\n${style.stats(r)}</title><rect x="${left}" width="${w}" height="${RECT_H}"/>`;
    if (w >= minText) {
      const text = truncate(label, Math.floor((w - 6) / CHAR_W));
      if (text) s += `<text x="${r1(left + 3)}" y="${TEXT_Y}">${escapeXml(text)}</text>`;
    }
    s += "</g>\n";
    frameParts[i] = s;
    frameBytes += utf8Length(s);
    if (r.depth > deepest) deepest = r.depth;
  }

  // Over budget: keep the widest frames (ties: the shallower), a prefix of that order, which
  // always includes a kept frame's callers, since a caller is at least as wide and shallower.
  const budget = maxBytes - HEADER_RESERVE - utf8Length(opts.title) * 2 - utf8Length(opts.subtitle ?? "") - 40 * (deepest + 1);
  let keep: Uint8Array | undefined;
  let dropped = 0;
  if (frameBytes > budget) {
    const order = allRects.map((_, i) => i);
    order.sort((i, j) => allRects[j].w - allRects[i].w || allRects[i].depth - allRects[j].depth || i - j);
    keep = new Uint8Array(allRects.length);
    let used = 0;
    let k = 0;
    for (; k < order.length; k++) {
      const bytes = utf8Length(frameParts[order[k]]);
      if (used + bytes > budget) break;
      used += bytes;
      keep[order[k]] = 1;
    }
    dropped = order.length - k;
  }

  let maxDepth = 0;
  const byDepth: string[][] = [];
  for (let i = 0; i < allRects.length; i++) {
    if (keep && !keep[i]) continue;
    const d = allRects[i].depth;
    while (byDepth.length <= d) byDepth.push([]);
    byDepth[d].push(frameParts[i]);
    if (d > maxDepth) maxDepth = d;
  }

  let subtitle = opts.subtitle ?? "";
  if (dropped > 0) subtitle += `${subtitle ? " " : ""}(the ${dropped} narrowest frames are left out to keep the file under ${(maxBytes / 1e6).toFixed(1)} MB)`;
  const top = subtitle ? 58 : 38;
  const H = top + byDepth.length * FRAME_H + 34;

  const parts: string[] = [];
  parts.push(
    `<?xml version="1.0" standalone="no"?>\n`,
    `<svg version="1.1" xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" onload="init(evt)">\n`,
    `<title>${escapeXml(opts.title)}</title>\n`,
    `<defs><linearGradient id="bg" x1="0" y1="0" x2="0" y2="1"><stop stop-color="#f8f8f8" offset="0"/><stop stop-color="${style.diff ? "#f8f8f8" : "#eeeeb0"}" offset="1"/></linearGradient></defs>\n`,
    `<style type="text/css"><![CDATA[\n`,
    `text{font-family:Verdana,sans-serif;font-size:${FONT}px;fill:#000}#title{font-size:17px}#subtitle{fill:#555}`,
    `.btn{cursor:pointer;fill:#1a56a0}.btn:hover{text-decoration:underline}#frames g{cursor:pointer}#frames g:hover>rect{stroke:#000;stroke-width:.6}`,
    `.h{display:none}.p{opacity:.5}\n`,
    style.css,
    `\n#frames .m{fill:#e040e0}\n]]></style>\n`,
    `<script type="text/ecmascript"><![CDATA[\n`,
    script(CW, style.diff),
    `]]></script>\n`,
    `<rect x="0" y="0" width="${W}" height="${H}" fill="url(#bg)"/>\n`,
    `<text id="title" x="${W / 2}" y="24" text-anchor="middle">${escapeXml(opts.title)}</text>\n`,
  );
  if (subtitle) parts.push(`<text id="subtitle" x="${W / 2}" y="44" text-anchor="middle">${escapeXml(subtitle)}</text>\n`);
  parts.push(
    `<text id="unzoom" class="btn h" x="${PAD}" y="24">Reset Zoom</text>\n`,
    `<text id="search" class="btn" x="${W - PAD}" y="24" text-anchor="end">Search</text>\n`,
    `<text id="details" x="${PAD}" y="${H - 12}"> </text>\n`,
    `<text id="matched" x="${W - PAD}" y="${H - 12}" text-anchor="end"> </text>\n`,
    `<g id="frames">\n`,
  );
  for (let d = 0; d < byDepth.length; d++) {
    parts.push(`<g transform="translate(0,${top + (maxDepth - d) * FRAME_H})">\n`);
    for (const f of byDepth[d]) parts.push(f);
    parts.push("</g>\n");
  }
  parts.push("</g>\n</svg>\n");
  return parts.join("");
}

/**
 * A flamegraph of a call tree. Frames are coloured by kind (Lua greens, Lua C teal, app JS
 * yellows, server core blues, Node grey-aqua, native purple, GC red, idle/program light grey,
 * stage roots sandstone), the shade chosen by name.
 */
export function flamegraphSvg(t: CallTree, opts: FlamegraphSvgOptions): string {
  const T = t.total;
  const rects = layoutFlame(t, { minWidthFraction: opts.minWidthFraction });
  return render(
    opts,
    {
      diff: false,
      css: kindStyles(),
      cls: (r) => (r.depth === 0 ? "P0" : KIND_LETTER[r.node.frame.kind] + (hash(r.node.frame.name) % SHADES)),
      stats: (r) => `${ms(r.node.total)} ms (${pct(r.node.total, T)})` + (r.node.self > 0 ? `, self ${ms(r.node.self)} ms (${pct(r.node.self, T)})` : ""),
    },
    rects,
  );
}

/**
 * A differential flamegraph drawn on the shape of `after`. Each frame is matched to the frame at
 * the same path (frame keys from the root) in `before`; its colour shows how its self time's share
 * of the whole changed: red grew, blue shrank, grey about the same (under 0.01 points), the
 * intensity growing with the size of the change relative to the largest change (at least 1 point).
 * Paths only in `before` are not drawn. The hover details give before/after/delta.
 */
export function diffFlamegraphSvg(before: CallTree, after: CallTree, opts: FlamegraphSvgOptions): string {
  const A = before.total;
  const B = after.total;
  const match = matchPaths(before, after);
  const rects = layoutFlame(after, { minWidthFraction: opts.minWidthFraction });
  const deltas = new Map<CallNode, number>();
  let maxAbs = 0;
  for (const r of rects) {
    const m = match.get(r.node);
    const d = (B > 0 ? r.node.self / B : 0) - (m && A > 0 ? m.self / A : 0);
    deltas.set(r.node, d);
    if (Math.abs(d) > maxAbs) maxAbs = Math.abs(d);
  }
  const scale = Math.max(maxAbs, 0.01);
  const legend = "red: self share grew, blue: shrank (after vs before)";
  return render(
    { ...opts, subtitle: opts.subtitle ? `${opts.subtitle} \u2014 ${legend}` : legend },
    {
      diff: true,
      css: diffStyles(),
      cls: (r) => {
        const d = deltas.get(r.node) ?? 0;
        if (Math.abs(d) < 1e-4) return "n0";
        const level = Math.max(1, Math.min(DIFF_LEVELS, Math.round(DIFF_LEVELS * Math.sqrt(Math.abs(d) / scale))));
        return (d > 0 ? "r" : "b") + level;
      },
      stats: (r) => {
        const n = r.node;
        const m = match.get(n);
        const bs = m && A > 0 ? m.self / A : 0;
        const as = B > 0 ? n.self / B : 0;
        const bt = m && A > 0 ? m.total / A : 0;
        const at = B > 0 ? n.total / B : 0;
        return (
          `after: ${ms(n.total)} ms (${pct(n.total, B)}), self ${ms(n.self)} ms (${pct(n.self, B)})\n` +
          (m ? `before: ${ms(m.total)} ms (${pct(m.total, A)}), self ${ms(m.self)} ms (${pct(m.self, A)})\n` : "before: absent\n") +
          `delta: self ${pts(as - bs)} pts, total ${pts(at - bt)} pts`
        );
      },
    },
    rects,
  );
}

// ---- the embedded script ----------------------------------------------------------------------
// Plain ES5 so any browser runs it; must never contain "]]>".

function script(CW: number, diff: boolean): string {
  return `"use strict";
var PAD=${PAD},CW=${CW},CHW=${CHAR_W},TY="${TEXT_Y}",DIFF=${diff},NS="http://www.w3.org/2000/svg";
var KINDS=${JSON.stringify(Object.fromEntries(Object.entries(KIND_LETTER).map(([kind, letter]) => [letter, KIND_LABELS[kind as FrameKind]])))};
var fr,details,unzoomBtn,searchBtn,matchedTxt,frames=[],zoomed=null,searching=false,lastTerm="";
function byId(id){return document.getElementById(id);}
function init(evt){
  fr=byId("frames");details=byId("details");unzoomBtn=byId("unzoom");searchBtn=byId("search");matchedTxt=byId("matched");
  var groups=fr.children;
  for(var d=0;d<groups.length;d++){var gs=groups[d].children;
    for(var i=0;i<gs.length;i++){var g=gs[i],r=g.children[1];g._d=d;g._x=+r.getAttribute("x");g._w=+r.getAttribute("width");frames.push(g);}}
  fr.addEventListener("mouseover",function(e){var g=frameOf(e.target);if(g)show(g);});
  fr.addEventListener("mouseout",function(e){var g=frameOf(e.target);if(g&&!(e.relatedTarget&&g.contains(e.relatedTarget)))details.textContent=" ";});
  fr.addEventListener("click",function(e){var g=frameOf(e.target);if(g)zoom(g);});
  unzoomBtn.addEventListener("click",unzoom);
  searchBtn.addEventListener("click",function(){if(searching)resetSearch();else search();});
  window.addEventListener("keydown",function(e){
    if((e.ctrlKey||e.metaKey)&&(e.key==="f"||e.keyCode===70)){e.preventDefault();search();}
    else if(e.key==="Escape"||e.keyCode===27){resetSearch();unzoom();}});
}
function frameOf(el){while(el&&el!==fr){if(el._d!==undefined)return el;el=el.parentNode;}return null;}
function info(g){if(g._l===undefined){var t=g.firstChild.textContent,i=t.indexOf("\\n");g._l=i<0?t:t.slice(0,i);g._s=i<0?"":t.slice(i+1);}return g._l;}
function show(g){
  var l=info(g),m=/^(.*\\S) \\(([^()]*)\\)$/.exec(l),head=m?m[1]+"  \\u2014  "+m[2]:l;
  var k=DIFF||g._d===0?"":KINDS[(g.getAttribute("class")||"").charAt(0)];
  details.textContent=head+(k?"  ["+k+"]":"")+"  \\u2014  "+g._s.split("\\n").join("  |  ");
}
function cut(l,n){if(n<3)return "";if(l.length<=n)return l;var c=n-2,k=l.charCodeAt(c-1);if(k>=0xD800&&k<=0xDBFF)c--;return l.slice(0,c)+"..";}
function place(f,x,w){var r=f.children[1];r.setAttribute("x",x.toFixed(1));r.setAttribute("width",w.toFixed(1));
  var t=f.children[2],s=cut(info(f),Math.floor((w-6)/CHW));
  if(!t){if(!s)return;t=document.createElementNS(NS,"text");t.setAttribute("y",TY);f.appendChild(t);}
  t.setAttribute("x",(x+3).toFixed(1));t.textContent=s;}
function zoom(g){
  if(g._d===0){unzoom();return;}
  zoomed=g;var xs=g._x,xe=xs+g._w,d=g._d,sc=CW/g._w,E=0.11;
  for(var i=0;i<frames.length;i++){var f=frames[i],c=f.classList;
    if(f._d>=d){if(f._x>=xs-E&&f._x+f._w<=xe+E){c.remove("h");c.remove("p");place(f,PAD+(f._x-xs)*sc,f._w*sc);}else c.add("h");}
    else if(f._x<=xs+E&&f._x+f._w>=xe-E){c.remove("h");c.add("p");place(f,PAD,CW);}else c.add("h");}
  unzoomBtn.classList.remove("h");
}
function unzoom(){
  if(!zoomed)return;zoomed=null;
  for(var i=0;i<frames.length;i++){var f=frames[i];f.classList.remove("h");f.classList.remove("p");place(f,f._x,f._w);}
  unzoomBtn.classList.add("h");
}
function search(){
  var term=prompt("Search frames: a regular expression (Esc resets)",lastTerm);
  if(term===null||term==="")return;
  var re;try{re=new RegExp(term);}catch(e){alert("Not a regular expression: "+e.message);return;}
  resetSearch();lastTerm=term;var iv=[];
  for(var i=0;i<frames.length;i++){var f=frames[i];if(f._d>0&&re.test(info(f))){f.classList.add("m");iv.push([f._x,f._x+f._w]);}}
  iv.sort(function(a,b){return a[0]-b[0];});
  var cov=0,end=-1e9;
  for(var j=0;j<iv.length;j++){var a=iv[j][0],b=iv[j][1];if(a>=end){cov+=b-a;end=b;}else if(b>end){cov+=b-end;end=b;}}
  searching=true;searchBtn.textContent="Reset Search";
  matchedTxt.textContent="Matched: "+(cov/CW*100).toFixed(2)+"% of all ("+iv.length+" frames)";
}
function resetSearch(){
  if(!searching)return;searching=false;
  for(var i=0;i<frames.length;i++)frames[i].classList.remove("m");
  searchBtn.textContent="Search";matchedTxt.textContent=" ";
}
`;
}
