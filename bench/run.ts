// `npm run bench [-- --only=serve,profile,live,external,svg,panel,compare --rounds=3 --seconds=5 --connections=50 --workers=2 --load=wrk]`
// (--workers: 2 by default, profile: what `moonscope profile` runs by default)
// (compare: `--tries=10 --experiments=A/A,×2 --rejudge=bench/results/<file>.json`)
// Runs the benchmarks one after another (never two at once: the machine has 2 cores) and writes
// bench/results/bench-<time>.json. Only ratios within one run mean anything.
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { serveBench } from "./serve-bench";
import { externalBench, liveTreeBench, profileBench } from "./profile-bench";
import { svgBench } from "./svg-bench";
import { panelBench } from "./panel-bench";
import { compareTruthBench } from "./compare-truth";
import { ROOT } from "./targets";
import { autoWorkers } from "../daemon/session/measured-app";

const args = new Map(process.argv.slice(2).map((a) => a.replace(/^--/, "").split("=") as [string, string]));
const only = new Set((args.get("only") ?? "serve,profile,live,external,svg,panel").split(","));
const num = (k: string, d: number) => Number(args.get(k) ?? d);
const load = args.get("load") as "wrk" | "autocannon" | undefined;

async function main(): Promise<void> {
  const out: Record<string, unknown> = { date: new Date().toISOString(), node: process.version };
  if (only.has("serve")) Object.assign(out, await serveBench({ rounds: num("rounds", 3), seconds: num("seconds", 5), warmupSeconds: num("warmup", 2), connections: num("connections", 50), workers: num("workers", 2), load }));
  // The workers `moonscope profile` runs by default, unless --workers says otherwise.
  if (only.has("profile")) Object.assign(out, await profileBench({ rounds: num("rounds", 3), seconds: num("seconds", 5), workers: num("workers", autoWorkers()), connections: num("connections", 50), load }));
  if (only.has("live")) Object.assign(out, await liveTreeBench({ rounds: num("rounds", 3), seconds: num("seconds", 5), workers: num("workers", 2), connections: num("connections", 50), load }));
  if (only.has("external")) Object.assign(out, await externalBench({ rounds: 1, seconds: num("seconds", 5), workers: 1, connections: num("connections", 50), load }));
  if (only.has("svg")) Object.assign(out, svgBench());
  if (only.has("panel")) Object.assign(out, await panelBench({ liveSeconds: num("live-seconds", 60), nodes: num("nodes", 100_000) }));
  // Not in the default set: it measures for about 40 minutes.
  if (only.has("compare")) Object.assign(out, await compareTruthBench({ tries: num("tries", 10), only: args.get("experiments")?.split(","), rejudge: args.get("rejudge") }));
  const dir = path.join(ROOT, "bench", "results");
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `bench-${new Date().toISOString().replace(/[:.]/g, "-")}.json`);
  writeFileSync(file, JSON.stringify(out, null, 2));
  console.log(`\nwrote ${path.relative(ROOT, file)}`);
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
