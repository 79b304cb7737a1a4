// The formats a profile is exported in, defined once: the file each is written to beside run.json,
// its extension and label for save dialogs, its content type, and how a call tree becomes one. The
// run writer, `moonscope export`, the daemon's exportRun, the dashboard's file server, the panel's
// buttons and the extension's save dialog all read this table.
import { toFolded, type CallTree } from "./calltree";
import { toCpuProfile } from "./cpuprofile";
import { flamegraphSvg } from "./flamegraph-svg";
import { encodePprof, type PprofTree } from "./pprof";
import { toSpeedscope } from "./speedscope";

export interface ExportFormatInfo {
  /** File name in a run folder. */
  file: string;
  /** Key in run.json's profile.files. */
  runFileKey: string;
  /** Extension for a save dialog (without the dot). */
  ext: string;
  /** What a person calls it. */
  label: string;
  contentType: string;
  /** Written gzipped: renderProfile gives the raw bytes, the writer (where zlib is) compresses them. */
  gzip?: true;
}

export const EXPORT_FORMATS = {
  svg: { file: "flamegraph.svg", runFileKey: "flamegraph", ext: "svg", label: "Flamegraph SVG", contentType: "image/svg+xml" },
  cpuprofile: { file: "profile.cpuprofile", runFileKey: "cpuprofile", ext: "cpuprofile", label: "V8 CPU profile", contentType: "application/json" },
  speedscope: { file: "profile.speedscope.json", runFileKey: "speedscope", ext: "speedscope.json", label: "speedscope", contentType: "application/json" },
  folded: { file: "profile.folded", runFileKey: "folded", ext: "folded", label: "Folded stacks", contentType: "text/plain; charset=utf-8" },
  pprof: { file: "profile.pb.gz", runFileKey: "pprof", ext: "pb.gz", label: "pprof", contentType: "application/octet-stream", gzip: true },
} as const satisfies Record<string, ExportFormatInfo>;

export type ExportFormat = keyof typeof EXPORT_FORMATS;
export const EXPORT_FORMAT_NAMES = Object.keys(EXPORT_FORMATS) as ExportFormat[];

export function isExportFormat(x: unknown): x is ExportFormat {
  return typeof x === "string" && Object.prototype.hasOwnProperty.call(EXPORT_FORMATS, x);
}

/** What a profile is exported from. */
export interface ExportInput {
  /** The tree the flamegraph formats show: the merged one, or one worker's. */
  tree: CallTree;
  /** The same time by worker, for formats that label samples with their worker (pprof). */
  workers: readonly PprofTree[];
  /** The SVG and speedscope show the title. */
  title: string;
  subtitle?: string;
  /** "GET /users/:id" */
  route: string;
  /** The CPU sampling interval, µs. */
  periodUs: number;
  /** When measuring started (ms since the epoch) and for how long. */
  startMs?: number;
  durationMs?: number;
}

/** The profile in `format`: text, or the bytes of a binary format (gzip them when the table says so). */
export function renderProfile(input: ExportInput, format: ExportFormat): string | Uint8Array {
  const tree = input.tree;
  switch (format) {
    case "svg":
      return flamegraphSvg(tree, { title: input.title, subtitle: input.subtitle });
    case "cpuprofile":
      return JSON.stringify(toCpuProfile(tree));
    case "folded":
      return toFolded(tree);
    case "speedscope":
      return JSON.stringify(toSpeedscope(tree, input.title));
    case "pprof":
      return encodePprof({
        trees: input.workers,
        route: input.route,
        periodUs: input.periodUs,
        startMs: input.startMs,
        durationMs: input.durationMs,
        comments: [input.title, ...(input.subtitle ? [input.subtitle] : [])],
      });
  }
}
