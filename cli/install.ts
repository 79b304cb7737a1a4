// `moonscope install 0x|clinic`: puts an outside profiler into Moonscope's profiler cache.
import { flags, readArgs } from "./command";
import { installWithProgress } from "./profiler-setup";
import { clinicNodeProblem } from "../daemon/session/external-profilers";
import { isProfilerTool, PROFILER_PACKAGES, PROFILER_TOOLS, profilerCacheDir } from "../daemon/session/profiler-install";
import { MoonscopeError } from "../profile/errors";

export const INSTALL_HELP = `Usage: moonscope install ${PROFILER_TOOLS.join("|")} [--quiet]

Installs an outside profiler for the --mode 0x and --mode clinic-* runs: ${PROFILER_TOOLS.map((t) => PROFILER_PACKAGES[t].spec).join(" and ")},
with npm, into Moonscope's profiler cache (${profilerCacheDir()};
MOONSCOPE_PROFILER_CACHE moves it). Your project is not touched. Installing again replaces it.
`;

export async function installCommand(argv: string[]): Promise<number> {
  const args = readArgs(argv, flags("quiet"), INSTALL_HELP);
  if (!args) return 0;
  const { values, positionals } = args;
  if (positionals.length !== 1 || !isProfilerTool(positionals[0])) {
    throw new MoonscopeError("MS_ERR_USAGE", `install needs one of ${PROFILER_TOOLS.join(", ")}${positionals.length ? `; got "${positionals.join(" ")}"` : ""}`);
  }
  const tool = positionals[0];
  await installWithProgress(tool, { quiet: values.quiet ?? false });
  const problem = tool === "clinic" ? clinicNodeProblem() : null;
  if (problem) process.stderr.write(`note: ${problem}\n`);
  return 0;
}
