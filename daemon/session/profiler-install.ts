// 0x and Clinic.js on demand: they are installed with npm into a cache folder Moonscope owns (never
// the user's project, never Moonscope's own folder, which an installed tool may not write), one
// folder per tool, swapped in by one rename so a broken or interrupted install is never found.
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { MoonscopeError } from "../../profile/errors";

export type ProfilerTool = "0x" | "clinic";

export const PROFILER_TOOLS: readonly ProfilerTool[] = ["0x", "clinic"];

/** The npm package each tool comes from and its command's file inside the package. */
export const PROFILER_PACKAGES: Record<ProfilerTool, { spec: string; bin: string }> = {
  "0x": { spec: "0x@5", bin: "cmd.js" },
  clinic: { spec: "clinic@13", bin: "bin.js" },
};

export function isProfilerTool(x: string): x is ProfilerTool {
  return (PROFILER_TOOLS as readonly string[]).includes(x);
}

/** The environment variable that answers "yes" to installing a missing profiler (like --yes). */
export const YES_ENV = "MOONSCOPE_YES";

/**
 * Where profilers are installed: MOONSCOPE_PROFILER_CACHE, else the platform's cache folder
 * ($XDG_CACHE_HOME or ~/.cache on Linux, ~/Library/Caches on macOS, %LOCALAPPDATA% on Windows).
 */
export function profilerCacheDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform, home = os.homedir()): string {
  if (env.MOONSCOPE_PROFILER_CACHE) return path.resolve(env.MOONSCOPE_PROFILER_CACHE);
  const base =
    platform === "darwin"
      ? path.join(home, "Library", "Caches")
      : platform === "win32"
        ? (env.LOCALAPPDATA ?? path.join(home, "AppData", "Local"))
        : (env.XDG_CACHE_HOME ?? path.join(home, ".cache"));
  return path.join(base, "moonscope", "profilers");
}

/** The tool's command in the cache, or null when it has not been installed there. */
export function cachedProfiler(tool: ProfilerTool, cache = profilerCacheDir()): string | null {
  const bin = path.join(cache, tool, "node_modules", tool, PROFILER_PACKAGES[tool].bin);
  return existsSync(bin) ? bin : null;
}

/** The one command that installs a tool, for messages a person reads off a terminal. */
export function installCommand(tool: ProfilerTool): string {
  return `npx moonscope install ${tool}`;
}

/** npm as this Node runs it: the npm that launched us (npx, npm run) when there is one, else the one on PATH. */
function npmCommand(): { command: string; args: string[]; shell: boolean } {
  const execPath = process.env.npm_execpath;
  if (execPath && /npm-cli\.js$|npx-cli\.js$/.test(execPath)) {
    return { command: process.execPath, args: [execPath.replace(/npx-cli\.js$/, "npm-cli.js")], shell: false };
  }
  // npm is a .cmd script on Windows, which only a shell starts.
  return { command: process.platform === "win32" ? "npm.cmd" : "npm", args: [], shell: process.platform === "win32" };
}

export interface InstallProgress {
  /** A line of npm's own output (its warnings and its "added N packages" summary). */
  onLine?: (line: string) => void;
  signal?: AbortSignal;
}

/**
 * Installs the tool's package into <cache>/<tool> and answers its command. npm writes into a
 * temporary folder beside it, which replaces the old one only when npm succeeded.
 */
export async function installProfiler(tool: ProfilerTool, progress: InstallProgress = {}, cache = profilerCacheDir()): Promise<string> {
  const { spec } = PROFILER_PACKAGES[tool];
  try {
    mkdirSync(cache, { recursive: true });
  } catch (e) {
    throw new MoonscopeError("MS_ERR_PROFILER_INSTALL", `cannot create the profiler cache ${cache} (${(e as Error).message}); point MOONSCOPE_PROFILER_CACHE at a folder you can write`);
  }
  removeAbandoned(cache);
  const staging = mkdtempSync(path.join(cache, `.installing-${tool}-`));
  try {
    // A package.json of its own keeps npm from looking for one in the folders above.
    writeFileSync(path.join(staging, "package.json"), JSON.stringify({ name: `moonscope-${tool}`, private: true }) + "\n");
    const npm = npmCommand();
    const args = [...npm.args, "install", "--no-audit", "--no-fund", "--no-save", "--no-package-lock", "--loglevel=warn", spec];
    const { code, tail } = await runNpm(npm.command, args, staging, npm.shell, progress);
    if (code !== 0) {
      throw new MoonscopeError(
        "MS_ERR_PROFILER_INSTALL",
        `npm could not install ${spec} into ${cache} (exit ${code}). Its last lines:\n${tail.join("\n") || "(no output)"}\nCheck the network and npm's registry setting (npm config get registry), then run \`${installCommand(tool)}\` again`,
      );
    }
    const target = path.join(cache, tool);
    rmSync(target, { recursive: true, force: true });
    renameSync(staging, target);
    const bin = cachedProfiler(tool, cache);
    if (!bin) throw new MoonscopeError("MS_ERR_PROFILER_INSTALL", `npm installed ${spec} but ${PROFILER_PACKAGES[tool].bin} is not in it; the package changed shape. Report this with the output of \`moonscope doctor\``);
    return bin;
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

/** Install folders a killed install left behind (an hour old: a live one beside us is never touched). */
function removeAbandoned(cache: string): void {
  for (const name of readdirSync(cache)) {
    const p = path.join(cache, name);
    if (name.startsWith(".installing-") && Date.now() - statSync(p).mtimeMs > 3_600_000) rmSync(p, { recursive: true, force: true });
  }
}

function runNpm(command: string, args: string[], cwd: string, shell: boolean, progress: InstallProgress): Promise<{ code: number; tail: string[] }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, shell, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, npm_config_update_notifier: "false" } });
    const tail: string[] = [];
    let partial = "";
    const onData = (chunk: Buffer): void => {
      const lines = (partial + chunk.toString("utf8")).split(/\r?\n/);
      partial = lines.pop() ?? "";
      for (const line of lines.filter((l) => l.trim() !== "")) {
        tail.push(line);
        if (tail.length > 20) tail.shift();
        progress.onLine?.(line);
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    const abort = (): void => void child.kill("SIGTERM");
    progress.signal?.addEventListener("abort", abort, { once: true });
    child.on("error", (e) => {
      progress.signal?.removeEventListener("abort", abort);
      reject(new MoonscopeError("MS_ERR_PROFILER_INSTALL", `cannot run npm (${e.message}); install Node.js with npm, or install the tool yourself and put it on PATH`));
    });
    child.on("close", (code) => {
      progress.signal?.removeEventListener("abort", abort);
      if (progress.signal?.aborted) reject(new MoonscopeError("MS_ERR_CANCELLED", "the install was stopped; nothing was installed"));
      else resolve({ code: code ?? 1, tail });
    });
  });
}
