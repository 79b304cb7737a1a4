// The formats a profile is exported in, defined once: the file each is written to beside run.json,
// its extension and label for save dialogs, its content type, and how a call tree becomes one. The
// run writer, `moonscope export`, the daemon's exportRun, the dashboard's file server, the panel's
// buttons and the extension's save dialog all read this table.
import { toFolded, type CallTree } from "./calltree";
import { toCpuProfile } from "./cpuprofile";
import { flamegraphSvg } from "./flamegraph-svg";
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
}

export const EXPORT_FORMATS = {
  svg: { file: "flamegraph.svg", runFileKey: "flamegraph", ext: "svg", label: "Flamegraph SVG", contentType: "image/svg+xml" },
  cpuprofile: { file: "profile.cpuprofile", runFileKey: "cpuprofile", ext: "cpuprofile", label: "V8 CPU profile", contentType: "application/json" },
  speedscope: { file: "profile.speedscope.json", runFileKey: "speedscope", ext: "speedscope.json", label: "speedscope", contentType: "application/json" },
  folded: { file: "profile.folded", runFileKey: "folded", ext: "folded", label: "Folded stacks", contentType: "text/plain; charset=utf-8" },
} as const satisfies Record<string, ExportFormatInfo>;

export type ExportFormat = keyof typeof EXPORT_FORMATS;
export const EXPORT_FORMAT_NAMES = Object.keys(EXPORT_FORMATS) as ExportFormat[];

export function isExportFormat(x: unknown): x is ExportFormat {
  return typeof x === "string" && Object.prototype.hasOwnProperty.call(EXPORT_FORMATS, x);
}

/** The tree in `format`, titled (the SVG and speedscope show the title). */
export function renderTree(tree: CallTree, format: ExportFormat, title: string, subtitle?: string): string {
  switch (format) {
    case "svg":
      return flamegraphSvg(tree, { title, subtitle });
    case "cpuprofile":
      return JSON.stringify(toCpuProfile(tree));
    case "folded":
      return toFolded(tree);
    case "speedscope":
      return JSON.stringify(toSpeedscope(tree, title));
  }
}
