import { test } from "node:test";
import assert from "node:assert/strict";
import { type CallTree, CallTreeBuilder, findFrames, fromFolded, nodeCount } from "../../profile/calltree";
import { diffFlamegraphSvg, escapeXml, flamegraphSvg } from "../../profile/flamegraph-svg";
import type { Frame, FrameKind } from "../../profile/frames";

// ---- a strict little XML parser: well-formedness, and a DOM good enough to run the SVG's script ----

class Txt {
  constructor(public data: string) {}
}

class El {
  readonly attrs = new Map<string, string>();
  childNodes: (El | Txt)[] = [];
  parentNode: El | null = null;
  readonly listeners = new Map<string, ((e: unknown) => void)[]>();
  [expando: string]: unknown;
  constructor(readonly tagName: string) {}
  get children(): El[] {
    return this.childNodes.filter((c): c is El => c instanceof El);
  }
  get firstChild(): El | Txt | undefined {
    return this.childNodes[0];
  }
  get textContent(): string {
    return this.childNodes.map((c) => (c instanceof Txt ? c.data : c.textContent)).join("");
  }
  set textContent(v: string) {
    this.childNodes = [new Txt(String(v))];
  }
  getAttribute(n: string): string | null {
    return this.attrs.get(n) ?? null;
  }
  setAttribute(n: string, v: unknown): void {
    this.attrs.set(n, String(v));
  }
  appendChild(c: El): El {
    c.parentNode = this;
    this.childNodes.push(c);
    return c;
  }
  contains(o: unknown): boolean {
    for (let x = o as El | null; x; x = x.parentNode) if (x === this) return true;
    return false;
  }
  addEventListener(type: string, fn: (e: unknown) => void): void {
    const l = this.listeners.get(type) ?? [];
    l.push(fn);
    this.listeners.set(type, l);
  }
  get classList() {
    const get = () => (this.getAttribute("class") ?? "").split(/\s+/).filter(Boolean);
    return {
      add: (c: string) => {
        const cs = get();
        if (!cs.includes(c)) this.setAttribute("class", [...cs, c].join(" "));
      },
      remove: (c: string) => this.setAttribute("class", get().filter((x) => x !== c).join(" ")),
      contains: (c: string) => get().includes(c),
    };
  }
  *descendants(): Generator<El> {
    for (const c of this.children) {
      yield c;
      yield* c.descendants();
    }
  }
}

const NAME = "[A-Za-z_][\\w.:-]*";
const START_TAG = new RegExp(`<(${NAME})((?:\\s+${NAME}\\s*=\\s*(?:"[^"<]*"|'[^'<]*'))*)\\s*(/?)>`, "y");
const ATTR = new RegExp(`(${NAME})\\s*=\\s*(?:"([^"<]*)"|'([^'<]*)')`, "g");
const BAD_AMP = /&(?!(?:amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);)/;
const INVALID_CHAR = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function decode(s: string): string {
  assert.ok(!BAD_AMP.test(s), `bare & in ${JSON.stringify(s.slice(0, 80))}`);
  return s.replace(/&(amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);/g, (_, e: string) =>
    e === "amp" ? "&" : e === "lt" ? "<" : e === "gt" ? ">" : e === "quot" ? '"' : e === "apos" ? "'" : String.fromCodePoint(e[1] === "x" ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10)),
  );
}

