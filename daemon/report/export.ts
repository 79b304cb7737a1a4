// A stored run's profile in another file format: shared by `moonscope export` and the daemon's exportRun.
import { toFolded } from "../../profile/calltree";
import { toCpuProfile } from "../../profile/cpuprofile";
import { flamegraphSvg } from "../../profile/flamegraph-svg";
import type { RunFile } from "../../profile/run";
import { toSpeedscope } from "../../profile/speedscope";
import { loadTree } from "../../profile/tree-store";
import { SessionError } from "../session/errors";

export const EXPORT_FORMATS = ["svg", "cpuprofile", "folded", "speedscope"] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** The merged profile (or one worker's) rendered as format; a clear error when the run has none. */
export function renderExport(run: RunFile, format: ExportFormat, worker?: string): string {
  let stored = run.profile.merged;
  if (worker !== undefined) {
    const w = run.profile.perWorker.find((x) => String(x.worker) === worker);
    if (!w) throw new SessionError("MS_ERR_USAGE", `the run has no worker ${worker}; it has ${run.profile.perWorker.map((x) => x.worker).join(", ") || "none"}`);
    stored = w.tree;
  }
  if (!stored) throw new SessionError("MS_ERR_NO_PROFILE", `${run.id} has no CPU profile (it ran with --mode none); profile again with --mode sample`);
  const tree = loadTree(stored);
  const title = `${run.route.method} ${run.route.path} (${run.id})`;
  switch (format) {
    case "svg":
      return flamegraphSvg(tree, { title });
    case "cpuprofile":
      return JSON.stringify(toCpuProfile(tree));
    case "folded":
      return toFolded(tree);
    case "speedscope":
      return JSON.stringify(toSpeedscope(tree, title));
    default: {
      const _exhaustive: never = format;
      throw new SessionError("MS_ERR_USAGE", `unknown format ${String(_exhaustive)}`);
    }
  }
}
