// Profiler overhead: `moonscope profile --mode none` against `--mode sample` on the hello route and on
// the CPU-heavy Lua route, alternated in one run; plus when the first merged snapshot arrives.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { RunFile } from "../profile/run";
import { ROOT } from "./targets";
import { findTool } from "../daemon/session/external-profilers";
import { runProfileSession } from "../daemon/session/profile-session";

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

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

export async function profileBench(o: ProfileBenchOptions): Promise<Record<string, unknown>> {
  const cases = [
    { name: "hello", app: "examples/hello/app.lua", route: "GET /hello", target: 0.2 },
    { name: "slow (CPU-heavy Lua)", app: "examples/slow/app.lua", route: "GET /crunch", target: 0.35 },
  ];
  const results: Record<string, unknown>[] = [];
  console.log(`\nprofiler overhead: ${o.rounds} rounds x (none, sample), ${o.seconds}s each, ${o.workers} workers, ${o.connections} connections`);
  for (const c of cases) {
    const none: number[] = [];
    const sample: number[] = [];
    const firstSnap: number[] = [];
    let luaSamples = 0;
    for (let r = 0; r < o.rounds; r++) {
      const order: ("none" | "sample")[] = r % 2 === 0 ? ["none", "sample"] : ["sample", "none"];
      for (const mode of order) {
        const run = profileOnce(path.join(ROOT, c.app), c.route, mode, o);
        (mode === "none" ? none : sample).push(run.client.rps);
        if (run.session.firstSnapshotMs !== null) firstSnap.push(run.session.firstSnapshotMs);
        if (mode === "sample") luaSamples = run.profile.luaSamples;
        console.log(`  ${c.name.padEnd(22)} round ${r + 1} ${mode.padEnd(6)} ${run.client.rps.toFixed(0).padStart(7)} req/s  client p99 ${(run.client.latencyUs.p99 / 1000).toFixed(2)} ms`);
      }
    }
    const overhead = 1 - median(sample) / median(none);
    results.push({ case: c.name, noneRps: median(none), sampleRps: median(sample), overhead, target: c.target, luaSamples, firstSnapshotMs: median(firstSnap) });
  }
  console.log("\n| route | --mode none req/s | --mode sample req/s | overhead | target | first snapshot |\n|---|---|---|---|---|---|");
  for (const r of results as { case: string; noneRps: number; sampleRps: number; overhead: number; target: number; firstSnapshotMs: number }[]) {
    console.log(`| ${r.case} | ${r.noneRps.toFixed(0)} | ${r.sampleRps.toFixed(0)} | ${(r.overhead * 100).toFixed(1)}% | <= ${(r.target * 100).toFixed(0)}% | ${r.firstSnapshotMs.toFixed(0)} ms (<= 1500) |`);
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
