// `moonscope export <run> --format svg|cpuprofile|folded|speedscope -o FILE`
import { parseArgs } from "node:util";
import { EXPORT_FORMATS, renderExport } from "../daemon/report/export";
import { readRun, writeFileAtomic } from "../daemon/runs/store";
import { SessionError } from "../daemon/session/errors";

export const EXPORT_HELP = `Usage: moonscope export <run> --format svg|cpuprofile|folded|speedscope -o FILE [--worker N]

Writes a run's merged profile (or one worker's, with --worker) in another format.
`;

const FORMATS = EXPORT_FORMATS;

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
  const data = renderExport(run, format, values.worker);
  writeFileAtomic(file, data);
  process.stdout.write(`wrote ${file} (${format}, ${Buffer.byteLength(data)} bytes)\n`);
  return 0;
}
