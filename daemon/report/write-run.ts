// A run folder's files: the profile in every export format, then run.json.
import path from "node:path";
import type { CallTree } from "../../profile/calltree";
import { EXPORT_FORMATS, EXPORT_FORMAT_NAMES } from "../../profile/exports";
import type { RunFile } from "../../profile/run";
import { finishRunDir, writeFileAtomic } from "../runs/store";
import { exportBytes, exportInput } from "./export";
import { exportTitles } from "./run-file";

/** Writes run (from buildRunFile) and, when there is a profile, the exports it lists, into dir. */
export function writeRunFolder(dir: string, run: RunFile, merged: CallTree | null): void {
  if (merged) {
    const input = exportInput(run, exportTitles(run), { merged });
    for (const f of EXPORT_FORMAT_NAMES) writeFileAtomic(path.join(dir, EXPORT_FORMATS[f].file), exportBytes(input, f));
  }
  // Last: a folder without run.json is an unfinished run, never one whose run.json names missing files.
  writeFileAtomic(path.join(dir, "run.json"), JSON.stringify(run));
  finishRunDir(dir);
}
