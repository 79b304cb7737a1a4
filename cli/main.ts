// The `moonscope` command line.
import { describeError } from "../server-core/errors";
import { serveCommand, SERVE_HELP } from "./serve";
import { profileCommand, PROFILE_HELP } from "./profile";
import { compareCommand } from "./compare";
import { exportCommand } from "./export";
import { sweepCommand } from "./sweep";
import { lspCommand } from "./lsp";
import { dashboardCommand } from "./dashboard";

const HELP = `Usage: moonscope <command> [options]

Commands:
  profile <app.lua>   load one route and report per-stage timings, CPU and hot spots; write a flamegraph
  compare <A> <B>     compare two runs: stage and latency deltas, differential flamegraph
  export <run>        write a run's profile as svg, cpuprofile, folded or speedscope
  sweep <app.lua>     how a route scales with connections and workers (table, knee, sweep.svg)
  dashboard           the panel in a browser (127.0.0.1, token): live runs, flamegraphs, compare
  lsp --stdio         the language server editors start (code lenses, profiling requests)
  serve <app.lua>     run a Lua app on the multi-worker server

Run \`moonscope <command> --help\` for a command's options.
`;

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  switch (cmd) {
    case "serve":
      return serveCommand(rest);
    case "profile":
      return profileCommand(rest);
    case "compare":
      return compareCommand(rest);
    case "export":
      return exportCommand(rest);
    case "sweep":
      return sweepCommand(rest);
    case "lsp":
      return lspCommand(rest);
    case "dashboard":
      return dashboardCommand(rest);
    case undefined:
    case "help":
    case "--help":
    case "-h":
      process.stdout.write(HELP + "\n" + PROFILE_HELP + "\n" + SERVE_HELP);
      return 0;
    default:
      process.stderr.write(`error MS_ERR_USAGE: unknown command "${cmd}"\n\n${HELP}`);
      return 2;
  }
}

/** Exits once stdout and stderr are flushed: a large --json report into a pipe must not be cut short. */
function exitAfterFlush(code: number): void {
  process.stdout.write("", () => process.stderr.write("", () => process.exit(code)));
}

main(process.argv.slice(2)).then(exitAfterFlush, (e) => {
  process.stderr.write(describeError(e) + "\n");
  exitAfterFlush((e as { code?: string }).code === "MS_ERR_USAGE" ? 2 : 1);
});
