// Before a run in 0x or clinic mode: the tool is there, or it is installed now (with --yes or
// MOONSCOPE_YES, or after a yes on a terminal), or the run stops before it starts with the one
// command that installs it.
import { createInterface } from "node:readline/promises";
import { checkClinicNode, locateTool, missingProfiler, toolOf, type ExternalMode } from "../daemon/session/external-profilers";
import { installProfiler, PROFILER_PACKAGES, profilerCacheDir, YES_ENV, type ProfilerTool } from "../daemon/session/profiler-install";
import { EXTERNAL_MODES } from "../profile/run";

export interface SetupOptions {
  /** --yes: install without asking. */
  yes: boolean;
  quiet: boolean;
  signal?: AbortSignal;
}

export function isExternalMode(mode: string): mode is ExternalMode {
  return (EXTERNAL_MODES as readonly string[]).includes(mode);
}

/** Whether the environment says yes to installs (MOONSCOPE_YES=1, true or yes). */
export function yesFromEnv(env: NodeJS.ProcessEnv = process.env): boolean {
  return /^(1|true|yes)$/i.test(env[YES_ENV] ?? "");
}

/** Makes sure the tool a mode runs under is installed; a no-op for the built-in modes. */
export async function ensureProfiler(mode: string, opts: SetupOptions): Promise<void> {
  if (!isExternalMode(mode)) return;
  const tool = toolOf(mode);
  // A clinic that cannot run on this Node is not worth installing.
  if (tool === "clinic") checkClinicNode();
  if (locateTool(tool)) return;
  const yes = opts.yes || yesFromEnv() || (await askToInstall(tool));
  if (!yes) throw missingProfiler(tool);
  await installWithProgress(tool, opts);
}

async function askToInstall(tool: ProfilerTool): Promise<boolean> {
  if (!process.stdin.isTTY || !process.stderr.isTTY) return false;
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await rl.question(`${tool} is not installed. Install ${PROFILER_PACKAGES[tool].spec} into ${profilerCacheDir()} now (npm, about a minute)? [Y/n] `);
    return /^(y|yes)?$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}

/** Installs the tool, saying what happens on stderr: npm's own lines, and how long it took. */
export async function installWithProgress(tool: ProfilerTool, opts: { quiet: boolean; signal?: AbortSignal }): Promise<string> {
  const say = (line: string): void => void (opts.quiet || process.stderr.write(line + "\n"));
  const started = Date.now();
  say(`installing ${PROFILER_PACKAGES[tool].spec} into ${profilerCacheDir()} (npm)...`);
  const tty = process.stderr.isTTY && !opts.quiet;
  // On a terminal a ticking line shows it is alive; npm itself is silent for most of an install.
  const ticker = tty ? setInterval(() => process.stderr.write(`\r\u001b[K  ${Math.round((Date.now() - started) / 1000)} s`), 1000) : null;
  try {
    const bin = await installProfiler(tool, { signal: opts.signal, onLine: (l) => say(`${tty ? "\r\u001b[K" : ""}  npm: ${l}`) });
    if (tty) process.stderr.write("\r\u001b[K");
    say(`installed ${tool} in ${((Date.now() - started) / 1000).toFixed(0)} s: ${bin}`);
    return bin;
  } finally {
    if (ticker) clearInterval(ticker);
  }
}