/** Parses a document, asserting well-formedness: one root, balanced tags, quoted attributes, valid entities. */
function parseXml(s: string): El {
  assert.ok(!INVALID_CHAR.test(s), "no characters XML 1.0 forbids");
  const doc = new El("#document");
  const stack: El[] = [doc];
  let i = 0;
  let roots = 0;
  while (i < s.length) {
    const lt = s.indexOf("<", i);
    const text = s.slice(i, lt < 0 ? s.length : lt);
    if (text) {
      assert.ok(!text.includes("]]>"), "]]> in text");
      if (stack.length === 1) assert.ok(/^\s*$/.test(text), `text outside the root: ${JSON.stringify(text.slice(0, 40))}`);
      else stack[stack.length - 1].childNodes.push(new Txt(decode(text)));
    }
    if (lt < 0) break;
    if (s.startsWith("<?", lt)) {
      assert.equal(stack.length, 1, "processing instruction inside an element");
      const end = s.indexOf("?>", lt);
      assert.ok(end > 0);
      i = end + 2;
    } else if (s.startsWith("<!--", lt)) {
      const end = s.indexOf("-->", lt);
      assert.ok(end > 0);
      i = end + 3;
    } else if (s.startsWith("<![CDATA[", lt)) {
      assert.ok(stack.length > 1, "CDATA outside the root");
      const end = s.indexOf("]]>", lt);
      assert.ok(end > 0, "unterminated CDATA");
      stack[stack.length - 1].childNodes.push(new Txt(s.slice(lt + 9, end)));
      i = end + 3;
    } else if (s.startsWith("</", lt)) {
      const m = new RegExp(`</(${NAME})\\s*>`, "y");
      m.lastIndex = lt;
      const r = m.exec(s);
      assert.ok(r, `bad end tag at ${lt}: ${s.slice(lt, lt + 30)}`);
      const open = stack.pop()!;
      assert.equal(r[1], open.tagName, `</${r[1]}> closes <${open.tagName}>`);
      i = lt + r[0].length;
    } else {
      START_TAG.lastIndex = lt;
      const r = START_TAG.exec(s);
      assert.ok(r, `bad start tag at ${lt}: ${s.slice(lt, lt + 60)}`);
      if (stack.length === 1) assert.equal(++roots, 1, "one root element");
      const el = new El(r[1]);
      for (const a of r[2].matchAll(ATTR)) {
        assert.ok(!el.attrs.has(a[1]), `duplicate attribute ${a[1]}`);
        el.attrs.set(a[1], decode(a[2] ?? a[3]));
      }
      stack[stack.length - 1].appendChild(el);
      if (!r[3]) stack.push(el);
      i = lt + r[0].length;
    }
  }
  assert.equal(stack.length, 1, `unclosed <${stack[stack.length - 1].tagName}>`);
  assert.equal(roots, 1);
  return doc;
}

/** Runs the SVG's embedded script against the parsed document. */
function runScript(svg: El, promptAnswer: () => string | null) {
  const script = [...svg.descendants()].find((e) => e.tagName === "script")!;
  const byId = (id: string) => [...svg.descendants()].find((e) => e.getAttribute("id") === id) ?? null;
  const windowListeners = new Map<string, (e: unknown) => void>();
  const document = {
    documentElement: svg,
    getElementById: byId,
    createElementNS: (_ns: string, tag: string) => new El(tag),
  };
  const window = { addEventListener: (t: string, f: (e: unknown) => void) => windowListeners.set(t, f) };
  const alerts: string[] = [];
  const api = new Function(
    "document",
    "window",
    "prompt",
    "alert",
    script.textContent + "\nreturn {init:init,zoom:zoom,unzoom:unzoom,search:search,resetSearch:resetSearch,frames:function(){return frames;}};",
  )(document, window, promptAnswer, (m: string) => alerts.push(m)) as {
    init(e: unknown): void;
    zoom(g: El): void;
    unzoom(): void;
    search(): void;
    resetSearch(): void;
    frames(): El[];
  };
  api.init({ target: svg });
  const fire = (id: string, type: string, target: El, relatedTarget?: El) => {
    for (const f of byId(id)!.listeners.get(type) ?? []) f({ target, relatedTarget, preventDefault() {} });
  };
  return { api, byId, fire, alerts, windowListeners };
}

// ---- trees ----

function frame(name: string, kind: FrameKind, file?: string, line?: number): Frame {
  const f: Frame = { name, kind };
  if (file !== undefined) f.file = file;
  if (line !== undefined) f.line = line;
  return f;
}

function sampleTree(): CallTree {
  const b = new CallTreeBuilder();
  const handler = frame("[handler]", "stage");
  const get = frame("api.users.get", "lua", "app.lua", 12);
  const churn = frame("churn_numbers", "lua", "app.lua", 9);
  b.add([handler, get, churn], 60_000);
  b.add([handler, get, churn, frame("string.rep", "lua-c", "[C]")], 15_000);
  b.add([handler, get, frame(`<&"'>`, "lua", "we<ird>&.lua", 1)], 9_000);
  b.add([handler, get, frame("x".repeat(300), "lua", "app.lua", 99)], 3_000);
  b.add([frame("[serialize]", "stage"), frame("JSON.stringify", "native")], 8_000);
  b.add([frame("[write]", "stage"), frame("writeGeneric", "node", "node:internal/stream_base_commons", 151)], 4_000);
  b.add([frame("(garbage collector)", "gc")], 1_000);
  b.add([frame("bad\u0001ctl\uD800", "js-app", "x.js", 1)], 500);
  return b.build();
}

function frameGroups(svg: El): El[] {
  const frames = [...svg.descendants()].find((e) => e.getAttribute("id") === "frames")!;
  return frames.children.flatMap((depth) => depth.children);
}

