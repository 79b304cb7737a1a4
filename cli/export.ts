// `moonscope export <run> --format svg|cpuprofile|speedscope|folded|pprof -o FILE`
import { readArgs, strings } from "./command";
import { EXPORT_FORMAT_NAMES, renderExport } from "../daemon/report/export";
import { isExportFormat } from "../profile/exports";
import { readRun, writeFileAtomic } from "../daemon/runs/store";
import { MoonscopeError } from "../profile/errors";

export const EXPORT_HELP = `Usage: moonscope export <run> --format ${EXPORT_FORMAT_NAMES.join("|")} -o FILE [--worker N]

Writes a run's merged profile (or one worker's, with --worker) in another format. -o - writes it
to standard output (the confirmation goes to standard error then).
`;

export async function exportCommand(argv: string[]): Promise<number> {
  const args = readArgs(argv, strings("format", "o", "out", "worker"), EXPORT_HELP);
  if (!args) return 0;
  const { values, positionals } = args;
  if (positionals.length !== 1) throw new MoonscopeError("MS_ERR_USAGE", "export needs one run folder or run.json");
  const format = values.format;
  if (!isExportFormat(format)) throw new MoonscopeError("MS_ERR_USAGE", `--format is one of ${EXPORT_FORMAT_NAMES.join(", ")}`);
  const file = values.o ?? values.out;
  if (!file) throw new MoonscopeError("MS_ERR_USAGE", "export needs -o FILE");
  const { run } = readRun(positionals[0]);
  const data = renderExport(run, format, values.worker);
  if (file === "-") {
    process.stdout.write(data);
    process.stderr.write(`wrote ${format} to standard output (${Buffer.byteLength(data)} bytes)\n`);
    return 0;
  }
  writeFileAtomic(file, data);
  process.stdout.write(`wrote ${file} (${format}, ${Buffer.byteLength(data)} bytes)\n`);
  return 0;
}
