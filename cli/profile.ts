// `moonscope profile <app.lua> --route "GET /hello"`: the product's main job.
import { spawn } from "node:child_process";
import { flags, interruptSignal, readArgs, strings } from "./command";
import { ProgressLine } from "./progress";
import { ensureProfiler } from "./profiler-setup";
import { runProfileSession, type ProfileSessionOptions, type Progress } from "../daemon/session/profile-session";
import { parseBudgets } from "../daemon/report/analyze";
import { formatReport } from "../daemon/report/format";
import { paintFor } from "../daemon/report/paint";
import { measureHelp, MEASURE_OPTIONS, measureSettings } from "./measure-args";
import { parseIntArg } from "./args";
import { MoonscopeError } from "../profile/errors";
import { EXPORT_FORMATS } from "../profile/exports";

function exportFiles(): string {
  const files = Object.values(EXPORT_FORMATS).map((f) => f.file);
  return `${files.slice(0, -1).join(", ")} and ${files[files.length - 1]}`;
}

export const PROFILE_HELP = `Usage: moonscope profile <app.lua> --route "GET /hello" [options]

Starts the app, drives load at one route, and reports per-stage timings, latency, CPU and the
hottest Lua and JavaScript functions. Writes run.json, the profile and a copy of the app's Lua
files (app/) to the run folder, so \`moonscope ab\` can run this version again. The profile's files:
${exportFiles()}.

Options:
${measureHelp()}  --host ADDR             where the app listens (default 127.0.0.1; 0.0.0.0 for load from another machine)
  --port N                its port (default 0: a free one)
  --out DIR               run folder (default .moonscope/runs/<time>-<method>-<path>)
  --json                  print the run as JSON instead of the text report
  --budget LIST           e.g. p99=5ms,rps=20000,errors=0: exit 1 when one is missed
  --open                  open flamegraph.svg when done
  --quiet                 no progress on stderr (the report, warnings and errors still print)
  --yes, -y               install 0x or clinic when the mode needs it, without asking (or MOONSCOPE_YES=1)
`;

export async function profileCommand(argv: string[]): Promise<number> {
  const args = readArgs(
    argv,
    {
      ...MEASURE_OPTIONS,
      ...strings("out", "budget", "host", "port"),
      ...flags("json", "open", "quiet"),
      yes: { type: "boolean", short: "y" },
    },
    PROFILE_HELP,
  );
  if (!args) return 0;
  const { values, positionals } = args;
  if (positionals.length !== 1) throw new MoonscopeError("MS_ERR_USAGE", 'profile needs one app file, e.g. moonscope profile examples/hello/app.lua --route "GET /hello"');
  if (!values.route) throw new MoonscopeError("MS_ERR_USAGE", 'profile needs --route, e.g. --route "GET /hello"');
  const m = measureSettings(values);
  const signal = interruptSignal("stopping: cleaning up the app and the load generator");
  await ensureProfiler(m.mode, { yes: values.yes ?? false, quiet: values.quiet ?? false, signal });
  const progress = new ProgressLine(process.stderr, values.quiet ? "quiet" : process.stderr.isTTY && !values.json ? "tty" : "log", m.warmupMs);
  const result = await runProfileSession({
    ...m,
    appFile: positionals[0],
    route: values.route,
    out: values.out,
    host: values.host,
    port: values.port !== undefined ? parseIntArg("--port", values.port, 0, 65535) : undefined,
    budgets: values.budget ? parseBudgets(values.budget) : [],
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