const titleOf = (g: El) => (g.children[0] as El).textContent;

// ---- tests ----

test("escapeXml escapes markup and replaces characters XML forbids", () => {
  assert.equal(escapeXml(`<&"'>`), "&lt;&amp;&quot;&#39;&gt;");
  assert.equal(escapeXml("plain"), "plain");
  assert.equal(escapeXml("a\u0001b\uD800c\uD83D\uDE00"), "a\uFFFDb\uFFFDc\uD83D\uDE00");
});

test("the SVG is well-formed, self-contained, escaped, root at the bottom", () => {
  const t = sampleTree();
  const text = flamegraphSvg(t, { title: `GET /users <&>`, subtitle: "50 req/s" });
  const doc = parseXml(text);
  const svg = doc.children[0];
  assert.equal(svg.tagName, "svg");
  assert.equal(svg.getAttribute("xmlns"), "http://www.w3.org/2000/svg");
  assert.equal(svg.getAttribute("width"), "1200");
  assert.ok(!/(href|src)="(https?:)?\/\//.test(text), "no external resources");
  assert.match(text, /<script type="text\/ecmascript"><!\[CDATA\[/);
  assert.ok(text.includes("&lt;&amp;&quot;&#39;&gt;"), "the odd frame name is escaped");
  assert.ok(!text.includes(`<&"'>`));
  // Every frame <g> has a <title> first: label, then times.
  const gs = frameGroups(svg);
  assert.equal(gs.length, nodeCount(t));
  for (const g of gs) assert.equal((g.children[0] as El).tagName, "title");
  const titles = gs.map(titleOf);
  assert.ok(titles.includes(`<&"'> (we<ird>&.lua:1)\n9.00 ms (8.96%), self 9.00 ms (8.96%)`), titles.join("\n"));
  assert.ok(titles.includes("all\n100.5 ms (100.00%)"), "no self part when there is no self time");
  assert.ok(titles.some((l) => l.startsWith("bad\uFFFDctl\uFFFD (x.js:1)")));
  // Colour classes by kind.
  const cls = (prefix: string) => gs.find((g) => titleOf(g).startsWith(prefix))!.getAttribute("class")!;
  assert.match(cls("churn_numbers"), /^L\d$/);
  assert.match(cls("string.rep"), /^C\d$/);
  assert.match(cls("[handler]"), /^S\d$/);
  assert.match(cls("(garbage collector)"), /^G\d$/);
  assert.match(cls("writeGeneric"), /^N\d$/);
  assert.match(cls("JSON.stringify"), /^X\d$/);
  // Root at the bottom: depth groups go upwards.
  const depthGroups = [...svg.descendants()].find((e) => e.getAttribute("id") === "frames")!.children;
  const ys = depthGroups.map((g) => Number(/translate\(0,(\d+)\)/.exec(g.getAttribute("transform")!)![1]));
  for (let i = 1; i < ys.length; i++) assert.ok(ys[i] < ys[i - 1]);
  // Labels are truncated to fit: the 300-char name is cut with "..", and narrow frames have no text.
  const long = gs.find((g) => titleOf(g).startsWith("xxx"))!;
  const label = long.children.find((c) => c.tagName === "text");
  if (label) {
    assert.ok(label.textContent.endsWith(".."));
    assert.ok(label.textContent.length * 0.59 * 12 <= Number(long.children[1].getAttribute("width")));
  }
  assert.equal(gs.find((g) => titleOf(g).startsWith("(garbage"))!.children.length, 2, "a 12 px wide frame gets no label");
});

test("the embedded script: hover details, click to zoom, reset, search with matched share", () => {
  const t = sampleTree();
  const svg = parseXml(flamegraphSvg(t, { title: "t" })).children[0];
  let answer: string | null = "churn|rep";
  const { api, byId, fire } = runScript(svg, () => answer);
  const gs = frameGroups(svg);
  assert.equal(api.frames().length, gs.length);
  const find = (p: string) => gs.find((g) => titleOf(g).startsWith(p))!;
  const rect = (g: El) => g.children[1];
  const geom = (g: El) => [Number(rect(g).getAttribute("x")), Number(rect(g).getAttribute("width"))];

  // Hover: name, file:line, kind, times.
  fire("frames", "mouseover", rect(find("churn_numbers")));
  assert.equal(byId("details")!.textContent, "churn_numbers  \u2014  app.lua:9  [Lua]  \u2014  75.0 ms (74.63%), self 60.0 ms (59.70%)");
  fire("frames", "mouseout", rect(find("churn_numbers")));
  assert.equal(byId("details")!.textContent, " ");

  // Zoom into api.users.get: it fills the width, its callees scale, others hide, callers dim.
  const before = new Map(gs.map((g) => [g, geom(g)]));
  const get = find("api.users.get");
  fire("frames", "click", rect(get));
  assert.deepEqual(geom(get), [10, 1180]);
  const [gx, gw] = before.get(get)!;
  const churn = find("churn_numbers");
  const [cx, cw] = before.get(churn)!;
  assert.ok(Math.abs(geom(churn)[1] - (cw * 1180) / gw) < 0.2);
  assert.ok(Math.abs(geom(churn)[0] - (10 + ((cx - gx) * 1180) / gw)) < 0.2);
  assert.ok(find("[serialize]").classList.contains("h"));
  assert.ok(find("[handler]").classList.contains("p"));
  assert.ok(find("all").classList.contains("p"));
  assert.ok(!churn.classList.contains("h"));
  assert.ok(!byId("unzoom")!.classList.contains("h"));
  const churnText = churn.children.find((c) => c.tagName === "text")!;
  assert.equal(churnText.textContent, "churn_numbers (app.lua:9)");
  // A frame that was too narrow for a label gets one once zoomed.
  const odd = find(`<&"'>`);
  assert.ok(odd.children.some((c) => c.tagName === "text"));

  // Reset zoom restores the geometry.
  fire("unzoom", "click", byId("unzoom")!);
  for (const g of gs) {
    const [x, w] = before.get(g)!;
    assert.ok(Math.abs(geom(g)[0] - x) < 0.051 && Math.abs(geom(g)[1] - w) < 0.051);
    assert.ok(!g.classList.contains("h") && !g.classList.contains("p"));
  }
  assert.ok(byId("unzoom")!.classList.contains("h"));

  // Search: matches are highlighted; the matched share counts nested matches once.
  fire("search", "click", byId("search")!);
  const matched = gs.filter((g) => g.classList.contains("m")).map((g) => titleOf(g).split("\n")[0]);
  assert.deepEqual(matched.sort(), ["churn_numbers (app.lua:9)", "string.rep ([C])"]);
  const share = findFrames(t, (f) => /churn|rep/.test(f.name)).total / t.total;
  const shown = Number(/Matched: ([\d.]+)%/.exec(byId("matched")!.textContent)![1]);
  assert.ok(Math.abs(shown - share * 100) < 0.05, `${shown} vs ${share * 100}`);
  assert.equal(byId("search")!.textContent, "Reset Search");
  fire("search", "click", byId("search")!);
  assert.ok(gs.every((g) => !g.classList.contains("m")));
  assert.equal(byId("search")!.textContent, "Search");
  answer = "(unclosed";
  api.search(); // alerts, does not throw
});

test("a 50k-node tree exports under 5 MB", (ctx) => {
  const t = syntheticTree(50_000);
  assert.ok(nodeCount(t) >= 50_000, `${nodeCount(t)} nodes`);
  let started = performance.now();
  const svg = flamegraphSvg(t, { title: "synthetic" });
  let ms = performance.now() - started;
  const bytes = Buffer.byteLength(svg);
  assert.ok(bytes < 5 * 1024 * 1024, `${bytes} bytes`);
  parseXml(svg);
  ctx.diagnostic(`random 50k-node tree: ${bytes} bytes, ${ms.toFixed(0)} ms, ${(svg.match(/<g class=/g) ?? []).length} frames drawn`);
  // The worst case: 2000 chains of 25 frames of equal weight, every frame exactly at the minimum width.
  const b = new CallTreeBuilder();
  const h = frame("[handler]", "stage");
  for (let i = 0; i < 2000; i++) {
    const s = [h];
    for (let d = 0; d < 25; d++) s.push(frame(`api.route_${i}.step_${d}`, "lua", "app/handlers.lua", 100 + d));
    b.add(s, 1000);
  }
  const worst = b.build();
  started = performance.now();
  const svg2 = flamegraphSvg(worst, { title: "worst" });
  ms = performance.now() - started;
  const bytes2 = Buffer.byteLength(svg2);
  assert.ok(bytes2 < 5 * 1024 * 1024, `${bytes2} bytes`);
  ctx.diagnostic(`all-drawable 50k-node tree: ${bytes2} bytes, ${ms.toFixed(0)} ms, ${(svg2.match(/<g class=/g) ?? []).length} frames drawn`);
});

test("past maxBytes the narrowest frames are left out, callers always kept", () => {
  const t = syntheticTree(3000);
  const full = flamegraphSvg(t, { title: "x", minWidthFraction: 0 });
  const capped = flamegraphSvg(t, { title: "x", minWidthFraction: 0, maxBytes: 60_000 });
  assert.ok(Buffer.byteLength(capped) <= 60_000, `${Buffer.byteLength(capped)}`);
  const svg = parseXml(capped).children[0];
  const drawn = frameGroups(svg).length;
  assert.ok(drawn > 50 && drawn < nodeCount(t), `${drawn}`);
  const note = [...svg.descendants()].find((e) => e.getAttribute("id") === "subtitle")!.textContent;
  assert.equal(note, `(the ${(full.match(/<g class=/g) ?? []).length - drawn} narrowest frames are left out to keep the file under 0.1 MB)`);
  // Every drawn frame above the root sits on a drawn frame one level down (no floating frames).
  const depthGroups = [...svg.descendants()].find((e) => e.getAttribute("id") === "frames")!.children;
  for (let d = 1; d < depthGroups.length; d++) {
    const below = depthGroups[d - 1].children.map((g) => [Number(g.children[1].getAttribute("x")), Number(g.children[1].getAttribute("width"))]);
    for (const g of depthGroups[d].children) {
      const x = Number(g.children[1].getAttribute("x"));
      const w = Number(g.children[1].getAttribute("width"));
      assert.ok(below.some(([bx, bw]) => x >= bx - 0.11 && x + w <= bx + bw + 0.11), `frame at depth ${d}, x ${x} has a caller`);
    }
  }
  runScript(svg, () => null);
});

test("the differential flamegraph colours grown frames red and shrunk ones blue", () => {
  const before = fromFolded(`[handler];render (app.lua:3) 50
[handler];render (app.lua:3);json_encode (app.lua:30) 30
[parse] 20
`);
  const after = fromFolded(`[handler];render (app.lua:3) 50
[handler];render (app.lua:3);json_encode (app.lua:30) 130
[handler];cache_get (app.lua:40) 10
[parse] 20
`);
  const text = diffFlamegraphSvg(before, after, { title: "before vs after" });
  const svg = parseXml(text).children[0];
  const gs = frameGroups(svg);
  const find = (p: string) => gs.find((g) => titleOf(g).startsWith(p))!;
  assert.match(find("json_encode").getAttribute("class")!, /^r[5-9]$/);
  assert.match(find("cache_get").getAttribute("class")!, /^r\d$/);
  assert.match(find("render").getAttribute("class")!, /^b[5-9]$/);
  assert.match(find("[handler]").getAttribute("class")!, /^n0$/);
  assert.equal(
    titleOf(find("json_encode")),
    "json_encode (app.lua:30)\nafter: 0.130 ms (61.90%), self 0.130 ms (61.90%)\nbefore: 0.030 ms (30.00%), self 0.030 ms (30.00%)\ndelta: self +31.90 pts, total +31.90 pts",
  );
  assert.match(titleOf(find("cache_get")), /before: absent/);
  // Hover shows all three lines.
  const { byId, fire } = runScript(svg, () => null);
  fire("frames", "mouseover", find("json_encode").children[1]);
  assert.match(byId("details")!.textContent, /after: .*\| {2}before: .*\| {2}delta: self \+31\.90 pts/);
});

/** A deterministic random call tree of about n nodes: random-recursive shape, heavy-tailed weights. */
function syntheticTree(n: number): CallTree {
  let seed = 42;
  const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 4294967296);
  const kinds: FrameKind[] = ["lua", "lua", "lua", "lua-c", "js-app", "server-core", "node", "native"];
  const parent = new Int32Array(n);
  const frames: Frame[] = [];
  for (let i = 0; i < n; i++) {
    parent[i] = i === 0 ? -1 : Math.floor(i * Math.pow(rnd(), 0.3)); // biased to recent nodes: deeper trees
    const kind = i < 7 ? "stage" : kinds[i % kinds.length];
    frames.push(kind === "stage" ? frame(`[stage${i}]`, "stage") : frame(`fn_${i}_${"abcdefgh".slice(0, i % 9)}`, kind, `mod${i % 40}.lua`, 1 + (i % 500)));
  }
  const b = new CallTreeBuilder();
  const path: Frame[] = [];
  for (let i = 0; i < n; i++) {
    path.length = 0;
    for (let j = i; j >= 0; j = parent[j]) path.push(frames[j]);
    path.reverse();
    b.add(path, 1 + Math.floor(1000 / Math.pow(rnd() + 0.01, 1.5)));
  }
  return b.build();
}
