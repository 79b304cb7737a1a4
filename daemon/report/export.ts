// A run's profile in the export formats: what the run writer and `moonscope export` (and the daemon's
// exportRun) share, so a run folder's files and a later export of an old run are the same bytes.
import { gzipSync } from "node:zlib";
import type { CallTree } from "../../profile/calltree";
import { EXPORT_FORMATS, renderProfile, type ExportFormat, type ExportInput } from "../../profile/exports";
import type { RunFile } from "../../profile/run";
import { loadTree } from "../../profile/tree-store";
import { MoonscopeError } from "../../profile/errors";

export { EXPORT_FORMAT_NAMES, type ExportFormat } from "../../profile/exports";

/** The profile in format, ready to write (gzipped when the format is). */
export function exportBytes(input: ExportInput, format: ExportFormat): string | Buffer {
  const data = renderProfile(input, format);
  const info = EXPORT_FORMATS[format] as { gzip?: true };
  if (info.gzip) return gzipSync(data);
  return typeof data === "string" ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

/**
 * What a run's exports are made of: its merged tree (or one worker's, with worker) and the trees by
 * worker, from run.json (old runs included); merged, when given, is the session's own unrounded tree.
 */
export function exportInput(run: RunFile, titles: { title: string; subtitle?: string }, opts: { worker?: string; merged?: CallTree } = {}): ExportInput {
  const perWorker = run.profile.perWorker ?? [];
  let tree: CallTree | null = opts.merged ?? (run.profile.merged ? loadTree(run.profile.merged) : null);
  let workers = perWorker.map((w) => ({ worker: w.worker, pid: w.pid, tree: loadTree(w.tree) }));
  if (opts.worker !== undefined) {
    const w = workers.find((x) => String(x.worker) === opts.worker);
    if (!w) throw new MoonscopeError("MS_ERR_USAGE", `the run has no worker ${opts.worker}; it has ${workers.map((x) => x.worker).join(", ") || "none"}`);
    tree = w.tree;
    workers = [w];
  }
  if (!tree) throw new MoonscopeError("MS_ERR_NO_PROFILE", `${run.id} has no CPU profile (it ran with --mode none); profile again with --mode sample`);
  const created = Date.parse(run.createdAt);
  return {
    tree,
    // A run stored without its workers' trees still exports: its merged tree, with no worker label.
    workers: workers.length > 0 ? workers : [{ tree }],
    title: titles.title,
    subtitle: titles.subtitle,
    route: `${run.route.method} ${run.route.path}`,
    periodUs: run.options.cpuIntervalUs,
    ...(Number.isFinite(created) ? { startMs: created } : {}),
    durationMs: run.session?.windowMs ?? run.options.durationMs,
  };
}

/** The merged profile (or one worker's) rendered as format; a clear error when the run has none. */
export function renderExport(run: RunFile, format: ExportFormat, worker?: string): string | Buffer {
  return exportBytes(exportInput(run, { title: `${run.route.method} ${run.route.path} (${run.id})` }, { worker }), format);
}
