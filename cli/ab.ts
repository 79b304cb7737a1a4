// `moonscope ab <A> <B> --route ...`: two versions of an app measured in one go, rounds
// interleaved, each side written as a run, and the comparison judged on the paired rounds.
import { flags, interruptSignal, readArgs, strings } from "./command";
import { measureHelp, MEASURE_OPTIONS, measureSettings } from "./measure-args";
import { checkFailOn, printComparison } from "./compare";
import { ProgressLine } from "./progress";
import { ensureProfiler } from "./profiler-setup";
import { runAbSession } from "../daemon/session/ab-session";
import { AB_DEFAULTS } from "../protocol/types";
import { MoonscopeError } from "../profile/errors";
import path from "node:path";

export const AB_HELP = `Usage: moonscope ab <A> <B> [--route "GET /x"] [--runs N] [options]

Measures two versions of an app in one go: both run at once, and their rounds alternate (A B, B A,
A B, ...) so drift on the machine falls on both alike. Each side is an app's entry file, or a run
folder, whose copy of the app is run again: \`moonscope ab .moonscope/runs/<last> app.lua\`
compares the code you profiled last with the code you have now. Writes both runs (…-A and …-B)
and the differential flamegraph (compare.svg in B's run), and prints the comparison.

--route defaults to the route of a run given as a side.

Options:
${measureHelp(AB_DEFAULTS)}  --json                  the comparison as JSON
  --markdown              a Markdown table, for a pull request
  --fail-on slower        exit 1 when any metric is slower (for CI)
  --quiet                 no progress on stderr
  --yes, -y               install 0x or clinic when the mode needs it, without asking
`;

export async function abCommand(argv: string[]): Promise<number> {
  const args = readArgs(argv, { ...MEASURE_OPTIONS, ...strings("fail-on"), ...flags("json", "markdown", "quiet"), yes: { type: "boolean", short: "y" } }, AB_HELP);
  if (!args) return 0;
  const { values, positionals } = args;
  if (positionals.length !== 2) throw new MoonscopeError("MS_ERR_USAGE", "ab needs two sides: moonscope ab <appA|runA> <appB|runB>");
  if (values.json && values.markdown) throw new MoonscopeError("MS_ERR_USAGE", "--json and --markdown are two ways to print; pick one");
  const failOn = checkFailOn(values["fail-on"]);
  const m = measureSettings({ ...values, runs: values.runs ?? String(AB_DEFAULTS.runs), duration: values.duration ?? `${AB_DEFAULTS.durationMs}ms` });
  const signal = interruptSignal("stopping: cleaning up both apps and the load generator");
  await ensureProfiler(m.mode, { yes: values.yes ?? false, quiet: values.quiet ?? false, signal });
  const progress = new ProgressLine(process.stderr, values.quiet ? "quiet" : process.stderr.isTTY && !values.json && !values.markdown ? "tty" : "log", m.warmupMs);
  const r = await runAbSession({ ...m, a: positionals[0], b: positionals[1], budgets: [], signal, onProgress: (p) => progress.update(p) });
  progress.done();
  const rel = (d: string) => path.relative(process.cwd(), d) || d;
  const code = printComparison(r.comparison, values, failOn, { svgFile: r.svgFile, lines: [`Runs: A ${rel(r.a.dir)}, B ${rel(r.b.dir)} (order ${r.order})`] });
  return signal.aborted ? 130 : code;
}
