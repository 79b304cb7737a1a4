// `npm run bench -- --only=compare`: does `compare` tell a real change from noise? A/A experiments
// (identical apps) count false verdicts; A/B experiments (the handler's Lua work ×2 and ×1.2)
// count detections. Each experiment runs the real sessions (profile runs one after another, or
// `ab` with interleaved rounds) on an app whose handler does WORK rounds of Lua arithmetic, and
// judges the pair with profile/compare.ts, as `moonscope compare` and the panel do.
//
// --rejudge=<results.json> recomputes every verdict from the run folders a previous run kept
// (after a change to the noise model), without measuring again.
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import path from "node:path";
import { allDeltas, compareRuns, type Comparison } from "../profile/compare";
import { STAGE_NAMES, type RoundStats } from "../profile/run";
import { roundsOf } from "../profile/rounds";
import { readRun } from "../daemon/runs/store";
import { runProfileSession, type ProfileSessionOptions } from "../daemon/session/profile-session";
import { runAbSession } from "../daemon/session/ab-session";
import { AB_DEFAULTS, PROFILE_DEFAULTS } from "../protocol/types";
import { ROOT } from "./targets";
import { median } from "../profile/median";

/** The handler's Lua work: WORK rounds of fib(12..15); ×2 and ×1.2 are 40 and 24. */
function workApp(work: number): string {
  return `local function fib(n)
  if n < 2 then return n end
  return fib(n - 1) + fib(n - 2)
end

local function work(rounds)
  local total = 0
  for i = 1, rounds do total = total + fib(12 + i % 4) end
  return total
end

function api.work.get(ctx)
  return api.json { total = work(${work}) }
end
`;
}

const ROUTE = "GET /work";
const BASE_WORK = 20;

interface Experiment {
  name: string;
  kind: "A/A" | "A/B";
  how: "separate" | "ab";
  runs: number;
  /** B's work over A's. */
  factor: number;
  tries: number;
}

interface Trial {
  before: string;
  after: string;
}

function writeApp(root: string, work: number): string {
  const dir = path.join(root, `work-${work}`);
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, "app.lua");
  writeFileSync(file, workApp(work));
  return file;
}

// The sessions run in this process; the app runs the built CLI, as it does under `moonscope`.
const quiet = { budgets: [], onProgress: () => {}, cliPath: path.join(ROOT, "dist", "cli", "moonscope.js") };

async function trial(e: Experiment, apps: { a: string; b: string }, workspace: string): Promise<Trial> {
  if (e.how === "ab") {
    const r = await runAbSession({ ...quiet, a: apps.a, b: apps.b, route: ROUTE, runs: e.runs, durationMs: AB_DEFAULTS.durationMs, warmupMs: PROFILE_DEFAULTS.warmupMs, connections: PROFILE_DEFAULTS.connections, workers: PROFILE_DEFAULTS.workers, mode: "sample", workspace });
    return { before: r.a.dir, after: r.b.dir };
  }
  // Two runs one after the other with default options, as a person would profile before and after a change.
  const one = async (app: string) => {
    const o: ProfileSessionOptions = { ...quiet, appFile: app, route: ROUTE, runs: e.runs, durationMs: PROFILE_DEFAULTS.durationMs, warmupMs: PROFILE_DEFAULTS.warmupMs, connections: PROFILE_DEFAULTS.connections, workers: PROFILE_DEFAULTS.workers, mode: "sample", workspace };
    return (await runProfileSession(o)).dir;
  };
  const before = await one(apps.a);
  const after = await one(apps.b);
  return { before, after };
}

function judgeTrial(t: Trial): Comparison {
  return compareRuns(readRun(t.before).run, readRun(t.after).run);
}

