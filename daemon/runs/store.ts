// Run folders: `.moonscope/runs/<time>-<method>-<path>/` with run.json written last and atomically
// (temp file + rename), so a folder without run.json is an unfinished run and never a corrupt one.
import { mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync, existsSync } from "node:fs";
import path from "node:path";
import { checkRun, type RunFile } from "../../profile/run";
import { MoonscopeError } from "../../profile/errors";

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
  return missing;
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
  return { run: checkRun(parsed, file), dir: path.dirname(file) };
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
    if (!statSync(dir).isDirectory() || !existsSync(path.join(dir, "run.json"))) continue;
    try {
      out.push({ dir, run: readRun(dir).run });
    } catch (e) {
      out.push({ dir, error: (e as Error).message });
    }
  }
  return out;
}
