// `moonscope profile <app.lua> --route "GET /hello"`: the product's main job.
import { spawn } from "node:child_process";
import { flags, interruptSignal, readArgs, strings } from "./command";
import { ProgressLine } from "./progress";
import { ensureProfiler } from "./profiler-setup";
import { runProfileSession, type ProfileSessionOptions, type Progress } from "../daemon/session/profile-session";
import { isRunMode, RUN_MODES } from "../profile/run";
import { PROFILE_DEFAULTS } from "../protocol/types";
import { parseBudgets } from "../daemon/report/analyze";
import { formatReport } from "../daemon/report/format";
import { paintFor } from "../daemon/report/paint";
import { absoluteLuaPath, parseDuration, parseIntArg } from "./args";
import { MoonscopeError } from "../profile/errors";

export const PROFILE_HELP = `Usage: moonscope profile <app.lua> --route "GET /hello" [options]

Starts the app, drives load at one route, and reports per-stage timings, latency, CPU and the
hottest Lua and JavaScript functions. Writes run.json, flamegraph.svg, profile.cpuprofile,
profile.folded and profile.speedscope.json to the run folder.

Options:
  --route "METHOD /path"  the route to load (a concrete path like /users/42, or /users/:id)
  --duration T            measured time (default ${PROFILE_DEFAULTS.durationMs / 1000}s)
  --warmup T              load before measuring, not recorded (default ${PROFILE_DEFAULTS.warmupMs / 1000}s)
  --connections N         concurrent connections, closed loop (default ${PROFILE_DEFAULTS.connections})
  --rate N                fixed rate in req/s instead, through Moonscope's own open-loop generator
  --workers N             server workers (default: number of CPUs)
  --mode MODE             sample: V8 CPU profile + Lua sampler in every worker (default);
                          none: timings only; 0x, clinic-doctor, clinic-flame, clinic-bubbleprof,
                          clinic-heap: the app under that tool as one process (no cluster), its
                          HTML report kept in the run folder
  --load wrk|autocannon   load generator (default: wrk when installed)
  --body TEXT             request body (for POST/PUT routes)
  --header "Name: value"  request header (repeatable)
  --out DIR               run folder (default .moonscope/runs/<time>-<method>-<path>)
  --json                  print the run as JSON instead of the text report
  --budget LIST           e.g. p99=5ms,rps=20000,errors=0: exit 1 when one is missed
  --cpu-interval US       V8 sampling interval in microseconds (default ${PROFILE_DEFAULTS.cpuIntervalUs})
  --lua-interval MS       Lua sampling interval in milliseconds (default ${PROFILE_DEFAULTS.luaIntervalMs}; 0 turns the Lua sampler off)
  --lua-path PATHS        more places for require after the app's folder ("vendor/?.lua;;")
  --open                  open flamegraph.svg when done
  --quiet                 no progress on stderr (the report, warnings and errors still print)
  --yes, -y               install 0x or clinic when the mode needs it, without asking (or MOONSCOPE_YES=1)
`;

export async function profileCommand(argv: string[]): Promise<number> {
  const args = readArgs(
    argv,
    {
      ...strings("route", "duration", "warmup", "connections", "rate", "workers", "mode", "load", "body", "out", "budget", "cpu-interval", "lua-interval", "lua-path"),
      ...flags("json", "open", "quiet"),
      yes: { type: "boolean", short: "y" },
      header: { type: "string", multiple: true },
    },
    PROFILE_HELP,
  );
  if (!args) return 0;
  const { values, positionals } = args;
  if (positionals.length !== 1) throw new MoonscopeError("MS_ERR_USAGE", 'profile needs one app file, e.g. moonscope profile examples/hello/app.lua --route "GET /hello"');
  if (!values.route) throw new MoonscopeError("MS_ERR_USAGE", 'profile needs --route, e.g. --route "GET /hello"');
  const mode = values.mode ?? PROFILE_DEFAULTS.mode;
  if (!isRunMode(mode)) throw new MoonscopeError("MS_ERR_USAGE", `--mode is one of ${RUN_MODES.join(", ")}; got "${mode}"`);
  const load = values.load;
  if (load !== undefined && load !== "wrk" && load !== "autocannon") throw new MoonscopeError("MS_ERR_USAGE", `--load is wrk or autocannon, got "${load}"`);
  const headers: Record<string, string> = {};
  for (const h of values.header ?? []) {
    const i = h.indexOf(":");
    if (i <= 0) throw new MoonscopeError("MS_ERR_USAGE", `--header takes "Name: value", got "${h}"`);
    headers[h.slice(0, i).trim()] = h.slice(i + 1).trim();
  }
  const durationMs = values.duration !== undefined ? parseDuration("--duration", values.duration) : PROFILE_DEFAULTS.durationMs;
  if (durationMs < 1000) throw new MoonscopeError("MS_ERR_USAGE", "--duration must be at least 1s");
  const signal = interruptSignal("stopping: cleaning up the app and the load generator");
  const warmupMs = values.warmup !== undefined ? parseDuration("--warmup", values.warmup) : PROFILE_DEFAULTS.warmupMs;
  await ensureProfiler(mode, { yes: values.yes ?? false, quiet: values.quiet ?? false, signal });
  const progress = new ProgressLine(process.stderr, values.quiet ? "quiet" : process.stderr.isTTY && !values.json ? "tty" : "log", warmupMs);
  const result = await runProfileSession({
    appFile: positionals[0],
    route: values.route,
    durationMs,
    warmupMs,
    connections: values.connections !== undefined ? parseIntArg("--connections", values.connections, 1, 10000) : PROFILE_DEFAULTS.connections,
    rate: values.rate !== undefined ? parseIntArg("--rate", values.rate, 1, 10_000_000) : undefined,
    workers: values.workers !== undefined ? parseIntArg("--workers", values.workers, 1, 256) : PROFILE_DEFAULTS.workers,
    mode,
    load,
    out: values.out,
    budgets: values.budget ? parseBudgets(values.budget) : [],
    cpuIntervalUs: values["cpu-interval"] !== undefined ? parseIntArg("--cpu-interval", values["cpu-interval"], 50, 100000) : undefined,
    luaIntervalMs: values["lua-interval"] !== undefined ? parseIntArg("--lua-interval", values["lua-interval"], 0, 1000) : undefined,
    body: values.body,
    headers,
    luaPath: values["lua-path"] !== undefined ? absoluteLuaPath(values["lua-path"]) : undefined,
    signal,
    onProgress: (p) => progress.update(p),
  });
  progress.done();
  if (values.json) process.stdout.write(JSON.stringify(result.run, null, 2) + "\n");
  else process.stdout.write(formatReport(result.run, result.dir, process.cwd(), paintFor(process.stdout)) + "\n");
  if (values.open && result.run.profile.files.flamegraph) {
    const file = `${result.dir}/${result.run.profile.files.flamegraph}`;
    const opener = process.platform === "darwin" ? "open" : process.platform === "win32" ? "explorer" : "xdg-open";
    spawn(opener, [file], { detached: true, stdio: "ignore" }).on("error", () => process.stderr.write(`could not open a browser; the flamegraph is at ${file}\n`)).unref();
  }
  if (signal.aborted) return 130;
  const missed = result.run.budgets.filter((b) => !b.ok);
  if (missed.length) {
    if (values.json) for (const b of missed) process.stderr.write(`BUDGET MISSED: ${b.message}\n`);
    return 1;
  }
  return 0;
}
