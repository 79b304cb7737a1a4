// `moonscope compare <runA> <runB>`: what got slower or faster, judged against the noise, what
// differs between the runs, and a differential flamegraph.
import path from "node:path";
import { flags, readArgs, strings } from "./command";
import { allDeltas, compareRuns, diffSvg, type Comparison } from "../profile/compare";
import { readRun, writeFileAtomic } from "../daemon/runs/store";
import { MoonscopeError } from "../profile/errors";
import { paintFor } from "../daemon/report/paint";
import { formatComparison, markdownComparison } from "../daemon/report/compare-format";

export const COMPARE_HELP = `Usage: moonscope compare <runA> <runB> [--out diff.svg] [--json | --markdown] [--fail-on slower]

Compares two runs (folders or run.json files): throughput, the workers' CPU time per request,
client latency, every stage's mean and p99, and the functions whose share of the CPU changed. Each
metric is judged across the runs' rounds; "slower" or "faster" only when the change is larger than
what the noise could have made, otherwise "no change detected" with the smallest change this noise
could have shown. Also says what differs between the runs (options, machine, Node, app files).
Writes a differential flamegraph (red: more CPU share in B, blue: less) to --out, by default
compare.svg in B's folder.

Options:
  --json             the comparison as JSON
  --markdown         a Markdown table, for a pull request
  --fail-on slower   exit 1 when any metric is slower (for CI)
  --out FILE         where the differential flamegraph goes
`;

/** The --fail-on values: what makes the command exit 1. */
export const FAIL_ON = ["slower"] as const;

export function checkFailOn(value: string | undefined): "slower" | undefined {
  if (value === undefined) return undefined;
  if (!(FAIL_ON as readonly string[]).includes(value)) throw new MoonscopeError("MS_ERR_USAGE", `--fail-on takes ${FAIL_ON.join(", ")}; got "${value}"`);
  return value as "slower";
}

/** Prints a comparison the way the flags ask, and answers the exit code (1 when --fail-on slower and something is slower). */
export function printComparison(cmp: Comparison, values: { json?: boolean; markdown?: boolean }, failOn: "slower" | undefined, extra: { svgFile: string | null; lines?: string[] }): number {
  if (values.json) process.stdout.write(JSON.stringify({ ...cmp, frames: cmp.frames.slice(0, 50), diffFlamegraph: extra.svgFile }, null, 2) + "\n");
  else if (values.markdown) process.stdout.write(markdownComparison(cmp));
  else {
    const lines = [...(extra.lines ?? [])];
    if (extra.svgFile) lines.push(`Differential flamegraph: ${path.relative(process.cwd(), extra.svgFile)}`);
    process.stdout.write(formatComparison(cmp, paintFor(process.stdout), lines) + "\n");
  }
  const slower = allDeltas(cmp).filter(({ delta }) => delta.change === "slower").map(({ delta }) => delta);
  if (failOn === "slower" && slower.length > 0) {
    process.stderr.write(`FAILED (--fail-on slower): ${slower.map((d) => d.name).join(", ")} slower\n`);
    return 1;
  }
  return 0;
}

export async function compareCommand(argv: string[]): Promise<number> {
  const args = readArgs(argv, { ...strings("out", "fail-on"), ...flags("json", "markdown") }, COMPARE_HELP);
  if (!args) return 0;
  const { values, positionals } = args;
  if (positionals.length !== 2) throw new MoonscopeError("MS_ERR_USAGE", "compare needs two runs: moonscope compare <runA> <runB>");
  if (values.json && values.markdown) throw new MoonscopeError("MS_ERR_USAGE", "--json and --markdown are two ways to print; pick one");
  const failOn = checkFailOn(values["fail-on"]);
  const a = readRun(positionals[0]);
  const b = readRun(positionals[1]);
  // A run against itself can only say "no change", which reads as "your change did nothing".
  if (path.resolve(a.dir) === path.resolve(b.dir)) throw new MoonscopeError("MS_ERR_USAGE", `both sides are the same run (${a.run.id}); compare it with another run of the route`);
  const cmp = compareRuns(a.run, b.run);
  let svgFile: string | null = null;
  const svg = diffSvg(a.run, b.run);
  if (svg !== null) {
    svgFile = path.resolve(values.out ?? path.join(b.dir, "compare.svg"));
    writeFileAtomic(svgFile, svg);
  }
  return printComparison(cmp, values, failOn, { svgFile });
}
