// The panel in headless Chromium, on the standalone dashboard of a real daemon (`moonscope
// dashboard`) that profiles a real Lua app: frames arrive, the report fills, the flamegraph draws,
// search highlights and steps through matches, click, Ctrl+wheel and drag zoom and pan, the hot-spot
// table sorts and filters by kind, the call tree expands top-down and bottom-up, export yields a
// valid SVG, both themes render, start options reach the load, a failed start leaves nothing stale,
// and two runs compare. Screenshots go to test-artifacts/browser/ (and the README's to media/).
import { after, before, beforeEach, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Browser, Page } from "playwright-core";
import { storeTree } from "../../profile/tree-store";
import { nodeCount } from "../../profile/calltree";
import { BIN, ROOT } from "../helpers/server";
import { browserSkipReason, CHROMIUM } from "../helpers/browser";
import { bigTree } from "../../bench/svg-bench";
import { processesMentioning } from "../helpers/cli";
import { PROFILE_DEFAULTS } from "../../protocol/types";

const skip = browserSkipReason();
if (skip) console.log(`# SKIP test/browser: ${skip}`);

const SHOTS = path.join(ROOT, "test-artifacts", "browser");
const TABS = ["overview", "flamegraph", "hotspots", "calltree", "compare"];
// A route that answers 200 only with the query, header and body the start options send.
const ECHO_APP = `function api.echo.post(ctx)
  if ctx.query.key ~= "q1" or ctx:header("x-token") ~= "t1" or ctx.body ~= "hello" then
    return api:error(400, "send ?key=q1, X-Token: t1 and the body hello")
  end
  return api.json { ok = true }
end
`;

