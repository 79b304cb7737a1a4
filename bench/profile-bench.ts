// Profiler overhead: `--mode none` against `--mode sample` on the hello route and on the CPU-heavy Lua
// route, alternated on the same server processes; the outside profilers' overhead; the live flamegraph's.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { RunFile } from "../profile/run";
import { ROOT } from "./targets";
import { findTool } from "../daemon/session/external-profilers";
import { runProfileSession } from "../daemon/session/profile-session";
import { ServerProcess } from "../daemon/session/server-process";
import { chooseGenerator, runLoad, runMeasuredLoad, type LoadGeneratorName } from "../daemon/load";
import { PROFILE_DEFAULTS } from "../protocol/types";
import { cpuMsSince, routeSince } from "../daemon/session/rounds";
import { median, medianInterval, type MedianInterval } from "../profile/median";

export interface ProfileBenchOptions {
  rounds: number;
  seconds: number;
  workers: number;
  connections: number;
  load?: string;
}

function profileOnce(app: string, route: string, mode: string, o: ProfileBenchOptions): RunFile {
  const out = mkdtempSync(path.join(tmpdir(), "moonscope-bench-"));
  const args = [path.join(ROOT, "bin", "moonscope.js"), "profile", app, "--route", route, "--mode", mode, "--duration", `${o.seconds}s`, "--warmup", "2s", "--workers", String(o.workers), "--connections", String(o.connections), "--out", out];
  if (o.load) args.push("--load", o.load);
  const r = spawnSync(process.execPath, args, { cwd: ROOT, encoding: "utf8", maxBuffer: 256 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`profile failed: ${r.stderr}`);
  const run = JSON.parse(readFileSync(path.join(out, "run.json"), "utf8")) as RunFile;
  rmSync(out, { recursive: true, force: true });
  return run;
}

/** The throughput cost's interval: 1 − the pair ratios' interval, turned the right way round. */
function costInterval(ratios: number[]): MedianInterval {
  const i = medianInterval(ratios);
  return { low: 1 - i.high, high: 1 - i.low, coverage: i.coverage };
}

/** One measured window: the client's view, and (with profilers on) what the samplers say they cost. */
interface OverheadWindow {
  rps: number;
  p99Ms: number;
  /** The server's own p99 (first byte in → response written). */
  serverP99Ms: number;
  /** The workers' CPU per request (µs), their sampler threads included. */
  cpuUsPerRequest: number;
  /** Client p99 at a fixed rate of half the route's capacity (open loop: what sampling does to a request, not to a saturated queue). */
  halfLoadP99Ms: number;
  luaSamples?: number;
  /** Milliseconds the Lua samplers spent reading stacks, per second of the window, summed over workers. */
  luaBusyMsPerS?: number;
  method?: string;
}

/** One route's medians over its pairs, each ratio with its 95% interval. */
interface OverheadRow {
  case: string;
  noneRps: number;
  sampleRps: number;
  overhead: number;
  overheadInterval: MedianInterval;
  target: number;
  cpuCost: number;
  cpuCostInterval: MedianInterval;
  noneP99Ms: number;
  sampleP99Ms: number;
  p99Ratio: number;
  p99RatioInterval: MedianInterval;
  halfLoadRate: number;
  halfLoadP99Ms: { none: number; sample: number };
  halfLoadP99Ratio: number;
  halfLoadP99RatioInterval: MedianInterval;
  luaSamplesPerWindow: number;
  luaReaderMsPerS: number;
  pairs: number;
}

/**
 * Profiler overhead, `--mode none` against `--mode sample`, measured on the same server processes:
 * the profilers are started and stopped between alternating load windows, so a process's own speed
 * (on this VM one process can run 30% slower than the next for its whole life) is in both sides of
 * each pair. Each window runs 1 s of load unmeasured first (the profilers' start), then `seconds`
 * measured at full load (closed loop), then `seconds` at a fixed rate of half the route's capacity
 * (the built-in open-loop generator, latency from each request's intended start). At full load the
 * client p99 is the tail of a saturated queue, which a plain node:http server on this VM shows as
 * much as ours; at half load it is what sampling does to one request. Fresh processes for each
 * group of two pairs; each figure is the median of the pairs' ratios.
 */
export async function profileBench(o: ProfileBenchOptions): Promise<Record<string, unknown>> {
  const cases = [
    { name: "hello", app: "examples/hello/app.lua", path: "/hello", costTarget: 0.05 },
    { name: "slow (CPU-heavy Lua)", app: "examples/slow/app.lua", path: "/crunch", costTarget: 0.1 },
  ];
  const generator = chooseGenerator(o.load as LoadGeneratorName | undefined);
  const pairs = Math.max(o.rounds, 5);
  const processes = Math.ceil(pairs / 2);
  console.log(`\nprofiler overhead: ${pairs} pairs of windows (none, sample) on ${processes} server processes, ${o.seconds}s each, ${o.workers} workers, ${o.connections} connections, ${generator}`);
  const results: OverheadRow[] = [];
  for (const c of cases) {
    const ratios: number[] = [];
    const p99Ratios: number[] = [];
    const cpuRatios: number[] = [];
    const halfLoadP99Ratios: number[] = [];
    let halfRate = 0;
    const none: OverheadWindow[] = [];
    const sample: OverheadWindow[] = [];
    for (let proc = 0; proc < processes; proc++) {
      const server = await ServerProcess.start({ appFile: path.join(ROOT, c.app), workers: o.workers, cliPath: path.join(ROOT, "dist", "cli", "moonscope.js") });
      try {
        const url = `http://127.0.0.1:${server.port}${c.path}`;
        const warm = await runLoad(generator, { url, connections: o.connections, durationMs: 2000 });
        // The first process's capacity sets the rate for the whole case, so every pair is judged at the same load.
        if (halfRate === 0) halfRate = Math.max(1, Math.round(warm.rps / 2));
        for (let k = 0; k < 2 && ratios.length < pairs; k++) {
          const order = (proc * 2 + k) % 2 === 0 ? [false, true] : [true, false];
          const pair: Record<string, OverheadWindow> = {};
          for (const on of order) {
            if (on) await server.startProfiling({ cpuIntervalUs: PROFILE_DEFAULTS.cpuIntervalUs, luaIntervalMs: PROFILE_DEFAULTS.luaIntervalMs });
            const profiledFrom = performance.now();
            await runLoad(generator, { url, connections: o.connections, durationMs: 1000 });
            const before = await server.stats();
            // Measured as a profile's rounds are: the connections settle first.
            const { load: r } = await runMeasuredLoad(generator, { url, connections: o.connections, durationMs: o.seconds * 1000 });
            const after = await server.stats();
            const m = routeSince(after, before, `GET ${c.path}`);
            const { load: half } = await runMeasuredLoad("open-loop", { url, connections: o.connections, durationMs: o.seconds * 1000, rate: halfRate });
            const w: OverheadWindow = { rps: r.rps, p99Ms: r.latencyUs.p99 / 1000, serverP99Ms: m.total.percentile(99) / 1e6, cpuUsPerRequest: m.requests > 0 ? (cpuMsSince(after, before) * 1000) / m.requests : 0, halfLoadP99Ms: half.latencyUs.p99 / 1000 };
            if (on) {
              const handIn = await server.stopProfiling();
              const lua = handIn.profiles.map((p) => p.lua).filter((l) => l !== null);
              w.luaSamples = lua.reduce((a, l) => a + l.samples, 0);
              w.luaBusyMsPerS = lua.reduce((a, l) => a + (l.cpuMs ?? 0), 0) / ((performance.now() - profiledFrom) / 1000);
              w.method = [...new Set(lua.map((l) => l.method ?? "interrupt"))].join("+");
            }
            (on ? sample : none).push(w);
            pair[on ? "sample" : "none"] = w;
            console.log(`  ${c.name.padEnd(22)} process ${proc + 1} ${on ? "sample" : "none  "} ${r.rps.toFixed(0).padStart(7)} req/s  client p99 ${w.p99Ms.toFixed(2)} ms  server p99 ${w.serverP99Ms.toFixed(2)} ms  p99 at ${halfRate} req/s ${w.halfLoadP99Ms.toFixed(2)} ms  CPU ${w.cpuUsPerRequest.toFixed(1)} µs/req${on && w.luaSamples !== undefined ? `  (${w.luaSamples} Lua samples, ${w.method}, reader ${w.luaBusyMsPerS!.toFixed(1)} ms/s)` : ""}`);
          }
          ratios.push(pair.sample.rps / pair.none.rps);
          cpuRatios.push(pair.sample.cpuUsPerRequest / pair.none.cpuUsPerRequest);
          p99Ratios.push(pair.sample.p99Ms / pair.none.p99Ms);
          halfLoadP99Ratios.push(pair.sample.halfLoadP99Ms / pair.none.halfLoadP99Ms);
        }
      } finally {
        await server.stop();
      }
    }
    results.push({
      case: c.name,
      noneRps: median(none.map((w) => w.rps)),
      sampleRps: median(sample.map((w) => w.rps)),
      overhead: 1 - median(ratios),
      // How far the medians can be trusted on this machine: 95% intervals over the pairs.
      overheadInterval: costInterval(ratios),
      target: c.costTarget,
      // The same cost as the workers' CPU per request (their sampler threads included): what the
      // profilers add to each request's work, without what the load generator lost beside them.
      cpuCost: median(cpuRatios) - 1,
      cpuCostInterval: medianInterval(cpuRatios.map((x) => x - 1)),
      noneP99Ms: median(none.map((w) => w.p99Ms)),
      sampleP99Ms: median(sample.map((w) => w.p99Ms)),
      p99Ratio: median(p99Ratios),
      p99RatioInterval: medianInterval(p99Ratios),
      halfLoadRate: halfRate,
      halfLoadP99Ms: { none: median(none.map((w) => w.halfLoadP99Ms)), sample: median(sample.map((w) => w.halfLoadP99Ms)) },
      halfLoadP99Ratio: median(halfLoadP99Ratios),
      halfLoadP99RatioInterval: medianInterval(halfLoadP99Ratios),
      luaSamplesPerWindow: median(sample.map((w) => w.luaSamples ?? 0)),
      luaReaderMsPerS: median(sample.map((w) => w.luaBusyMsPerS ?? 0)),
      pairs: ratios.length,
    });
  }
  console.log("\n| route | --mode none | --mode sample | throughput cost (target) | CPU per request | client p99 none → sample | p99 ratio (target ≤ 1.25) | p99 at half load: ratio |\n|---|---|---|---|---|---|---|---|");
  const range = (i: MedianInterval, f: (x: number) => string) => `${f(i.low)}–${f(i.high)}`;
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
  for (const r of results) {
    console.log(`| ${r.case} | ${r.noneRps.toFixed(0)} req/s | ${r.sampleRps.toFixed(0)} req/s | ${pct(r.overhead)} (95% interval ${range(r.overheadInterval, pct)}; ≤ ${(r.target * 100).toFixed(0)}%) | ${r.cpuCost >= 0 ? "+" : ""}${pct(r.cpuCost)} (${range(r.cpuCostInterval, pct)}) | ${r.noneP99Ms.toFixed(2)} → ${r.sampleP99Ms.toFixed(2)} ms | ${r.p99Ratio.toFixed(2)} (95% interval ${range(r.p99RatioInterval, (x) => x.toFixed(2))}) | ${r.halfLoadP99Ratio.toFixed(2)} at ${r.halfLoadRate} req/s (${range(r.halfLoadP99RatioInterval, (x) => x.toFixed(2))}) |`);
  }
  return { profile: results };
}

/**
 * The outside profilers' overhead: each of 0x and the Clinic.js modes against --mode none, both on one
 * process (those tools refuse clusters), on the CPU-heavy Lua route. Skipped when the tools are not installed.
 */
export async function externalBench(o: ProfileBenchOptions): Promise<Record<string, unknown>> {
  const modes: string[] = [];
  for (const [tool, ms] of [["0x", ["0x"]], ["clinic", ["clinic-doctor", "clinic-flame", "clinic-heap", "clinic-bubbleprof"]]] as const) {
    try {
      findTool(tool);
      modes.push(...ms);
    } catch {
      console.log(`\n(skipping ${tool} modes: not installed; bash scripts/install-profilers.sh)`);
    }
  }
  if (modes.length === 0) return { external: null };
  const one = { ...o, workers: 1 };
  const app = path.join(ROOT, "examples/slow/app.lua");
  console.log(`\nouter profilers (1 process, slow route, ${o.seconds}s each):`);
  const rows: { mode: string; rps: number; noneRps: number; overhead: number }[] = [];
  for (const mode of modes) {
    let noneRps = 0;
    let rps = 0;
    try {
      noneRps = profileOnce(app, "GET /crunch", "none", one).client.rps;
      rps = profileOnce(app, "GET /crunch", mode as "none", one).client.rps;
    } catch (e) {
      console.log(`  ${mode}: failed (${(e as Error).message.split("\n")[0]})`);
      continue;
    }
    rows.push({ mode, rps, noneRps, overhead: 1 - rps / noneRps });
    console.log(`  ${mode.padEnd(18)} ${rps.toFixed(0).padStart(6)} req/s vs --mode none ${noneRps.toFixed(0).padStart(6)} req/s: overhead ${((1 - rps / noneRps) * 100).toFixed(1)}%`);
  }
  return { external: rows };
}

/**
 * What the live flamegraph costs: the daemon's sessions hand in profile chunks every 2 s and stream
 * the merged tree; the CLI's do not. Both run here in this process, as the daemon runs them,
 * alternated, on the hello route (the cheapest requests, so the largest relative cost).
 */
export async function liveTreeBench(o: ProfileBenchOptions): Promise<Record<string, unknown>> {
  const app = path.join(ROOT, "examples/hello/app.lua");
  const plain: number[] = [];
  const live: number[] = [];
  let trees = 0;
  console.log(`\nlive flamegraph: ${o.rounds} rounds x (sample, sample + live tree), ${o.seconds}s each, in-process like the daemon`);
  for (let r = 0; r < o.rounds; r++) {
    for (const withTree of r % 2 === 0 ? [false, true] : [true, false]) {
      const out = mkdtempSync(path.join(tmpdir(), "moonscope-bench-"));
      let n = 0;
      const res = await runProfileSession({
        cliPath: path.join(ROOT, "dist", "cli", "moonscope.js"),
        appFile: app, route: "GET /hello", durationMs: o.seconds * 1000, warmupMs: 2000, connections: o.connections, workers: o.workers, mode: "sample", budgets: [], out,
        load: o.load as "wrk" | "autocannon" | undefined,
        onTree: withTree ? () => n++ : undefined,
      });
      rmSync(out, { recursive: true, force: true });
      (withTree ? live : plain).push(res.run.client.rps);
      if (withTree) trees = n;
      console.log(`  round ${r + 1} ${withTree ? "live tree" : "plain    "} ${res.run.client.rps.toFixed(0).padStart(7)} req/s${withTree ? ` (${n} trees streamed)` : ""}`);
      for (const w of res.run.warnings) console.log(`    warning: ${w}`);
    }
  }
  const cost = 1 - median(live) / median(plain);
  console.log(`  live tree cost: ${(cost * 100).toFixed(1)}% of throughput (median ${median(live).toFixed(0)} vs ${median(plain).toFixed(0)} req/s)`);
  return { liveTree: { plainRps: median(plain), liveRps: median(live), cost, treesPerRun: trees } };
}