/** What the experiments' table says about one experiment's trials. */
function summarize(e: Experiment, comparisons: Comparison[]): Record<string, unknown> {
  const verdicts = comparisons.map((c) => allDeltas(c).filter((d) => d.delta.change !== "no change"));
  const anyVerdict = verdicts.filter((v) => v.length > 0).length;
  const handler = (c: Comparison) => c.stageMeans.find((d) => d.name === "handler")!;
  const detected = comparisons.filter((c) => c.throughput.change === "slower" && handler(c).change === "slower").length;
  // A slowdown found on any of the three costs a person reads first, with nothing called faster.
  const detectedAny = comparisons.filter((c) => [c.throughput, c.cpuPerRequest, handler(c)].some((d) => d.change === "slower") && !allDeltas(c).some((d) => d.delta.change === "faster")).length;
  const falseByMetric: Record<string, number> = {};
  if (e.kind === "A/A") for (const v of verdicts) for (const { group, delta } of v) falseByMetric[`${group} ${delta.name}`] = (falseByMetric[`${group} ${delta.name}`] ?? 0) + 1;
  const wrongWay = e.kind === "A/B" ? comparisons.filter((c) => allDeltas(c).some((d) => d.delta.change === "faster")).length : 0;
  return {
    experiment: e.name,
    tries: comparisons.length,
    ...(e.kind === "A/A"
      ? { pairsWithAnyVerdict: anyVerdict, cleanShare: (comparisons.length - anyVerdict) / comparisons.length, falseVerdicts: verdicts.reduce((a, v) => a + v.length, 0), falseByMetric }
      : { detected, detectionRate: detected / comparisons.length, detectedOnAnyCost: detectedAny, tryWithAFasterVerdict: wrongWay }),
    throughputChange: comparisons.map((c) => +(c.throughput.relative * 100).toFixed(1)),
    handlerChange: comparisons.map((c) => +(handler(c).relative * 100).toFixed(1)),
    detectable: {
      throughput: median(comparisons.map((c) => c.throughput.detectable)),
      cpuPerRequest: median(comparisons.map((c) => c.cpuPerRequest.detectable)),
      handlerMean: median(comparisons.map((c) => handler(c).detectable)),
    },
  };
}


/**
 * Noise as the model measures it, from this run's A/A trials: for separate pairs of one round,
 * the sd of ln(B/A) over √2 (one side's √(σw²+σb²)); for interleaved pairs, the sd of ln(B/A) of
 * neighbouring rounds (σp, NoiseModel.pairedSd). Printed to calibrate profile/compare.ts's NOISE.
 */
function noiseEstimates(trials: { e: Experiment; t: Trial }[]): Record<string, Record<string, number>> {
  const metrics: Record<string, (r: RoundStats) => number> = {
    throughput: (r) => r.rps,
    cpu: (r) => r.cpuUsPerRequest,
    latencyP50: (r) => r.latencyUs.p50,
    latencyP99: (r) => r.latencyUs.p99,
    latencyP999: (r) => r.latencyUs.p999,
    ...Object.fromEntries(STAGE_NAMES.flatMap((s) => [
      [`${s}Mean`, (r: RoundStats) => r.stageMeanUs[s]],
      [`${s}P99`, (r: RoundStats) => r.stageP99Us[s]],
    ])),
  };
  const logs = new Map<string, Map<string, number[]>>();
  for (const { e, t } of trials) {
    if (e.kind !== "A/A") continue;
    const a = roundsOf(readRun(t.before).run);
    const b = roundsOf(readRun(t.after).run);
    const kind = e.how === "ab" ? "interleaved round pairs (pairedSd)" : "separate runs, one round (√(withinSd²+betweenSd²))";
    const byMetric = logs.get(kind) ?? new Map<string, number[]>();
    logs.set(kind, byMetric);
    for (const [name, f] of Object.entries(metrics)) {
      const xs = byMetric.get(name) ?? [];
      byMetric.set(name, xs);
      for (let i = 0; i < Math.min(a.length, b.length); i++) xs.push(Math.log(Math.max(f(b[i]), 1e-6) / Math.max(f(a[i]), 1e-6)));
    }
  }
  const out: Record<string, Record<string, number>> = {};
  for (const [kind, byMetric] of logs) {
    out[kind] = {};
    for (const [name, xs] of byMetric) {
      const m = xs.reduce((p, q) => p + q, 0) / xs.length;
      const sd = Math.sqrt(xs.reduce((p, q) => p + (q - m) ** 2, 0) / Math.max(1, xs.length - 1));
      // Separate runs: a difference of two sides, its sd over √2 is one side's. Pairs: the difference is the quantity.
      out[kind][name] = +(kind.startsWith("separate") ? sd / Math.SQRT2 : sd).toFixed(3);
    }
  }
  return out;
}

