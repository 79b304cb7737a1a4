// What a run records of the app it measured: a hash of each Lua file under the app's folder (a
// comparison names the files that differ) and a copy of them in the run folder, so `moonscope ab`
// can run the app as it was against the app as it is.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { MachineInfo } from "../../profile/run";
import { LuaWorkspace } from "../lua-apps";

/** The run folder's copy of the app. */
export const SNAPSHOT_DIR = "app";
/** A larger app keeps its hashes but no copy (an app folder that is a whole repository of Lua). */
const MAX_SNAPSHOT_BYTES = 8 << 20;

/** The app's Lua files as they were when the run started (read once, written with the run). */
export interface AppCapture {
  /** Hash per file, by path relative to the app's folder ("/"-separated). */
  files: Record<string, string>;
  /** Their bytes, or null when the app is too large to keep a copy of. */
  contents: Map<string, Buffer> | null;
  warning: string | null;
}

export function hashBytes(bytes: Buffer): string {
  return createHash("sha256").update(bytes).digest("hex").slice(0, 16);
}

/** Reads and hashes the app's Lua files (every .lua file under its folder, bounded like the workspace scan). */
export function captureApp(appFile: string): AppCapture {
  const entry = path.resolve(appFile);
  const appDir = path.dirname(entry);
  // Run folders under the app's folder (an --out inside it) hold copies of the app: not the app.
  const inRun = new Map<string, boolean>();
  const underRun = (file: string): boolean => {
    for (let d = path.dirname(file); d.startsWith(appDir) && d !== appDir; d = path.dirname(d)) {
      let hit = inRun.get(d);
      if (hit === undefined) inRun.set(d, (hit = existsSync(path.join(d, "run.json"))));
      if (hit) return true;
    }
    return false;
  };
  const all = new LuaWorkspace(appDir).files().filter((f) => !underRun(f));
  // The entry counts even when it is not a .lua file.
  if (!all.includes(entry)) all.unshift(entry);
  const files: Record<string, string> = {};
  const contents = new Map<string, Buffer>();
  let bytes = 0;
  for (const f of all) {
    let data: Buffer;
    try {
      data = readFileSync(f);
    } catch {
      continue;
    }
    const rel = path.relative(appDir, f).split(path.sep).join("/");
    files[rel] = hashBytes(data);
    bytes += data.length;
    if (bytes <= MAX_SNAPSHOT_BYTES) contents.set(rel, data);
  }
  if (bytes > MAX_SNAPSHOT_BYTES) {
    return { files, contents: null, warning: `the app's folder holds ${(bytes / 1048576).toFixed(1)} MiB of Lua: no copy was kept in the run, so \`moonscope ab\` cannot run this run's code again` };
  }
  return { files, contents, warning: null };
}

/** Writes the captured files into runDir/app/, in the app's layout (so the copy runs as the app did); answers the folder, relative to runDir, or null. */
export function writeSnapshot(capture: AppCapture, runDir: string): string | null {
  if (!capture.contents) return null;
  for (const [rel, data] of capture.contents) {
    const to = path.join(runDir, SNAPSHOT_DIR, ...rel.split("/"));
    mkdirSync(path.dirname(to), { recursive: true });
    writeFileSync(to, data);
  }
  return SNAPSHOT_DIR;
}

export function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  return { platform: process.platform, arch: process.arch, cpuModel: cpus[0]?.model.trim() ?? "unknown", cores: os.availableParallelism?.() ?? cpus.length, node: process.version, execPath: process.execPath, ...(process.versions.electron ? { electron: process.versions.electron } : {}) };
}
