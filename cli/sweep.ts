// `moonscope sweep <app.lua> --route "GET /hello"`: how a route scales with connections and workers.
import { LOAD_CHOICES, type LoadChoice, type LoadGeneratorName } from "../profile/run";
import { DEFAULT_SERVE } from "../server-core/master";
import path from "node:path";
import { flags, interruptSignal, readArgs, strings } from "./command";
import { runSweep, estimateMs } from "../daemon/session/sweep-session";
import { RUNS_DIR, runDirName } from "../daemon/runs/store";
import { parseRouteSpec } from "../daemon/session/route-spec";
import type { SweepFile } from "../profile/sweep";
import { absoluteLuaPath, parseDuration } from "./args";
import { MoonscopeError } from "../profile/errors";

export const SWEEP_HELP = `Usage: moonscope sweep <app.lua> --route "GET /hello" [options]

Runs one short measured step per combination of workers and connections (a fresh server and
warm-up each), prints req/s, latency, CPU and memory per step, names the knee (where throughput
stops growing while p99 keeps rising) and the worker scaling efficiency, and writes sweep.json and
sweep.svg to the run folder. Ctrl-C stops cleanly and keeps the steps done so far.

Options:
  --connections LIST   e.g. 1,10,50,100 (default)
  --workers LIST       e.g. 1,2 (default: 1 and the number of CPUs)
  --duration T         measured time per step (default 5s)
  --warmup T           warm-up per step (default 1s)
  --load wrk|autocannon
  --out DIR            (default .moonscope/runs/<time>-sweep-<method>-<path>)
  --json               print sweep.json instead of the table
  --lua-path PATHS     more places for require after the app's folder ("vendor/?.lua;;")
  --quiet              no progress on stderr
`;

function list(flag: string, v: string): number[] {
  const out = v.split(",").map((x) => x.trim()).filter(Boolean).map(Number);
  if (out.length === 0 || out.some((n) => !Number.isInteger(n) || n < 1)) throw new MoonscopeError("MS_ERR_USAGE", `${flag} takes a comma list of positive whole numbers, like 1,10,50`);
  return [...new Set(out)].sort((a, b) => a - b);
}

const fmtMs = (us: number) => (us / 1000).toFixed(2);
const mb = (b: number | null) => (b === null ? "-" : b >= 1048576 ? `${(b / 1048576).toFixed(1)} MB` : `${(b / 1024).toFixed(0)} KB`);

export function formatSweep(f: SweepFile, dir: string): string {
  const head = ["workers", "conns", "req/s", "p50 ms", "p90 ms", "p99 ms", "max ms", "errors", "server CPU", "loadgen CPU", "RSS/worker", "RSS/conn"];
  const rows = f.steps.map((s) => [
    String(s.workers),
    String(s.connections),
    s.rps.toFixed(0),
    fmtMs(s.latencyUs.p50),
    fmtMs(s.latencyUs.p90),
    fmtMs(s.latencyUs.p99),
    fmtMs(s.latencyUs.max),
    String(s.errors + s.non2xx),
    `${s.serverCpuPercent.toFixed(0)}%`,
    `${s.loadGenCpuPercent.toFixed(0)}%${s.loadGenSaturated ? " (sat.)" : ""}`,
    mb(s.rssPerWorkerBytes),
    mb(s.rssPerConnectionBytes),
  ]);
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (c: string[]) => c.map((x, i) => (i < 2 || i > 8 ? x.padEnd(w[i]) : x.padStart(w[i]))).join("  ").trimEnd();
  const out = [line(head), ...rows.map(line), ""];
  for (const k of f.knees) out.push(`Knee: ${k.message}`);
  for (const e of f.efficiency) out.push(`Efficiency: ${e.workers} workers at ${e.connections} connections give ${(e.efficiency * 100).toFixed(0)}% of ${e.workers} x the 1-worker throughput`);
  for (const n of f.notes) out.push(`note: ${n}`);
  if (!f.complete) out.push(`note: the sweep was stopped early; ${f.steps.length} of ${f.plan.workers.length * f.plan.connections.length} steps are kept`);
  out.push("", `Wrote ${path.relative(process.cwd(), path.join(dir, "sweep.json")) || "sweep.json"} and sweep.svg`);
  return out.join("\n");
}

export async function sweepCommand(argv: string[]): Promise<number> {
  const args = readArgs(argv, { ...strings("route", "connections", "workers", "duration", "warmup", "load", "out", "lua-path"), ...flags("json", "quiet") }, SWEEP_HELP);
  if (!args) return 0;
  const { values, positionals } = args;
  if (positionals.length !== 1) throw new MoonscopeError("MS_ERR_USAGE", 'sweep needs one app file, e.g. moonscope sweep examples/hello/app.lua --route "GET /hello"');
  if (!values.route) throw new MoonscopeError("MS_ERR_USAGE", 'sweep needs --route, e.g. --route "GET /hello"');
  const load = values.load;
  // A sweep steps its own load through the plan: load from elsewhere could not follow it.
  const loads = LOAD_CHOICES.filter((l): l is Exclude<LoadChoice, "external"> => l !== "external");
  if (load !== undefined && !(loads as string[]).includes(load)) throw new MoonscopeError("MS_ERR_USAGE", `--load is ${loads.join(" or ")}, got "${load}"`);
  const spec = parseRouteSpec(values.route);
  const opts = {
    appFile: positionals[0],
    route: values.route,
    workers: values.workers ? list("--workers", values.workers) : [...new Set([1, DEFAULT_SERVE.workers])],
    connections: values.connections ? list("--connections", values.connections) : [1, 10, 50, 100],
    durationMs: parseDuration("--duration", values.duration ?? "5s"),
    warmupMs: parseDuration("--warmup", values.warmup ?? "1s"),
    load: load as LoadGeneratorName | undefined,
    out: values.out ?? path.join(RUNS_DIR, runDirName(new Date(), "sweep-" + spec.method, spec.path)),
    luaPath: values["lua-path"] !== undefined ? absoluteLuaPath(values["lua-path"]) : undefined,
  };
  const est = estimateMs(opts);
  const say = (text: string) => values.quiet || process.stderr.write(text);
  say(`sweep: ${est.steps} steps x ${(est.perStepMs / 1000).toFixed(0)} s ≈ ${est.totalMs >= 90_000 ? (est.totalMs / 60_000).toFixed(1) + " min" : (est.totalMs / 1000).toFixed(0) + " s"}\n`);
  const signal = interruptSignal("stopping after cleaning up; the steps done so far are kept");
  const { file, dir } = await runSweep({
    ...opts,
    signal,
    onStep: (done, total, step, label) => {
      if (step === null) say(`[${done + 1}/${total}] ${label}...\n`);
    },
  });
  if (values.json) process.stdout.write(JSON.stringify(file, null, 2) + "\n");
  else process.stdout.write(formatSweep(file, dir) + "\n");
  return signal.aborted ? 130 : 0;
}
