// A stored run's profile in another file format: shared by `moonscope export` and the daemon's exportRun.
import { renderTree, type ExportFormat } from "../../profile/exports";
import type { RunFile } from "../../profile/run";
import { loadTree } from "../../profile/tree-store";
import { MoonscopeError } from "../../profile/errors";

export { EXPORT_FORMAT_NAMES, type ExportFormat } from "../../profile/exports";

/** The merged profile (or one worker's) rendered as format; a clear error when the run has none. */
export function renderExport(run: RunFile, format: ExportFormat, worker?: string): string {
  let stored = run.profile.merged;
  if (worker !== undefined) {
    const w = run.profile.perWorker.find((x) => String(x.worker) === worker);
    if (!w) throw new MoonscopeError("MS_ERR_USAGE", `the run has no worker ${worker}; it has ${run.profile.perWorker.map((x) => x.worker).join(", ") || "none"}`);
    stored = w.tree;
  }
  if (!stored) throw new MoonscopeError("MS_ERR_NO_PROFILE", `${run.id} has no CPU profile (it ran with --mode none); profile again with --mode sample`);
  return renderTree(loadTree(stored), format, `${run.route.method} ${run.route.path} (${run.id})`);
}
