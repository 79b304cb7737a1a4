// `moonscope profile <app.lua> --route "GET /hello"`: the product's main job.
import { spawn } from "node:child_process";
import os from "node:os";
import { parseArgs } from "node:util";
import { runProfileSession, type ProfileSessionOptions, type Progress } from "../daemon/session/profile-session";
import { EXTERNAL_MODES } from "../daemon/session/external-profilers";
import { parseBudgets } from "../daemon/report/analyze";
import { formatReport } from "../daemon/report/format";
import { SessionError } from "../daemon/session/errors";
import { absoluteLuaPath, parseDuration, parseIntArg } from "./args";

export const PROFILE_HELP = `Usage: moonscope profile <app.lua> --route "GET /hello" [options]

Starts the app, drives load at one route, and reports per-stage timings, latency, CPU and the
hottest Lua and JavaScript functions. Writes run.json, flamegraph.svg, profile.cpuprofile,
profile.folded and profile.speedscope.json to the run folder.

Options:
  --route "METHOD /path"  the route to load (a concrete path like /users/42, or /users/:id)
  --duration T            measured time (default 10s)
  --warmup T              load before measuring, not recorded (default 2s)
  --connections N         concurrent connections, closed loop (default 50)
  --rate N                fixed rate in req/s instead (uses autocannon)
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
  --cpu-interval US       V8 sampling interval in microseconds (default 2500)
  --lua-interval MS       Lua sampling interval in milliseconds (default 2; 0 turns the Lua sampler off)
  --lua-path PATHS        more places for require after the app's folder ("vendor/?.lua;;")
  --open                  open flamegraph.svg when done
`;

export async function profileCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      route: { type: "string" },
      duration: { type: "string" },
      warmup: { type: "string" },
      connections: { type: "string" },
      rate: { type: "string" },
      workers: { type: "string" },
      mode: { type: "string" },
      load: { type: "string" },
      body: { type: "string" },
      header: { type: "string", multiple: true },
      out: { type: "string" },
      json: { type: "boolean" },
      budget: { type: "string" },
      "cpu-interval": { type: "string" },
      "lua-interval": { type: "string" },
      "lua-path": { type: "string" },
      open: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    process.stdout.write(PROFILE_HELP);
    return 0;
  }
  if (positionals.length !== 1) throw new SessionError("MS_ERR_USAGE", 'profile needs one app file, e.g. moonscope profile examples/hello/app.lua --route "GET /hello"');
  if (!values.route) throw new SessionError("MS_ERR_USAGE", 'profile needs --route, e.g. --route "GET /hello"');
  const mode = values.mode ?? "sample";
  const modes = ["sample", "none", ...EXTERNAL_MODES];
  if (!modes.includes(mode)) throw new SessionError("MS_ERR_USAGE", `--mode is one of ${modes.join(", ")}; got "${mode}"`);
  const load = values.load;
  if (load !== undefined && load !== "wrk" && load !== "autocannon") throw new SessionError("MS_ERR_USAGE", `--load is wrk or autocannon, got "${load}"`);
  const headers: Record<string, string> = {};
  for (const h of values.header ?? []) {
    const i = h.indexOf(":");
    if (i <= 0) throw new SessionError("MS_ERR_USAGE", `--header takes "Name: value", got "${h}"`);
    headers[h.slice(0, i).trim()] = h.slice(i + 1).trim();
  }
  const durationMs = parseDuration("--duration", values.duration ?? "10s");
  if (durationMs < 1000) throw new SessionError("MS_ERR_USAGE", "--duration must be at least 1s");
  const controller = new AbortController();
  let interrupted = false;
  process.on("SIGINT", () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    process.stderr.write("\nstopping: cleaning up the app and the load generator (Ctrl-C again to force)\n");
    controller.abort();
  });
  const tty = process.stderr.isTTY && !values.json;
  let lastPhase = "";
  const onProgress = (p: Progress) => {
    if (!tty) {
      // Logs (CI, pipes) get one line per phase instead of a live bar.
      if (p.phase !== lastPhase && p.message) process.stderr.write(`${p.message}...\n`);
      lastPhase = p.phase;
      return;
    }
    if (p.phase === "measuring" && p.durationMs && p.elapsedMs !== undefined) {
      const frac = Math.min(1, p.elapsedMs / p.durationMs);
      const bar = "#".repeat(Math.round(frac * 24)).padEnd(24, ".");
      const live = p.rps !== undefined ? `  ${Math.round(p.rps)} req/s  server p99 ${(p.serverP99Us ?? 0).toFixed(0)} us` : "";
      process.stderr.write(`\r[${bar}] ${(p.elapsedMs / 1000).toFixed(1)}/${(p.durationMs / 1000).toFixed(0)} s${live}\x1b[K`);
    } else {
      process.stderr.write(`\r${p.message}...\x1b[K`);
    }
  };
  const result = await runProfileSession({
    appFile: positionals[0],
    route: values.route,
    durationMs,
    warmupMs: parseDuration("--warmup", values.warmup ?? "2s"),
    connections: parseIntArg("--connections", values.connections ?? "50", 1, 10000),
    rate: values.rate !== undefined ? parseIntArg("--rate", values.rate, 1, 10_000_000) : undefined,
    workers: values.workers !== undefined ? parseIntArg("--workers", values.workers, 1, 256) : Math.max(1, os.availableParallelism?.() ?? os.cpus().length),
    mode: mode as ProfileSessionOptions["mode"],
    load,
    out: values.out,
    budgets: values.budget ? parseBudgets(values.budget) : [],
    cpuIntervalUs: values["cpu-interval"] !== undefined ? parseIntArg("--cpu-interval", values["cpu-interval"], 50, 100000) : undefined,
    luaIntervalMs: values["lua-interval"] !== undefined ? parseIntArg("--lua-interval", values["lua-interval"], 0, 1000) : undefined,
    body: values.body,
    headers,
    luaPath: values["lua-path"] !== undefined ? absoluteLuaPath(values["lua-path"]) : undefined,
    signal: controller.signal,
    onProgress,
  });
  if (tty) process.stderr.write("\r\x1b[K");
  if (values.json) process.stdout.write(JSON.stringify(result.run, null, 2) + "\n");
  else process.stdout.write(formatReport(result.run, result.dir) + "\n");
  if (values.open && result.run.profile.files.flamegraph) {
    const file = `${result.dir}/${result.run.profile.files.flamegraph}`;
    const opener = process.platform === "darwin" ? "open" : process.platform === "win32" ? "explorer" : "xdg-open";
    spawn(opener, [file], { detached: true, stdio: "ignore" }).on("error", () => process.stderr.write(`could not open a browser; the flamegraph is at ${file}\n`)).unref();
  }
  if (controller.signal.aborted) return 130;
  const missed = result.run.budgets.filter((b) => !b.ok);
  if (missed.length) {
    if (values.json) for (const b of missed) process.stderr.write(`BUDGET MISSED: ${b.message}\n`);
    return 1;
  }
  return 0;
}