describe("the panel in Chromium (standalone dashboard)", { skip: skip ?? false }, () => {
  let daemon: ChildProcess;
  let browser: Browser;
  let page: Page;
  let url = "";
  let workspace = "";
  const pageErrors: string[] = [];
  let current = "";
  beforeEach((t) => (current = t.name));

  const shot = (name: string) => page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
  const count = async (sel: string) => page.locator(sel).count();
  // Functions, not strings: a string predicate is eval'd in the page, which the page's CSP forbids.
  const waitFor = (fn: (arg: number) => unknown, arg = 0, timeout = 60_000) => page.waitForFunction(fn, arg, { timeout, polling: 100 });
  const tab = async (name: string) => {
    await page.click(`[data-testid=tab-${name}]`);
    await waitFor((i) => (document.querySelector("[data-testid=tabs]") as HTMLElement & { selectedIndex: number }).selectedIndex === i, TABS.indexOf(name));
  };
  const selectedTab = () => page.evaluate(() => (document.querySelector("[data-testid=tabs]") as HTMLElement & { selectedIndex: number }).selectedIndex);
  const dataset = (testid: string, key: string) => page.evaluate(([t, k]) => (document.querySelector(`[data-testid=${t}]`) as HTMLElement).dataset[k] ?? "", [testid, key]);
  const cardSub = async (title: string) => {
    const card = page.locator(".ms-card", { has: page.locator("div.ms-muted", { hasText: new RegExp(`^${title}$`) }) });
    return { value: (await card.locator(".ms-card-value").textContent()) ?? "", sub: (await card.locator("div.ms-muted").nth(1).textContent()) ?? "" };
  };
  const profile = async (route: string, seconds: number) => {
    const texts = await page.locator("[data-testid=route-select] vscode-option").allTextContents();
    const i = texts.findIndex((t) => t.startsWith(route + " "));
    assert.ok(i >= 0, `${route} among ${texts.join(", ")}`);
    await page.evaluate((v) => ((document.querySelector("[data-testid=route-select]") as HTMLElement & { value: string }).value = v), String(i));
    await page.fill("[data-testid=duration]", String(seconds));
    await page.click("[data-testid=profile-start]");
  };

  before(async () => {
    mkdirSync(SHOTS, { recursive: true });
    workspace = mkdtempSync(path.join(tmpdir(), "moonscope-browser-"));
    copyFileSync(path.join(ROOT, "examples/slow/app.lua"), path.join(workspace, "app.lua"));
    writeFileSync(path.join(workspace, "echo.lua"), ECHO_APP);
    daemon = spawn(process.execPath, [BIN, "dashboard", "--workspace", workspace], { stdio: ["ignore", "pipe", "pipe"] });
    url = await new Promise<string>((resolve, reject) => {
      let out = "";
      daemon.stdout!.on("data", (d) => {
        out += d;
        const m = /Dashboard: (\S+)/.exec(out);
        if (m) resolve(m[1]);
      });
      daemon.once("exit", (code) => reject(new Error(`moonscope dashboard exited with ${code}`)));
    });
    const { chromium } = await import("playwright-core");
    browser = await chromium.launch({ executablePath: CHROMIUM!, args: ["--no-sandbox", "--disable-gpu"] });
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
    page = await context.newPage();
    page.on("pageerror", (e) => pageErrors.push(`${current}: ${e.message}`));
    page.on("console", (m) => {
      if (m.type() === "error") pageErrors.push(`${current}: ${m.text()}`);
    });
  });

  after(async () => {
    await browser?.close();
    if (daemon && daemon.exitCode === null) {
      const exited = new Promise((r) => daemon.once("exit", r));
      daemon.kill("SIGINT");
      await exited;
    }
    // The dashboard stops the app it profiled before it exits.
    assert.deepEqual(processesMentioning(path.join(workspace, "app.lua")), []);
  });

  test("the page loads with the workspace's routes and an empty state that says what to do", async () => {
    await page.goto(url + "&theme=dark");
    await page.locator("[data-testid=route-select] vscode-option").first().waitFor({ state: "attached" });
    const routes = await page.locator("[data-testid=route-select] vscode-option").allTextContents();
    assert.deepEqual(routes.map((r) => r.split(" — ")[0]).sort(), ["GET /crunch", "GET /fast", "POST /echo"]);
    await shot("01-empty-dark");
  });

  test("the empty state names the controls above it and a terminal command that works", async () => {
    const empty = (await page.textContent("[data-testid=empty]")) ?? "";
    assert.match(empty, /No run yet/);
    assert.match(empty, /Pick a handler under Route above and press Profile/);
    // The command as the CLI takes it: the route after --route (without it, moonscope profile exits 2).
    assert.match(empty, /npx moonscope profile app\.lua --route "GET \/hello"/);
  });

  test("dropdowns have accessible names and greyed buttons are exposed as disabled", async () => {
    for (const name of ["Route to profile", "Run", "Workers"]) assert.equal(await page.getByRole("combobox", { name }).count(), 1, `combobox ${name}`);
    assert.equal(await page.getByRole("button", { name: "Stop" }).isDisabled(), true);
    assert.equal(await page.getByRole("button", { name: "Export SVG" }).isDisabled(), true);
    assert.equal(await page.getByRole("button", { name: "Profile", exact: true }).isDisabled(), false);
  });

  test("live frames arrive while the route is measured: charts, stage table and per-worker rows", async () => {
    // Two workers whatever the machine's cores (a measured run's default leaves one core free).
    await page.getByText("Options", { exact: true }).click();
    await page.getByTestId("opt-workers").fill("2");
    await page.getByText("Options", { exact: true }).click();
    await profile("GET /crunch", 5);
    // Greyed while the session runs, and said so.
    await waitFor(() => document.querySelector("[data-testid=profile-start]")!.getAttribute("aria-disabled") === "true");
    assert.equal(await page.getByRole("button", { name: "Profile", exact: true }).isDisabled(), true);
    await waitFor(() => Number((document.querySelector('[data-testid=frame-count]') as HTMLElement).textContent) >= 4);
    assert.equal(await count("[data-testid=stage-table] tbody tr"), 7);
    assert.ok(Number(await page.getAttribute("[data-testid=chart-rps]", "data-points")) >= 3);
    assert.match(await page.textContent("[data-testid=status]") ?? "", /measuring GET \/crunch/);
    assert.equal(await count("[data-testid=workers-table] tbody tr"), 2);
    await shot("02-live");
    // 4 frames a second: on a fixed 250 ms grid, not 250 ms after each stats reply (~3 a second).
    await waitFor(() => Number((document.querySelector("[data-testid=chart-rps]") as HTMLElement).dataset.points) >= 10);
    const [points, first, last] = await page.evaluate(() => {
      const d = (document.querySelector("[data-testid=chart-rps]") as HTMLElement).dataset;
      return [Number(d.points), Number(d.tFirst), Number(d.tLast)];
    });
    const spacing = (last - first) / (points - 1);
    assert.ok(spacing < 0.29, `live frames every ${spacing.toFixed(3)} s (${points} frames from ${first} s to ${last} s)`);
    // Axes with their unit, round ticks on both, and p50 under p99 on a log scale.
    assert.match((await page.textContent("[data-testid=overview-charts] figure:first-child figcaption")) ?? "", /^Throughput \(req\/s/);
    assert.ok((await dataset("chart-rps", "yTicks")).split(" | ").length >= 3, await dataset("chart-rps", "yTicks"));
    assert.ok((await dataset("chart-rps", "xTicks")).split(" | ").length >= 3, await dataset("chart-rps", "xTicks"));
    assert.equal(await dataset("chart-latency", "scale"), "log");
    // The legend says which req/s it shows: the last frame's and the mean so far.
    assert.match((await page.textContent("[data-testid=chart-rps-legend]")) ?? "", /^req\/s: now [\d.]+k? · mean [\d.]+k?$/);
    // The flamegraph grows while the load runs (the profilers hand in a chunk every 2 s).
    await tab("flamegraph");
    await waitFor(() => Number((document.querySelector('[data-testid=flamegraph]') as HTMLElement).dataset.nodes) > 10);
    assert.equal(await page.getAttribute("[data-testid=status]", "data-phase"), "measuring");
    await shot("02b-live-flamegraph");
  });

  test("the finished run: the tab the user chose stays; verdict, stage table with the handler on top, flamegraph drawn", async () => {
    await waitFor(() => (document.querySelector('[data-testid=status]') as HTMLElement).dataset.phase === 'run');
    // The user moved to the Flamegraph to watch it grow: the end of the run does not take them away.
    assert.equal(await selectedTab(), TABS.indexOf("flamegraph"));
    await tab("overview");
    const throughput = await cardSub("Throughput");
    assert.match(throughput.sub, /^load generator's mean over [\d.]+ s · (wrk|autocannon), 50 connections, \d+ workers?$/);
    assert.match(await page.textContent("[data-testid=verdict]") ?? "", /bottleneck is the Lua handler/);
    // 50 connections queue behind two workers: the client's latency is many times the server's, and a line says why.
    assert.match((await page.textContent("[data-testid=latency-note]")) ?? "", /^ ?The client's p50 is \d+× the server's: .*queueing behind 50 connections/);
    const handlerShare = await page.textContent("[data-testid=stage-table] tr[data-stage=handler] td:nth-of-type(4)");
    assert.ok(parseFloat(handlerShare ?? "0") > 50, `handler share ${handlerShare}`);
    await shot("03-run");
    // One worker's stage timings (the run stores them per worker too).
    const selectWorker = (v: string) =>
      page.evaluate((x) => {
        const sel = document.querySelector("[data-testid=worker-select]") as HTMLElement & { value: string };
        sel.value = x;
        sel.dispatchEvent(new Event("change"));
      }, v);
    await selectWorker("w1");
    assert.match((await page.textContent("[data-testid=stage-table] caption")) ?? "", /^Stages, worker 1 \(\d+ requests, server p99/);
    await selectWorker("merged");
    assert.match((await page.textContent("[data-testid=stage-table] caption")) ?? "", /^Stages, all workers/);
    await tab("flamegraph");
    await waitFor(() => Number((document.querySelector('[data-testid=flamegraph]') as HTMLElement).dataset.nodes) > 10);
    await shot("04-flamegraph");
  });

  test("the run keeps its timeline; brushing the throughput chart shows that range's stages, flamegraph and hot spots", async () => {
    // run.json: chunks of about 2 s that cover the measurement and add up to the run's requests.
    const runsDir = path.join(workspace, ".moonscope", "runs");
    const run = JSON.parse(readFileSync(path.join(runsDir, readdirSync(runsDir).sort()[0], "run.json"), "utf8"));
    const chunks = run.profile.timeline as { startMs: number; endMs: number; requests: number; tree: unknown }[];
    assert.ok(chunks.length >= 2, `${chunks.length} chunks`);
    assert.equal(chunks.reduce((n, c) => n + c.requests, 0), run.server.requests);
    chunks.forEach((c, i) => i > 0 && assert.equal(c.startMs, chunks[i - 1].endMs));
    await tab("overview");
    const wholeCaption = (await page.textContent("[data-testid=stage-table] caption")) ?? "";
    const chart = (await page.getByTestId("chart-rps").boundingBox())!;
    await page.mouse.move(chart.x + chart.width * 0.2, chart.y + chart.height / 2);
    await page.mouse.down();
    await page.mouse.move(chart.x + chart.width * 0.6, chart.y + chart.height / 2, { steps: 4 });
    await page.mouse.up();
    await page.getByTestId("range-bar").waitFor({ state: "visible" });
    assert.match((await page.getByTestId("range-bar").textContent()) ?? "", /^Showing [\d.]+–[\d.]+ s of the run \(\d+ requests, all workers; chunks of about 2 s\)/);
    assert.match((await page.textContent("[data-testid=stage-table] caption")) ?? "", /^Stages, [\d.]+–[\d.]+ s \(\d+ requests, all workers; means only\)$/);
    await tab("flamegraph");
    await waitFor(() => Number((document.querySelector("[data-testid=flamegraph]") as HTMLElement).dataset.nodes) > 5);
    const seconds = (t: string) => Number(/^([\d.]+) (s|ms) of samples/.exec(t)![1]) / (/^[\d.]+ ms/.test(t) ? 1000 : 1);
    const rangeSampled = seconds((await page.textContent("[data-testid=flame-info]")) ?? "");
    await tab("hotspots");
    assert.ok((await page.locator("[data-testid=hotspots] tbody tr[data-kind]").count()) >= 2);
    await shot("03b-brushed-range");
    await page.getByRole("button", { name: "show the whole run" }).click();
    await page.getByTestId("range-bar").waitFor({ state: "hidden" });
    assert.equal(await page.textContent("[data-testid=stage-table] caption"), wholeCaption);
    await tab("flamegraph");
    assert.ok(rangeSampled < seconds((await page.textContent("[data-testid=flame-info]")) ?? ""), "the range has fewer samples than the run");
    // From the keyboard: an arrow picks a range, Escape goes back to the whole run.
    await tab("overview");
    await page.getByTestId("chart-rps").focus();
    await page.keyboard.press("ArrowRight");
    await page.getByTestId("range-bar").waitFor({ state: "visible" });
    await page.keyboard.press("Escape");
    await page.getByTestId("range-bar").waitFor({ state: "hidden" });
    await tab("flamegraph");
  });

  test("the flamegraph's header gives the samples and their intervals", async () => {
    const info = (await page.textContent("[data-testid=flame-info]")) ?? "";
    const ms = (n: number) => n.toFixed(2).replace(".", "\\.");
    assert.match(info, new RegExp(`V8 sampled every ${ms(PROFILE_DEFAULTS.cpuIntervalUs / 1000)} ms \\(≈[\\d,]+ samples\\)`));
    assert.match(info, new RegExp(`Lua stacks every ${ms(PROFILE_DEFAULTS.luaIntervalMs)} ms \\([\\d,]+ samples\\)`));
    assert.match(info, /shares below are of busy CPU, as in Hot spots/);
  });

  test("search highlights the matching frames and reports their share of busy CPU, as the hot spots do; labels stay readable", async () => {
    const before = await highlightPixels(page);
    await page.fill("[data-testid=flame-search]", "fib");
    await waitFor(() => /match · [\d.]+% of busy CPU/.test((document.querySelector('[data-testid=flame-matches]') as HTMLElement).textContent));
    const share = Number(await page.getAttribute("[data-testid=flame-matches]", "data-share"));
    assert.ok(share > 0.3 && share <= 1, `fib's share ${share}`);
    const after = await highlightPixels(page);
    assert.ok(after > before + 1000, `highlighted pixels ${before} → ${after}`);
    // Dimmed frames keep labels that read (WCAG AA: 4.5:1), not white on a faded pale bar.
    assert.ok(Number(await dataset("flamegraph", "minContrast")) >= 4.5, `label contrast ${await dataset("flamegraph", "minContrast")}`);
    await shot("05-search");
    // One definition of a share: fib's in the flamegraph is its Total % in the hot spots.
    const flameShare = /· ([\d.]+%) of busy CPU/.exec((await page.textContent("[data-testid=flame-matches]")) ?? "")![1];
    await tab("hotspots");
    const row = page.locator("[data-testid=hotspots] tbody tr", { has: page.locator("td:first-child", { hasText: /^fib$/ }) });
    assert.equal(await row.locator("td:nth-child(6)").textContent(), flameShare);
    await tab("flamegraph");
    // Next and previous step through the matches, widest first, zooming to each one's caller.
    await page.getByRole("button", { name: "Next match" }).click();
    await waitFor(() => /^match 1 of \d+ · /.test((document.querySelector("[data-testid=flame-matches]") as HTMLElement).textContent ?? ""));
    assert.match((await page.textContent("[data-testid=flame-detail]")) ?? "", /^fib/);
    const firstZoom = await dataset("flamegraph", "zoom");
    assert.notEqual(firstZoom, "");
    await page.getByRole("button", { name: "Next match" }).click();
    await waitFor(() => /^match 2 of /.test((document.querySelector("[data-testid=flame-matches]") as HTMLElement).textContent ?? ""));
    await page.getByRole("button", { name: "Previous match" }).click();
    await waitFor(() => /^match 1 of /.test((document.querySelector("[data-testid=flame-matches]") as HTMLElement).textContent ?? ""));
    assert.equal(await dataset("flamegraph", "zoom"), firstZoom);
    await page.click("[data-testid=flame-crumbs] button >> text=all");
    await page.fill("[data-testid=flame-search]", "/no_such_fn$/");
    await waitFor(() => (document.querySelector('[data-testid=flame-matches]') as HTMLElement).textContent === 'no match');
    await page.fill("[data-testid=flame-search]", "");
  });

  test("a Lua function's hottest lines: in the frame's details, its tooltip and its hot-spot row", async () => {
    await tab("flamegraph");
    await page.fill("[data-testid=flame-search]", "fib");
    await waitFor(() => /match · [\d.]+% of busy CPU/.test((document.querySelector("[data-testid=flame-matches]") as HTMLElement).textContent ?? ""));
    await page.getByRole("button", { name: "Next match" }).click();
    await waitFor(() => /^fib/.test((document.querySelector("[data-testid=flame-detail]") as HTMLElement).textContent ?? ""));
    // fib's lines: 6 (the recursive sum) and 4 (its body before the first call) carry its time.
    const detail = (await page.textContent("[data-testid=flame-detail-lines]")) ?? "";
    assert.match(detail, /^hottest lines \(whole run\): line (4|6): [\d.]+% self, [\d.]+% total/, detail);
    assert.match(detail, /line 6: [\d.]+% self, [\d.]+% total · return fib\(n - 1\) \+ fib\(n - 2\)/);
    assert.match(detail, /line 4: [\d.]+% self, [\d.]+% total · in fib before its first call/);
    // The tooltip of a fib frame lists them too: find one by hovering down the middle of the graph.
    const box = (await page.locator("[data-testid=flamegraph]").boundingBox())!;
    let tip = "";
    for (let y = box.y + 4; y < box.y + box.height && !/^fib/.test(tip); y += 6) {
      await page.mouse.move(box.x + box.width * 0.5, y);
      const shown = page.locator("[data-testid=flame-tooltip]:visible");
      tip = (await shown.count()) ? ((await shown.first().textContent()) ?? "") : "";
    }
    assert.match(tip, /^fib.*hottest lines \(whole run\):line (4|6): /, tip);
    await page.mouse.move(box.x - 20, box.y - 20);
    await page.click("[data-testid=flame-crumbs] button >> text=all");
    await page.fill("[data-testid=flame-search]", "");
    await tab("hotspots");
    const row = page.locator("[data-testid=hotspots] tbody tr", { has: page.locator("td:first-child", { hasText: /^fib$/ }) });
    const lines = row.locator("[data-testid=hotspot-lines]");
    assert.match((await lines.textContent()) ?? "", /^lines (4|6): [\d.]+%, (4|6): [\d.]+%/);
    assert.match((await lines.getAttribute("title")) ?? "", /line 6: [\d.]+% self, [\d.]+% total · return fib/);
    // A function that is not Lua has no lines.
    assert.equal(await page.locator("[data-testid=hotspots] tbody tr[data-kind=server-core] [data-testid=hotspot-lines]").count(), 0);
    await tab("flamegraph");
  });

  test("click zooms into a frame; the breadcrumb zooms back out; the keyboard works too", async () => {
    const canvas = page.locator("[data-testid=flamegraph]");
    // Row 1 (18 px rows, root at the top) starts with the widest stage root: [handler] here.
    await canvas.click({ position: { x: 5, y: 27 } });
    await waitFor(() => (document.querySelector('[data-testid=flamegraph]') as HTMLElement).dataset.zoom === '[handler]');
    assert.equal(await count("[data-testid=flame-crumbs] button"), 2);
    await shot("06-zoomed");
    await page.click("[data-testid=flame-crumbs] button >> text=all");
    await waitFor(() => (document.querySelector('[data-testid=flamegraph]') as HTMLElement).dataset.zoom === '');
    await canvas.focus();
    await page.keyboard.press("ArrowDown");
    await page.keyboard.press("Enter");
    await waitFor(() => (document.querySelector('[data-testid=flamegraph]') as HTMLElement).dataset.zoom !== '');
    await page.keyboard.press("Escape");
    await waitFor(() => (document.querySelector('[data-testid=flamegraph]') as HTMLElement).dataset.zoom === '');
  });

  test("Ctrl+wheel zooms around the pointer, a drag pans, the overview strip shows where the view is", async () => {
    const canvas = page.locator("[data-testid=flamegraph]");
    const box = (await canvas.boundingBox())!;
    assert.equal(await dataset("flamegraph", "view"), "0.0000-1.0000");
    assert.equal(await page.locator("[data-testid=flamegraph-overview]").isVisible(), false);
    await page.mouse.move(box.x + box.width * 0.25, box.y + 30);
    await page.keyboard.down("Control");
    await page.mouse.wheel(0, -600);
    await page.keyboard.up("Control");
    await waitFor(() => (document.querySelector("[data-testid=flamegraph]") as HTMLElement).dataset.view !== "0.0000-1.0000");
    const [x0, x1] = (await dataset("flamegraph", "view")).split("-").map(Number);
    assert.ok(x1 - x0 < 0.5 && x0 < 0.25 && x1 > 0.25, `zoomed around a quarter across: ${x0}-${x1}`);
    await page.locator("[data-testid=flamegraph-overview]").waitFor({ state: "visible" });
    await shot("06c-wheel-zoom");
    await page.evaluate(() => ((window as unknown as { zoomedView: string }).zoomedView = (document.querySelector("[data-testid=flamegraph]") as HTMLElement).dataset.view ?? ""));
    // Drag to the left: the view moves right.
    await page.mouse.move(box.x + box.width * 0.5, box.y + 30);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.3, box.y + 30, { steps: 5 });
    await page.mouse.up();
    await waitFor(() => (document.querySelector("[data-testid=flamegraph]") as HTMLElement).dataset.view !== (window as unknown as { zoomedView: string }).zoomedView);
    const [p0, p1] = (await dataset("flamegraph", "view")).split("-").map(Number);
    assert.ok(p0 > x0 && Math.abs(p1 - p0 - (x1 - x0)) < 1e-3, `panned ${x0}-${x1} → ${p0}-${p1}`);
    // A drag is not a click: no zoom into a frame happened.
    assert.equal(await dataset("flamegraph", "zoom"), "");
    await canvas.focus();
    await page.keyboard.press("Escape");
    await waitFor(() => (document.querySelector("[data-testid=flamegraph]") as HTMLElement).dataset.view === "0.0000-1.0000");
    await page.locator("[data-testid=flamegraph-overview]").waitFor({ state: "hidden" });
  });

  test("the sandwich view shows a function's callers and callees", async () => {
    await page.fill("[data-testid=flame-search]", "");
    // Select churn_numbers with the keyboard: all → [handler] → runHandler → call → api.crunch.get → churn_numbers.
    const canvas = page.locator("[data-testid=flamegraph]");
    await canvas.focus();
    for (let i = 0; i < 2; i++) await page.keyboard.press("ArrowDown");
    // Moonscope's own server code is not a file of the workspace: no link to a file that is not there.
    assert.match((await page.textContent("[data-testid=flame-detail]")) ?? "", /^runHandler/);
    assert.equal(await page.getByTestId("flame-open").isDisabled(), true);
    assert.match((await page.getByTestId("flame-open").textContent()) ?? "", /not in the workspace/);
    for (let i = 0; i < 3; i++) await page.keyboard.press("ArrowDown");
    assert.match((await page.textContent("[data-testid=flame-detail]")) ?? "", /^churn_numbers/);
    // A Lua frame opens its file next to the app.
    assert.equal(await page.getByTestId("flame-open").isDisabled(), false);
    assert.equal(await page.getByTestId("flame-open").getAttribute("title"), `Open vscode://file${workspace}/app.lua:9`);
    await page.click("[data-testid=flame-sandwich]");
    await page.locator("[data-testid=sandwich]").waitFor({ state: "visible" });
    assert.match((await page.textContent("[data-testid=sandwich] h3")) ?? "", /Sandwich: churn_numbers \(app\.lua:9\)/);
    const graphs = page.locator("[data-testid=sandwich] canvas");
    assert.equal(await graphs.count(), 2);
    for (let i = 0; i < 2; i++) assert.ok(Number(await graphs.nth(i).getAttribute("data-nodes")) >= 2);
    await shot("06b-sandwich");
    await page.click("[data-testid=sandwich-close]");
    await page.locator("[data-testid=sandwich]").waitFor({ state: "hidden" });
  });

  test("the hot-spot table sorts by self and by total, either way", async () => {
    await tab("hotspots");
    const col = async (n: number) => page.$$eval(`[data-testid=hotspots] tbody tr td:nth-child(${n})`, (tds) => tds.map((td) => Number((td as HTMLElement).dataset.value)));
    const sortedDesc = (xs: number[]) => xs.every((x, i) => i === 0 || xs[i - 1] >= x);
    const sortedAsc = (xs: number[]) => xs.every((x, i) => i === 0 || xs[i - 1] <= x);
    assert.equal(await page.getAttribute("[data-testid=hotspots]", "data-sort"), "self-desc");
    const self = await col(3);
    assert.ok(self.length > 3 && sortedDesc(self));
    assert.match(await page.textContent("[data-testid=hotspots] tbody tr:first-child td:first-child") ?? "", /fib|churn_numbers/);
    await page.click("[data-testid=hotspots] button[data-sort=total]");
    assert.equal(await page.getAttribute("[data-testid=hotspots]", "data-sort"), "total-desc");
    assert.ok(sortedDesc(await col(5)));
    await page.click("[data-testid=hotspots] button[data-sort=total]");
    assert.equal(await page.getAttribute("[data-testid=hotspots]", "data-sort"), "total-asc");
    assert.ok(sortedAsc(await col(5)));
    assert.equal(await page.getAttribute("[data-testid=hotspots] thead th:nth-child(5)", "aria-sort"), "ascending");
    await shot("07-hotspots");
  });

  test("the hot spots filter by kind: Lua only", async () => {
    const kinds = () => page.$$eval("[data-testid=hotspots] tbody tr", (trs) => trs.map((t) => t.getAttribute("data-kind")));
    assert.ok(new Set(await kinds()).size > 2);
    await page.getByRole("combobox", { name: "Show kind" }).selectOption({ label: "Lua only" });
    const lua = await kinds();
    assert.ok(lua.length >= 2 && lua.every((k) => k === "lua" || k === "lua-c"), lua.join(", "));
    assert.match((await page.textContent("[data-testid=hotspots-count]")) ?? "", /^\d+ of \d+ functions/);
    await page.getByRole("combobox", { name: "Show kind" }).selectOption({ label: "All kinds" });
  });

  test("the call tree expands top-down and bottom-up", async () => {
    await tab("calltree");
    const grid = page.getByRole("treegrid", { name: "Call tree" });
    await grid.locator("tbody tr").first().waitFor();
    // The widest stage root opens by itself; its first callee opens from the keyboard.
    const first = grid.locator("tbody tr").first();
    assert.match((await first.textContent()) ?? "", /^.?\[handler\]/);
    assert.equal(await first.getAttribute("aria-expanded"), "true");
    const child = grid.locator("tbody tr[aria-level='2']").first();
    await child.focus();
    await page.keyboard.press("ArrowRight");
    assert.equal(await child.getAttribute("aria-expanded"), "true");
    assert.ok((await grid.locator("tbody tr[aria-level='3']").count()) >= 1);
    await page.keyboard.press("ArrowLeft");
    assert.equal(await grid.locator("tbody tr[aria-level='3']").count(), 0);
    // Bottom-up: the function with the most self time first, its callers beneath.
    await page.getByRole("button", { name: "Bottom-up" }).click();
    const top = grid.locator("tbody tr").first();
    assert.match((await top.textContent()) ?? "", /^.?fib/);
    assert.equal(await top.getAttribute("aria-expanded"), "true");
    const callers = await grid.locator("tbody tr[aria-level='2']").allTextContents();
    assert.ok(callers.some((c) => /fib|churn_numbers/.test(c)), callers.join(" | "));
    await shot("07b-calltree");
    await page.getByRole("button", { name: "Top-down" }).click();
    await tab("hotspots");
  });

  test("Export SVG downloads a well-formed SVG flamegraph", async () => {
    const [download] = await Promise.all([page.waitForEvent("download"), page.click("[data-testid=export-svg]")]);
    const file = await download.path();
    const svg = readFileSync(file, "utf8");
    assert.match(svg, /^(<\?xml[^>]*>\s*)?<svg[\s>]/);
    // Parsed in a blank page: the SVG's own script would trip the dashboard's CSP.
    const blank = await page.context().newPage();
    const check = await blank.evaluate((text) => {
      const doc = new DOMParser().parseFromString(text, "image/svg+xml");
      return { error: doc.querySelector("parsererror")?.textContent ?? null, root: doc.documentElement.nodeName, rects: doc.querySelectorAll("rect").length };
    }, svg);
    await blank.close();
    assert.equal(check.error, null);
    assert.equal(check.root, "svg");
    assert.ok(check.rects > 10);
  });

  test("light and dark themes both render, with their own colours", async () => {
    await tab("flamegraph");
    const bg = () => page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    const dark = await bg();
    await shot("08-theme-dark");
    await page.click("[data-testid=theme-toggle]");
    await waitFor(() => document.body.classList.contains('vscode-light'));
    const light = await bg();
    assert.notEqual(dark, light);
    assert.equal(light, "rgb(255, 255, 255)");
    await waitFor(() => Number((document.querySelector('[data-testid=flamegraph]') as HTMLElement).dataset.nodes) > 10);
    await shot("09-theme-light");
  });

  test("with one run of the route, Compare has no default pair and says why", async () => {
    await tab("compare");
    await page.locator("[data-testid=compare-none]").waitFor();
    assert.equal(await page.textContent("[data-testid=compare-none]"), "Only one run of GET /crunch: profile it again, or use Compare with last run.");
    assert.equal(await count("[data-testid=compare-client]"), 0);
    assert.equal(await page.getAttribute("[data-testid=compare-last]", "disabled"), null);
    await shot("10a-compare-one-run");
  });

  test("two runs of a route: Compare picks them by itself, puts the verdict and what differs above the tables, and the differential flamegraph has its own legend", async () => {
    await tab("overview");
    await profile("GET /crunch", 2);
    await waitFor(() => (document.querySelector('[data-testid=status]') as HTMLElement).dataset.phase === 'measuring');
    await waitFor(() => (document.querySelector('[data-testid=status]') as HTMLElement).dataset.phase === 'run' && document.querySelectorAll('[data-testid=run-select] vscode-option').length === 2);
    const ids = await page.$$eval("[data-testid=run-select] vscode-option", (os) => os.map((o) => o.getAttribute("value")!));
    // Nobody picks: opening the tab compares the newest run with the one before it.
    await tab("compare");
    await page.locator("[data-testid=compare-stages] tbody tr").first().waitFor();
    const picked = await page.evaluate(() => [
      (document.querySelector("[data-testid=compare-before]") as HTMLElement & { value: string }).value,
      (document.querySelector("[data-testid=compare-after]") as HTMLElement & { value: string }).value,
    ]);
    assert.deepEqual(picked, [ids[1], ids[0]]);
    assert.match((await page.textContent("[data-testid=compare] h2")) ?? "", new RegExp(`${ids[1]} → ${ids[0]}`));
    assert.match((await page.textContent("[data-testid=compare-headline]")) ?? "", /^(no change detected|slower|faster|mixed)/);
    assert.match((await page.textContent("[data-testid=compare-method]")) ?? "", /one round per side, measured at different times/);
    const differences = await page.$$eval("[data-testid=compare-differences] li", (lis) => lis.map((li) => li.textContent));
    assert.ok(differences.includes("duration per round: 5 s → 2 s"), differences.join(" | "));
    // Above the tables, where nobody misses them.
    const above = await page.evaluate(() => {
      const table = document.querySelector("[data-testid=compare-client]")!;
      return ["compare-headline", "compare-method", "compare-differences"].map((id) => !!(document.querySelector(`[data-testid=${id}]`)!.compareDocumentPosition(table) & Node.DOCUMENT_POSITION_FOLLOWING));
    });
    assert.deepEqual(above, [true, true, true]);
    assert.equal(await count("[data-testid=compare-stages] tbody tr"), 7);
    assert.deepEqual(await page.$$eval("[data-testid=compare-client] tbody th", (ths) => ths.map((t) => t.textContent)), ["req/s", "CPU/req", "p50", "p90", "p99", "p999"]);
    const cells = await page.$$eval("[data-testid=compare] tbody tr[data-change]", (trs) => trs.map((t) => [t.getAttribute("data-change"), t.lastElementChild!.textContent, t.lastElementChild!.getAttribute("title")]));
    for (const [change, text, why] of cells) {
      if (change === "no change") assert.match(text ?? "", /^no change \(±\d+%\)$/);
      else assert.ok(change === text && (change === "slower" || change === "faster"), `${change}: ${text}`);
      assert.ok((why ?? "").length > 0, "the why is the cell's tooltip");
    }
    const legend = await page.$$eval("[data-testid=compare] [data-testid=flame-legend] .ms-legend-item", (items) => items.map((i) => i.textContent));
    assert.deepEqual(legend, ["share grew", "share shrank", "unchanged or new"]);
    await waitFor(() => Number((document.querySelector('[data-testid=compare-flamegraph]') as HTMLElement).dataset.nodes) > 10);
    await shot("10-compare");
  });

  test("the same run as before and after is refused with a reason, not compared", async () => {
    const id = await page.evaluate(() => (document.querySelector("[data-testid=compare-after]") as HTMLElement & { value: string }).value);
    await page.evaluate((v) => {
      (document.querySelector("[data-testid=compare-before]") as HTMLElement & { value: string }).value = v;
    }, id);
    await page.click("[data-testid=compare-go]");
    await page.locator("[data-testid=compare-refused]").waitFor();
    assert.match((await page.textContent("[data-testid=compare-refused]")) ?? "", new RegExp(`^Before and after are the same run \\(${id}\\); a run compared with itself shows no change by construction`));
    assert.equal(await count("[data-testid=compare-client]"), 0);
    await shot("10b-compare-refused");
  });

  test("Compare with last run runs the last run's code and the app now in interleaved rounds, live, then shows their comparison", async () => {
    // Every status line while it runs, to see both sides go by.
    await page.evaluate(() => {
      const el = document.querySelector("[data-testid=status]") as HTMLElement;
      const seen: string[] = [];
      (window as unknown as { statusSeen: string[] }).statusSeen = seen;
      new MutationObserver(() => seen.push(el.textContent ?? "")).observe(el, { childList: true, characterData: true, subtree: true });
    });
    await page.fill("[data-testid=compare-rounds]", "1");
    await page.fill("[data-testid=compare-seconds]", "1");
    await page.click("[data-testid=compare-last]");
    await waitFor(() => (document.querySelector('[data-testid=status]') as HTMLElement).dataset.phase === 'measuring');
    await waitFor(() => /-B$/.test((document.querySelector("[data-testid=compare-after]") as HTMLElement & { value: string }).value) && !!document.querySelector("[data-testid=compare-headline]") && (document.querySelector("[data-testid=tabs]") as HTMLElement & { selectedIndex: number }).selectedIndex === 4);
    const [before, after] = await page.evaluate(() => [
      (document.querySelector("[data-testid=compare-before]") as HTMLElement & { value: string }).value,
      (document.querySelector("[data-testid=compare-after]") as HTMLElement & { value: string }).value,
    ]);
    assert.equal(before, after.replace(/-B$/, "-A"));
    assert.match((await page.textContent("[data-testid=compare-method]")) ?? "", /1 interleaved round per side/);
    const seen = await page.evaluate(() => (window as unknown as { statusSeen: string[] }).statusSeen);
    assert.ok(seen.some((t) => /before: the last run's code/.test(t)) && seen.some((t) => /after: the app now/.test(t)), seen.join("\n"));
    // The live charts' clock went on from one side's round to the other's.
    assert.ok(Number(await page.getAttribute("[data-testid=chart-rps]", "data-t-last")) > 1);
    await shot("10c-compare-last-run");
  });

  test("a failed start (a Lua syntax error) says why and leaves nothing of the previous run under its name", async () => {
    await tab("overview");
    assert.ok(await page.locator(".ms-card").count(), "a run's cards are shown before");
    writeFileSync(path.join(workspace, "echo.lua"), "function api.echo.post(ctx\n  return 1\n");
    try {
      await profile("POST /echo", 1);
      await waitFor(() => (document.querySelector("[data-testid=status]") as HTMLElement).dataset.phase === "failed");
    } finally {
      writeFileSync(path.join(workspace, "echo.lua"), ECHO_APP);
    }
    assert.equal(await page.textContent("[data-testid=status]"), "POST /echo: failed");
    assert.match((await page.getByTestId("notice").textContent()) ?? "", /^MS_ERR_\w+: .*echo\.lua/);
    assert.match((await page.textContent("[data-testid=failed]")) ?? "", /POST \/echo was not measured/);
    assert.equal(await page.locator(".ms-card").count(), 0);
    assert.equal(await page.textContent("[data-testid=verdict]"), "");
    assert.equal(await page.locator("[data-testid=workers-table]").count(), 0);
    assert.equal(await page.getByRole("button", { name: "Export SVG" }).isDisabled(), true);
    await tab("flamegraph");
    assert.match((await page.locator(".ms-flame > .ms-empty").first().textContent()) ?? "", /POST \/echo failed/);
    await tab("overview");
    await shot("12-failed-start");
  });

  test("start options reach the load: workers, connections, warm-up, query string, headers and body", async () => {
    await page.getByText("Options", { exact: true }).click();
    await page.getByTestId("opt-workers").fill("1");
    await page.getByTestId("opt-connections").fill("3");
    await page.getByTestId("opt-warmupMs").fill("0.5");
    await page.getByRole("textbox", { name: "Query string" }).fill("?key=q1");
    await page.getByRole("textbox", { name: "Headers" }).fill("X-Token: t1");
    await page.getByRole("textbox", { name: "Body" }).fill("hello");
    await profile("POST /echo", 1);
    await waitFor(() => (document.querySelector("[data-testid=status]") as HTMLElement).dataset.phase === "measuring");
    assert.match((await page.textContent("[data-testid=status]")) ?? "", /POST \/echo\?key=q1/);
    await waitFor(() => (document.querySelector("[data-testid=status]") as HTMLElement).dataset.phase === "run");
    // Every request carried the query, the header and the body: the route answered 200 to all.
    const errors = await cardSub("Errors");
    assert.deepEqual(errors, { value: "0", sub: "0 non-2xx" });
    assert.match((await cardSub("Server p50 / p99")).sub, /^[1-9]\d* requests$/);
    assert.match((await cardSub("Throughput")).sub, /, 3 connections, 1 worker$/);
    assert.equal(await page.locator("[data-testid=workers-table] tbody tr").count(), 1);
    // A header line without a colon is refused before anything starts.
    await page.getByRole("textbox", { name: "Headers" }).fill("X-Token t1");
    await page.click("[data-testid=profile-start]");
    assert.match((await page.getByTestId("notice").textContent()) ?? "", /^Headers take "Name: value"/);
    await page.getByRole("textbox", { name: "Headers" }).fill("X-Token: t1");
  });

  test("load from elsewhere: the page says where to send it, and what arrives there is the run", async () => {
    for (const box of ["Query string", "Headers", "Body"]) await page.getByRole("textbox", { name: box }).fill("");
    await page.getByRole("combobox", { name: "Load", exact: true }).selectOption("external");
    await profile("GET /fast", 2);
    await waitFor(() => /send the load to http:\/\/\S+/.test((document.querySelector("[data-testid=status]") as HTMLElement).textContent ?? ""));
    const url = /send the load to (http:\/\/\S+)/.exec((await page.textContent("[data-testid=status]")) ?? "")![1];
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/fast$/);
    // A sender of our own, from the test: it sends until the run is written.
    let sent = 0;
    let done = false;
    const sender = (async () => {
      while (!done) {
        try {
          const r = await fetch(url);
          await r.arrayBuffer();
          if (r.ok) sent++;
        } catch {
          /* the app stops at the end of the run */
        }
      }
    })();
    await waitFor(() => (document.querySelector("[data-testid=status]") as HTMLElement).dataset.phase === "run");
    done = true;
    await sender;
    const server = await cardSub("Server p50 / p99");
    const served = Number(/^(\d+) requests$/.exec(server.sub)?.[1]);
    assert.ok(served > 0 && served <= sent, `the run counted ${served} requests of the ${sent} sent`);
    assert.deepEqual(await cardSub("Errors"), { value: "0", sub: "0 non-2xx" });
    await page.getByRole("combobox", { name: "Load", exact: true }).selectOption("auto");
    // A fixed rate with load from elsewhere is refused before anything starts.
    await page.getByRole("combobox", { name: "Load", exact: true }).selectOption("external");
    await page.getByTestId("opt-rate").fill("100");
    await page.click("[data-testid=profile-start]");
    assert.match((await page.getByTestId("notice").textContent()) ?? "", /^A fixed Rate needs Moonscope's own generator/);
    await page.getByTestId("opt-rate").fill("0");
    await page.getByRole("combobox", { name: "Load", exact: true }).selectOption("auto");
  });

  test("a 100k-node profile opens and draws; the draw time is reported", async () => {
    const runsDir = path.join(workspace, ".moonscope", "runs");
    const real = readdirSync(runsDir).sort()[0];
    const base = JSON.parse(readFileSync(path.join(runsDir, real, "run.json"), "utf8"));
    const tree = bigTree(100_000);
    const id = "2000-01-01T00-00-00-GET-synthetic";
    mkdirSync(path.join(runsDir, id), { recursive: true });
    writeFileSync(path.join(runsDir, id, "run.json"), JSON.stringify({ ...base, id, profile: { ...base.profile, merged: storeTree(tree), perWorker: [] } }));
    await page.reload();
    await page.locator(`[data-testid=run-select] vscode-option[value="${id}"]`).waitFor({ state: "attached" });
    await page.evaluate((v) => {
      const s = document.querySelector("[data-testid=run-select]") as HTMLElement & { value: string };
      s.value = v;
      s.dispatchEvent(new Event("change"));
    }, id);
    await tab("flamegraph");
    await waitFor(() => Number((document.querySelector('[data-testid=flamegraph]') as HTMLElement).dataset.nodes) > 100);
    // A stored run opened afresh draws its timeline on the charts (this one's, copied from a 5 s run).
    await waitFor(() => Number((document.querySelector("[data-testid=chart-rps]") as HTMLElement).dataset.points) >= 4);
    const ms = Number(await page.getAttribute("[data-testid=flamegraph]", "data-draw-ms"));
    console.log(`# 100k-node tree (${nodeCount(tree)} nodes): last draw ${ms} ms (npm run bench measures it properly)`);
    await shot("11-large-tree");
    assert.deepEqual(pageErrors, []);
  });

  test("a run whose timeline is damaged is left out with the field named, and the page goes on", async () => {
    const runsDir = path.join(workspace, ".moonscope", "runs");
    const real = readdirSync(runsDir).sort().find((d) => !d.startsWith("2000-"))!;
    const base = JSON.parse(readFileSync(path.join(runsDir, real, "run.json"), "utf8"));
    const id = "2000-01-01T00-00-01-GET-damaged";
    mkdirSync(path.join(runsDir, id), { recursive: true });
    writeFileSync(path.join(runsDir, id, "run.json"), JSON.stringify({ ...base, id, profile: { ...base.profile, timeline: [{ ...base.profile.timeline[0], startMs: "soon" }] } }));
    await page.reload();
    // The daemon reads it when it lists the runs: it is left out, and the notice says why.
    await waitFor(() => /profile\.timeline\[0\]\.startMs is not a number/.test(document.querySelector("[data-testid=notice]")?.textContent ?? ""));
    assert.match((await page.getByTestId("notice").textContent()) ?? "", new RegExp(`could not be read and is left out: ${id} \\(`));
    assert.equal(await page.locator(`[data-testid=run-select] vscode-option[value="${id}"]`).count(), 0);
    assert.ok((await page.locator("[data-testid=run-select] vscode-option").count()) > 1);
    assert.deepEqual(pageErrors, []);
  });
});

/** Canvas pixels in the search highlight colour. */
function highlightPixels(page: Page): Promise<number> {
  return page.evaluate(() => {
    const c = document.querySelector("[data-testid=flamegraph]") as HTMLCanvasElement;
    const probe = document.createElement("span");
    probe.style.color = "var(--ms-highlight)";
    document.body.appendChild(probe);
    const m = /(\d+), (\d+), (\d+)/.exec(getComputedStyle(probe).color)!;
    probe.remove();
    const [r, g, b] = [Number(m[1]), Number(m[2]), Number(m[3])];
    const data = c.getContext("2d")!.getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 0; i < data.length; i += 4) if (Math.abs(data[i] - r) < 3 && Math.abs(data[i + 1] - g) < 3 && Math.abs(data[i + 2] - b) < 3) n++;
    return n;
  });
}
