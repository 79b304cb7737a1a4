// `moonscope export <run> --format svg|cpuprofile|folded|speedscope -o FILE`
import { parseArgs } from "node:util";
import { flamegraphSvg } from "../profile/flamegraph-svg";
import { toCpuProfile } from "../profile/cpuprofile";
import { toFolded } from "../profile/calltree";
import { toSpeedscope } from "../profile/speedscope";
import { loadTree } from "../profile/tree-store";
import { readRun, writeFileAtomic } from "../daemon/runs/store";
import { SessionError } from "../daemon/session/errors";

export const EXPORT_HELP = `Usage: moonscope export <run> --format svg|cpuprofile|folded|speedscope -o FILE [--worker N]

Writes a run's merged profile (or one worker's, with --worker) in another format.
`;

const FORMATS = ["svg", "cpuprofile", "folded", "speedscope"] as const;

export async function exportCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { format: { type: "string" }, o: { type: "string" }, out: { type: "string" }, worker: { type: "string" }, help: { type: "boolean", short: "h" } },
  });
  if (values.help) {
    process.stdout.write(EXPORT_HELP);
    return 0;
  }
  if (positionals.length !== 1) throw new SessionError("MS_ERR_USAGE", "export needs one run folder or run.json");
  const format = values.format as (typeof FORMATS)[number] | undefined;
  if (!format || !FORMATS.includes(format)) throw new SessionError("MS_ERR_USAGE", `--format is one of ${FORMATS.join(", ")}`);
  const file = values.o ?? values.out;
  if (!file) throw new SessionError("MS_ERR_USAGE", "export needs -o FILE");
  const { run } = readRun(positionals[0]);
  let stored = run.profile.merged;
  if (values.worker !== undefined) {
    const w = run.profile.perWorker.find((x) => String(x.worker) === values.worker);
    if (!w) throw new SessionError("MS_ERR_USAGE", `the run has no worker ${values.worker}; it has ${run.profile.perWorker.map((x) => x.worker).join(", ") || "none"}`);
    stored = w.tree;
  }
  if (!stored) throw new SessionError("MS_ERR_NO_PROFILE", `${run.id} has no CPU profile (it ran with --mode none); profile again with --mode sample`);
  const tree = loadTree(stored);
  const title = `${run.route.method} ${run.route.path} (${run.id})`;
  const data =
    format === "svg" ? flamegraphSvg(tree, { title }) : format === "cpuprofile" ? JSON.stringify(toCpuProfile(tree)) : format === "folded" ? toFolded(tree) : JSON.stringify(toSpeedscope(tree, title));
  writeFileAtomic(file, data);
  process.stdout.write(`wrote ${file} (${format}, ${Buffer.byteLength(data)} bytes)\n`);
  return 0;
}
