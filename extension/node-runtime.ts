// Which Node runs the daemon, and so the apps it profiles and their load generators: the node the
// user has (moonscope.nodePath, else `node` on PATH), so a run from the editor measures what a run
// from the terminal measures. Only when there is none does the editor's own Node (Electron's) run
// it, and the runs then say so (run.json's machine.electron, a warning in the report).
import { accessSync, constants, statSync } from "node:fs";
import { execFileSync } from "node:child_process";
import path from "node:path";

/** The oldest Node major Moonscope runs on (package.json's engines.node). */
export const MIN_NODE_MAJOR = 20;

export interface NodeChoice {
  /** The Node binary to run the daemon with; undefined: the editor's own (Electron's). */
  runtime?: string;
  /** What ran, for the log: "/usr/bin/node v22.11.0" or "VS Code's own Node ...". */
  label: string;
  /** Why the editor's own Node is used, to be shown once. */
  warning?: string;
}

function executable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

/** The first of a command's names on a PATH string, or null. */
export function onPath(names: string[], envPath: string | undefined): string | null {
  for (const dir of (envPath ?? "").split(path.delimiter)) {
    if (!dir) continue;
    for (const n of names) if (executable(path.join(dir, n))) return path.join(dir, n);
  }
  return null;
}

/** The first `node` on a PATH string (node.exe on Windows), or null. */
export function nodeOnPath(envPath: string | undefined, platform = process.platform): string | null {
  return onPath(platform === "win32" ? ["node.exe"] : ["node"], envPath);
}

/** `node --version` of a binary ("v22.11.0"), or null when it does not run. */
export function nodeVersion(bin: string): string | null {
  try {
    const out = execFileSync(bin, ["--version"], { encoding: "utf8", timeout: 5000, stdio: ["ignore", "pipe", "ignore"], env: { ...process.env, ELECTRON_RUN_AS_NODE: undefined } }).trim();
    return /^v\d+\.\d+\.\d+/.test(out) ? out : null;
  } catch {
    return null;
  }
}

/**
 * The Node to use: the setting when it names one (a path, or a command found on PATH), else the
 * `node` on PATH; one that does not run or is older than MIN_NODE_MAJOR is passed over with a warning.
 */
export function chooseNode(setting: string, envPath: string | undefined, own: { version: string; electron?: string }, versionOf: (bin: string) => string | null = nodeVersion): NodeChoice {
  const ownLabel = `the editor's own Node ${own.version}${own.electron ? ` (inside Electron ${own.electron})` : ""}`;
  const fallback = (why: string): NodeChoice => ({ label: ownLabel, warning: `${why}, so Moonscope runs apps under ${ownLabel}; its runs may differ from runs in a terminal. Install Node ${MIN_NODE_MAJOR}+ on PATH or set moonscope.nodePath.` });
  const wanted = setting.trim();
  let bin: string | null;
  if (wanted) {
    bin = path.isAbsolute(wanted) || wanted.includes("/") || wanted.includes("\\") ? wanted : onPath([wanted], envPath);
    if (!bin || !executable(bin)) return fallback(`moonscope.nodePath names ${wanted}, which is not an executable file`);
  } else {
    bin = nodeOnPath(envPath);
    if (!bin) return fallback("no node was found on PATH");
  }
  const version = versionOf(bin);
  if (!version) return fallback(`${bin} --version did not answer a Node version`);
  const major = Number(/^v(\d+)/.exec(version)![1]);
  if (major < MIN_NODE_MAJOR) return fallback(`${bin} is Node ${version}, older than ${MIN_NODE_MAJOR}`);
  return { runtime: bin, label: `${bin} ${version}` };
}
