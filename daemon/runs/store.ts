// Run folders: `.moonscope/runs/<time>-<method>-<path>/` with run.json written last and atomically
// (temp file + rename), so a folder without run.json is an unfinished run and never a corrupt one.
// While a process writes a run folder it holds a lock folder in it that names its pid; a folder
// whose writer died (a SIGKILLed `moonscope profile`) before run.json is removed when runs are
// listed, temp files included. deleteRunDir is the one way a finished run is deleted, under the same lock.
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, existsSync } from "node:fs";
import path from "node:path";
import { checkRun, type RunFile } from "../../profile/run";
import { checkRunShape } from "../../profile/run-shape";
import { MoonscopeError } from "../../profile/errors";
import { EXPORT_FORMATS } from "../../profile/exports";
import { SNAPSHOT_DIR } from "../session/app-snapshot";

export const RUNS_DIR = path.join(".moonscope", "runs");

export function runDirName(createdAt: Date, method: string, routePath: string): string {
  const t = createdAt.toISOString().replace(/\.\d+Z$/, "").replace(/[:]/g, "-");
  const p = routePath.replace(/^\//, "").replace(/[^A-Za-z0-9_.-]+/g, "_") || "root";
  return `${t}-${method}-${p}`;
}

/** Writes data to file through a temp file in the same folder and a rename. */
export function writeFileAtomic(file: string, data: string | Buffer): void {
  const tmp = `${file}.tmp-${process.pid}-${Date.now()}`;
  writeFileSync(tmp, data);
  renameSync(tmp, file);
}

export function ensureDir(dir: string): void {
  mkdirSync(dir, { recursive: true });
}

/** Creates dir and the folders above it that are missing; answers the ones it created, deepest first. */
export function makeDirs(dir: string): string[] {
  const missing: string[] = [];
  for (let d = path.resolve(dir); !existsSync(d); d = path.dirname(d)) {
    missing.push(d);
    if (path.dirname(d) === d) break;
  }
  mkdirSync(dir, { recursive: true });
  // The run folder names its writer until writeRunFolder is done (an empty folder, so a run that
  // never started still counts as empty and is removed as before).
  if (missing.length > 0) mkdirSync(path.join(dir, WRITING + process.pid));
  return missing;
}

/** The lock folder of a run folder being written, followed by the writer's pid. */
const WRITING = ".moonscope-writing-";

/** This process has finished writing dir (run.json is there): its lock folder goes. */
export function finishRunDir(dir: string): void {
  rmSync(path.join(dir, WRITING + process.pid), { recursive: true, force: true });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** What a session writes before run.json (the app's copy, the exports): a folder of only these (and temp files) holds no run yet. */
const RUN_WRITES = new Set<string>([SNAPSHOT_DIR, ...Object.values(EXPORT_FORMATS).map((f) => f.file)]);
const TEMP = /\.tmp-\d+-\d+$/;

/**
 * Removes dir when it is a run folder without run.json whose writer is gone (its lock folder names
 * a dead process) and that holds only what the run writer writes. A folder being written by a
 * living process, and one no writer marked, stay; one that also holds other files (an outside
 * profiler's report kept after a failed session) stays, without its lock and temp files.
 */
export function sweepIfAbandoned(dir: string): boolean {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return false;
  }
  if (names.includes("run.json")) return false;
  const writers = names.filter((n) => n.startsWith(WRITING)).map((n) => Number(n.slice(WRITING.length)));
  if (writers.length === 0 || writers.some((pid) => !Number.isInteger(pid) || alive(pid))) return false;
  if (names.every((n) => n.startsWith(WRITING) || RUN_WRITES.has(n) || TEMP.test(n))) {
    rmSync(dir, { recursive: true, force: true });
    return true;
  }
  for (const n of names) if (n.startsWith(WRITING) || TEMP.test(n)) rmSync(path.join(dir, n), { recursive: true, force: true });
  return false;
}

/**
 * Deletes a finished run's folder (the app's copy, the exports, run.json). A folder that a living
 * process still writes (its lock names that process) is refused with MS_ERR_RUN_IN_USE, and a
 * folder that holds no run.json is not a run to delete (MS_ERR_RUN_NOT_FOUND): listing sweeps those.
 */
export function deleteRunDir(dir: string): void {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    throw new MoonscopeError("MS_ERR_RUN_NOT_FOUND", `no run folder at ${dir}`);
  }
  if (!names.includes("run.json")) throw new MoonscopeError("MS_ERR_RUN_NOT_FOUND", `${dir} holds no run.json, so it is not a finished run`);
  const writer = names.filter((n) => n.startsWith(WRITING)).map((n) => Number(n.slice(WRITING.length))).find((pid) => Number.isInteger(pid) && alive(pid));
  if (writer !== undefined) throw new MoonscopeError("MS_ERR_RUN_IN_USE", `${dir} is still being written by process ${writer}; wait for that run to end, then delete it`);
  rmSync(dir, { recursive: true, force: true });
}

/** Reads a run from a run folder or a run.json path; errors say what is wrong and where. */
export function readRun(where: string): { run: RunFile; dir: string } {
  let file = where;
  if (existsSync(where) && statSync(where).isDirectory()) file = path.join(where, "run.json");
  if (!existsSync(file)) throw new MoonscopeError("MS_ERR_RUN_NOT_FOUND", `no run at ${where} (expected a run folder with run.json, or a run.json file)`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, "utf8"));
  } catch (e) {
    throw new MoonscopeError("MS_ERR_RUN_CORRUPT", `${file} is not valid JSON (${(e as Error).message}); the run is damaged, profile the route again`);
  }
  return { run: checkRunShape(checkRun(parsed, file), file), dir: path.dirname(file) };
}

export interface RunListing {
  dir: string;
  run?: RunFile;
  error?: string;
}

/** Every run under root (newest first); unreadable ones are listed with their error, never dropped silently. */
export function listRuns(root: string): RunListing[] {
  if (!existsSync(root)) return [];
  const out: RunListing[] = [];
  for (const name of readdirSync(root).sort().reverse()) {
    const dir = path.join(root, name);
    if (!statSync(dir).isDirectory()) continue;
    if (!existsSync(path.join(dir, "run.json"))) {
      sweepIfAbandoned(dir);
      continue;
    }
    try {
      out.push({ dir, run: readRun(dir).run });
    } catch (e) {
      out.push({ dir, error: (e as Error).message });
    }
  }
  return out;
}
