// The `moonscope` command line.
import { describeError } from "../profile/errors";
import { MOONSCOPE_VERSION } from "../profile/version";
import { serveCommand, SERVE_HELP } from "./serve";
import { profileCommand, PROFILE_HELP } from "./profile";
import { compareCommand, COMPARE_HELP } from "./compare";
import { abCommand, AB_HELP } from "./ab";
import { exportCommand, EXPORT_HELP } from "./export";
import { sweepCommand, SWEEP_HELP } from "./sweep";
import { lspCommand, LSP_HELP } from "./lsp";
import { dashboardCommand, DASHBOARD_HELP } from "./dashboard";
import { doctorCommand, DOCTOR_HELP } from "./doctor";
import { installCommand, INSTALL_HELP } from "./install";
import { initCommand, INIT_HELP } from "./init";

/** Every command: how it runs, its usage, and its line in the overview. */
const COMMANDS: Record<string, { run: (argv: string[]) => Promise<number>; help: string; summary: string }> = {
  profile: { run: profileCommand, help: PROFILE_HELP, summary: "profile <app.lua>   load one route and report per-stage timings, CPU and hot spots; write a flamegraph" },
  compare: { run: compareCommand, help: COMPARE_HELP, summary: "compare <A> <B>     compare two runs: stage and latency deltas, differential flamegraph" },
  ab: { run: abCommand, help: AB_HELP, summary: "ab <A> <B>          two versions (apps or runs) measured in one go, rounds interleaved, and compared" },
  export: { run: exportCommand, help: EXPORT_HELP, summary: "export <run>        write a run's profile as svg, cpuprofile, speedscope or folded" },
  sweep: { run: sweepCommand, help: SWEEP_HELP, summary: "sweep <app.lua>     how a route scales with connections and workers (table, knee, sweep.svg)" },
  dashboard: { run: dashboardCommand, help: DASHBOARD_HELP, summary: "dashboard           the panel in a browser (127.0.0.1, token): live runs, flamegraphs, compare" },
  doctor: { run: doctorCommand, help: DOCTOR_HELP, summary: "doctor              what this machine has for Moonscope (wrk, 0x, clinic, ...) and how to get what it lacks" },
  install: { run: installCommand, help: INSTALL_HELP, summary: "install 0x|clinic   install an outside profiler into Moonscope's cache (for --mode 0x, clinic-*)" },
  init: { run: initCommand, help: INIT_HELP, summary: "init [folder]       a .luarc.json that gives the Lua language server Moonscope's definitions (api, ctx, rover, cjson)" },
  lsp: { run: lspCommand, help: LSP_HELP, summary: "lsp --stdio         the language server editors start (code lenses, profiling requests)" },
  serve: { run: serveCommand, help: SERVE_HELP, summary: "serve <app.lua>     run a Lua app on the multi-worker server" },
};

const HELP = `Usage: moonscope <command> [options]

Commands:
${Object.values(COMMANDS)
  .map((c) => `  ${c.summary}`)
  .join("\n")}

Run \`moonscope help <command>\` (or \`moonscope <command> --help\`) for a command's options,
\`moonscope --version\` (-V) for the version.
`;

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (cmd === "--version" || cmd === "-V" || cmd === "version") {
    process.stdout.write(`moonscope ${MOONSCOPE_VERSION} (Node ${process.version})\n`);
    return 0;
  }
  if (cmd === undefined || cmd === "help" || cmd === "--help" || cmd === "-h") {
    const topic = cmd === "help" ? rest[0] : undefined;
    if (topic !== undefined && !Object.hasOwn(COMMANDS, topic)) return unknown(topic);
    process.stdout.write(topic !== undefined ? COMMANDS[topic].help : HELP);
    return 0;
  }
  if (!Object.hasOwn(COMMANDS, cmd)) return unknown(cmd);
  try {
    return await COMMANDS[cmd].run(rest);
  } catch (e) {
    // A usage mistake of any kind (a flag, a value, a missing file) is answered with the command's usage.
    if ((e as { code?: unknown }).code === "MS_ERR_USAGE" && !(e as Error).message.includes("Usage: ")) (e as Error).message += `\n\n${COMMANDS[cmd].help}`;
    throw e;
  }
}

function unknown(cmd: string): number {
  process.stderr.write(`error MS_ERR_USAGE: unknown command "${cmd}"\n\n${HELP}`);
  return 2;
}

/** Exits once stdout and stderr are flushed: a large --json report into a pipe must not be cut short. */
function exitAfterFlush(code: number): void {
  process.stdout.write("", () => process.stderr.write("", () => process.exit(code)));
}

main(process.argv.slice(2)).then(exitAfterFlush, (e) => {
  process.stderr.write(describeError(e) + "\n");
  exitAfterFlush((e as { code?: string }).code === "MS_ERR_USAGE" ? 2 : 1);
});
