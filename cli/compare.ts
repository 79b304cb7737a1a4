// `moonscope compare <runA> <runB>`: what got better or worse, and a differential flamegraph.
import path from "node:path";
import { flags, readArgs, strings } from "./command";
import { frameLabel } from "../profile/frames";
import { compareRuns, diffSvg, type Delta } from "../profile/compare";
import { readRun, writeFileAtomic } from "../daemon/runs/store";
import { MoonscopeError } from "../profile/errors";
import { paintFor, type Paint } from "../daemon/report/paint";

export const COMPARE_HELP = `Usage: moonscope compare <runA> <runB> [--out diff.svg] [--json]

Compares two runs (folders or run.json files): throughput, client latency, every stage's mean and
p99, and the functions whose share of the CPU changed. Writes a differential flamegraph (red:
slower in B, blue: faster) to --out, by default compare.svg in B's folder.
`;

const fmt = (us: number) => (us >= 1000 ? `${(us / 1000).toFixed(2)} ms` : `${us.toFixed(2)} us`);

function line(d: Delta, unit: (v: number) => string, paint: Paint): string {
  const sign = d.relative >= 0 ? "+" : "";
  const mark = d.change === "slower" ? paint("bad", "WORSE ") : d.change === "faster" ? paint("good", "BETTER") : "same  ";
  return `  ${mark} ${d.name.padEnd(10)} ${unit(d.before).padStart(10)} -> ${unit(d.after).padStart(10)}  ${sign}${(d.relative * 100).toFixed(1)}%  (${d.change === "within noise" ? "within noise: " + d.why : d.why})`;
}

export async function compareCommand(argv: string[]): Promise<number> {
  const args = readArgs(argv, { ...strings("out"), ...flags("json") }, COMPARE_HELP);
  if (!args) return 0;
  const { values, positionals } = args;
  if (positionals.length !== 2) throw new MoonscopeError("MS_ERR_USAGE", "compare needs two runs: moonscope compare <runA> <runB>");
  const a = readRun(positionals[0]);
  const b = readRun(positionals[1]);
  const cmp = compareRuns(a.run, b.run);
  let svgFile: string | null = null;
  const svg = diffSvg(a.run, b.run);
  if (svg !== null) {
    svgFile = path.resolve(values.out ?? path.join(b.dir, "compare.svg"));
    writeFileAtomic(svgFile, svg);
  }
  if (values.json) {
    process.stdout.write(JSON.stringify({ ...cmp, frames: cmp.frames.slice(0, 50), diffFlamegraph: svgFile }, null, 2) + "\n");
    return 0;
  }
  const out: string[] = [];
  out.push(`Compare ${cmp.route}: A = ${a.run.id}, B = ${b.run.id}`);
  for (const n of cmp.notes) out.push(`note: ${n}`);
  out.push("", "Client:");
  const paint = paintFor(process.stdout);
  out.push(line(cmp.throughput, (v) => `${v.toFixed(0)}/s`, paint));
  for (const d of cmp.clientLatency) out.push(line(d, fmt, paint));
  out.push("", "Stage means:");
  for (const d of cmp.stageMeans) out.push(line(d, fmt, paint));
  out.push("", "Stage p99:");
  for (const d of cmp.stageP99) out.push(line(d, fmt, paint));
  const moved = cmp.frames.filter((f) => Math.abs(f.deltaShare) >= 0.005).slice(0, 10);
  if (moved.length) {
    out.push("", "Functions whose share of busy CPU changed most:");
    for (const f of moved) out.push(`  ${(f.deltaShare >= 0 ? "+" : "") + (f.deltaShare * 100).toFixed(1)}%  ${(f.beforeShare * 100).toFixed(1)}% -> ${(f.afterShare * 100).toFixed(1)}%  ${frameLabel(f.frame)}`);
  }
  if (svgFile) out.push("", `Differential flamegraph: ${path.relative(process.cwd(), svgFile)}`);
  process.stdout.write(out.join("\n") + "\n");
  return 0;
}
