// The panel's speed in headless Chromium (the standalone dashboard's bundle, served by the daemon's
// own stream server in this process): a 100k-node profile's first draw and its zooms, then a long
// live session replayed fast (4 frames a second for ten minutes' worth, and a growing tree every
// 2 s of session time) with the page's heap and DOM size sampled after forced GCs.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { nodeCount, pruneTree } from "../profile/calltree";
import type { RunFile } from "../profile/run";
import { storeTree } from "../profile/tree-store";
import { WS_PROTOCOL_VERSION, type ToClient } from "../protocol/ws";
import { summarize } from "../daemon/runs/summary";
import { findPanelAssets } from "../daemon/ws/dashboard";
import { startStreamServer } from "../daemon/ws/server";
import { CHROMIUM } from "./chromium";
import { bigTree } from "./svg-bench";
import { ROOT } from "./targets";
import { median } from "../profile/median";



export async function panelBench(o: { liveSeconds: number; nodes: number }): Promise<Record<string, unknown>> {
  if (!CHROMIUM) {
    console.log("\n(skipping the panel bench: chromium is not installed; bash scripts/install-chromium.sh)");
    return {};
  }
  console.log(`\npanel: ${o.nodes}-node profile, then ${o.liveSeconds} s replaying a 10-minute live session`);
  // A real run to build on, its tree replaced by the large synthetic one.
  const dir = mkdtempSync(path.join(tmpdir(), "moonscope-panel-bench-"));
  const r = spawnSync(process.execPath, [path.join(ROOT, "bin", "moonscope.js"), "profile", path.join(ROOT, "examples/hello/app.lua"), "--route", "GET /hello", "--duration", "1s", "--warmup", "0s", "--connections", "2", "--workers", "1", "--out", dir], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`profile failed: ${r.stderr}`);
  const base = JSON.parse(readFileSync(path.join(dir, "run.json"), "utf8")) as RunFile;
  const tree = bigTree(o.nodes);
  const runDir = path.join(dir, "big");
  mkdirSync(runDir);
  const run: RunFile = { ...base, id: "big", profile: { ...base.profile, merged: storeTree(tree), perWorker: [] } };
  writeFileSync(path.join(runDir, "run.json"), JSON.stringify(run));
  const summary = summarize(run, runDir);
  const server = await startStreamServer({
    hello: () => ({ type: "hello", protocolVersion: WS_PROTOCOL_VERSION, daemon: "bench", sessions: [], runs: [summary] }),
    listRuns: () => [summary],
    assetsDir: findPanelAssets(),
  });
  const { chromium } = await import("playwright-core");
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox", "--disable-gpu"] });
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const cdp = await page.context().newCDPSession(page);
    await cdp.send("Performance.enable");
    await page.goto(server.url);
    await page.locator('[data-testid=run-select] vscode-option[value="big"]').waitFor({ state: "attached" });
    await page.click("[data-testid=tab-flamegraph]");
    // The run was shown on hello; select it again to time a cold open.
    const attr = (name: string) => page.getAttribute("[data-testid=flamegraph]", name).then(Number);
    await page.waitForFunction(() => Number((document.querySelector("[data-testid=flamegraph]") as HTMLElement).dataset.nodes) > 0, null, { timeout: 60_000 });
    const setMs: number[] = [];
    const drawMs: number[] = [];
    const openMs: number[] = [];
    for (let i = 0; i < 5; i++) {
      await page.evaluate(() => {
        const s = document.querySelector("[data-testid=run-select]") as HTMLElement;
        s.dispatchEvent(new Event("change"));
      });
      await page.waitForFunction((prev) => (document.querySelector("[data-testid=flamegraph]") as HTMLElement).dataset.setMs !== prev, String(await attr("data-set-ms")), { timeout: 60_000 }).catch(() => {});
      setMs.push(await attr("data-set-ms"));
      openMs.push(Number(await page.getAttribute(".ms-flame", "data-render-ms")));
      drawMs.push(await attr("data-draw-ms"));
    }
    const drawn = await attr("data-nodes");
    // Zoom: click down the widest path, one level at a time, then back out.
    const zoomMs: number[] = [];
    for (let depth = 1; depth <= 8; depth++) {
      await page.locator("[data-testid=flamegraph]").click({ position: { x: 4, y: depth * 18 + 9 } });
      zoomMs.push(await attr("data-draw-ms"));
    }
    await page.keyboard.press("Escape");
    console.log(`  ${nodeCount(tree)} nodes (${drawn} drawn at 1400 px): open run (decode + flamegraph + hot spots) median ${median(openMs).toFixed(1)} ms, max ${Math.max(...openMs).toFixed(1)} ms; new tree (index + layout + draw) median ${median(setMs).toFixed(1)} ms, max ${Math.max(...setMs).toFixed(1)} ms; draw alone median ${median(drawMs).toFixed(1)} ms; zoom redraw median ${median(zoomMs).toFixed(1)} ms, max ${Math.max(...zoomMs).toFixed(1)} ms`);

    // Live: 2400 frames (10 min at 4 Hz) and a tree every 8th frame, replayed in liveSeconds.
    await page.click("[data-testid=tab-overview]");
    const frames = 2400;
    const liveTree = storeTree(pruneTree(tree, 0.001));
    const heap: { at: number; heapMB: number; nodes: number }[] = [];
    const measure = async (at: number) => {
      await cdp.send("HeapProfiler.collectGarbage");
      const m = await cdp.send("Performance.getMetrics");
      const get = (n: string) => m.metrics.find((x) => x.name === n)?.value ?? 0;
      heap.push({ at, heapMB: get("JSHeapUsedSize") / 2 ** 20, nodes: get("Nodes") });
    };
    const state = { sessionId: 99, route: "GET /hello", appFile: "/bench/app.lua", phase: "measuring" as const, message: "" };
    server.broadcast({ type: "state", state });
    const stages = ["parse", "extract", "queue", "context", "handler", "serialize", "write"].map((stage, i) => ({ stage, p50Us: 5 + i, p99Us: 50 + i, meanUs: 8 + i, share: 1 / 7 }));
    const stepMs = (o.liveSeconds * 1000) / frames;
    const t0 = performance.now();
    const metricsBefore = await cdp.send("Performance.getMetrics");
    for (let i = 0; i < frames; i++) {
      const elapsedMs = i * 250;
      const frame: ToClient = {
        type: "frame", sessionId: 99, route: "GET /hello", elapsedMs, durationMs: 600_000, requests: i * 5000, rps: 20_000 + (i % 40) * 100, serverP50Us: 300, serverP99Us: 1900, stages,
        workers: [1, 2].map((w) => ({ worker: w, pid: 1000 + w, requests: i * 2500, rps: 10_000, serverP50Us: 300, serverP99Us: 1900, cpuPercent: 90, stages })),
      };
      server.broadcast(frame);
      if (i % 8 === 7) server.broadcast({ type: "tree", sessionId: 99, route: "GET /hello", elapsedMs, tree: liveTree });
      if (i === frames / 10 || i === frames / 2) await measure(i);
      const wait = t0 + (i + 1) * stepMs - performance.now();
      if (wait > 0) await new Promise((res) => setTimeout(res, wait));
    }
    await page.waitForFunction((n) => Number(document.querySelector("[data-testid=frame-count]")!.textContent) >= n, frames, { timeout: 60_000 });
    await measure(frames);
    const metricsAfter = await cdp.send("Performance.getMetrics");
    const task = (m: typeof metricsAfter) => m.metrics.find((x) => x.name === "TaskDuration")?.value ?? 0;
    const msPerFrame = ((task(metricsAfter) - task(metricsBefore)) * 1000) / frames;
    for (const h of heap) console.log(`  after ${String(h.at).padStart(4)} frames (${((h.at * 250) / 60_000).toFixed(1)} min of session): heap ${h.heapMB.toFixed(1)} MB, ${h.nodes} DOM nodes`);
    const growth = heap[heap.length - 1].heapMB - heap[0].heapMB;
    console.log(`  heap growth from 1 to 10 min: ${growth.toFixed(2)} MB; main-thread time per frame (trees included) ${msPerFrame.toFixed(2)} ms`);
    return { panel: { nodes: nodeCount(tree), drawnRects: drawn, openRunMs: { median: median(openMs), max: Math.max(...openMs) }, newTreeMs: { median: median(setMs), max: Math.max(...setMs) }, drawMs: median(drawMs), zoomMs: { median: median(zoomMs), max: Math.max(...zoomMs) }, live: { frames, heap, heapGrowthMB: growth, msPerFrame } } };
  } finally {
    await browser.close();
    await server.close();
  }
}