export interface CompareTruthOptions {
  /** Trials per experiment (A/A pairs, A/B tries); the ×2 ab --runs 5 experiment runs half as many (it is never close). */
  tries: number;
  only?: string[];
  rejudge?: string;
}

export const EXPERIMENTS = (tries: number): Experiment[] => [
  { name: "A/A, two profile runs, default options", kind: "A/A", how: "separate", runs: 1, factor: 1, tries },
  { name: "A/A, ab --runs 1", kind: "A/A", how: "ab", runs: 1, factor: 1, tries },
  { name: "A/A, ab --runs 5", kind: "A/A", how: "ab", runs: 5, factor: 1, tries },
  { name: "A/B ×2, two profile runs, default options", kind: "A/B", how: "separate", runs: 1, factor: 2, tries },
  { name: "A/B ×2, ab --runs 1", kind: "A/B", how: "ab", runs: 1, factor: 2, tries },
  { name: "A/B ×2, ab --runs 5", kind: "A/B", how: "ab", runs: 5, factor: 2, tries: Math.ceil(tries / 2) },
  { name: "A/B ×1.2, ab --runs 1", kind: "A/B", how: "ab", runs: 1, factor: 1.2, tries },
  { name: "A/B ×1.2, ab --runs 5", kind: "A/B", how: "ab", runs: 5, factor: 1.2, tries },
];

export async function compareTruthBench(o: CompareTruthOptions): Promise<Record<string, unknown>> {
  let plan: { e: Experiment; trials: Trial[] }[];
  let workspace: string;
  if (o.rejudge) {
    const previous = JSON.parse(readFileSync(o.rejudge, "utf8")) as { compareTruth: { workspace: string; plan: { e: Experiment; trials: Trial[] }[] } };
    ({ plan, workspace } = previous.compareTruth);
    console.log(`\ncompare truth: re-judging ${plan.reduce((a, p) => a + p.trials.length, 0)} trials from ${o.rejudge}`);
  } else {
    workspace = mkdtempSync(path.join(tmpdir(), "moonscope-compare-truth-"));
    const apps = { a: writeApp(workspace, BASE_WORK), b2: writeApp(workspace, BASE_WORK * 2), b12: writeApp(workspace, Math.round(BASE_WORK * 1.2)) };
    // Two copies of A for A/A: the same code in two folders, as two checkouts would be.
    const a2 = writeApp(path.join(workspace, "copy"), BASE_WORK);
    plan = [];
    const experiments = EXPERIMENTS(o.tries).filter((e) => !o.only || o.only.some((w) => e.name.includes(w)));
    console.log(`\ncompare truth: ${experiments.length} experiments, runs kept in ${workspace}`);
    for (const e of experiments) {
      const trials: Trial[] = [];
      const b = e.factor === 1 ? a2 : e.factor === 2 ? apps.b2 : apps.b12;
      for (let i = 0; i < e.tries; i++) {
        const t0 = performance.now();
        trials.push(await trial(e, { a: apps.a, b }, workspace));
        const c = judgeTrial(trials[trials.length - 1]);
        const verdicts = allDeltas(c).filter((d) => d.delta.change !== "no change").map((d) => `${d.group} ${d.delta.name} ${d.delta.change}`);
        console.log(`  ${e.name} #${i + 1}: req/s ${(c.throughput.relative * 100).toFixed(1)}%, handler ${(c.stageMeans.find((d) => d.name === "handler")!.relative * 100).toFixed(1)}%; ${verdicts.length ? verdicts.join(", ") : "no verdict"} (${((performance.now() - t0) / 1000).toFixed(0)} s, load average ${loadavg()[0].toFixed(1)})`);
      }
      plan.push({ e, trials });
    }
  }
  const table = plan.map(({ e, trials }) => summarize(e, trials.map(judgeTrial)));
  console.log("\n" + table.map((r) => JSON.stringify(r)).join("\n"));
  const noise = noiseEstimates(plan.flatMap(({ e, trials }) => trials.map((t) => ({ e, t }))));
  console.log("\nnoise (sd of ln(value) per side):\n" + JSON.stringify(noise, null, 2));
  return { compareTruth: { workspace, plan, table, noise } };
}
