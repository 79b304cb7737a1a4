// What this machine has for Moonscope and what it lacks, each with how to get it: `moonscope
// doctor` prints it. Every check looks for the real thing (a command that answers, a file that is
// there); nothing is assumed from the platform.
import { spawnSync } from "node:child_process";
import { accessSync, constants, existsSync, readdirSync } from "node:fs";
import path from "node:path";
import { findWrk } from "./load/wrk";
import { bundledScript } from "./load/bundled";
import { clinicNodeProblem, locateTool } from "./session/external-profilers";
import { cachedProfiler, installCommand, PROFILER_PACKAGES, PROFILER_TOOLS, profilerCacheDir } from "./session/profiler-install";

/** The oldest Node Moonscope runs on (package.json's engines says the same; a test keeps them equal). */
export const MIN_NODE_MAJOR = 20;

export type CheckState = "ok" | "missing" | "unusable";

export interface Check {
  name: string;
  state: CheckState;
  /** Needed for Moonscope's main job (a failing one makes doctor exit 1), or only for one mode or suite. */
  required: boolean;
  /** What was found: a version, a path. */
  found: string;
  /** How to get it or fix it (empty when ok). */
  fix: string;
}

/** The first line a command prints for `args`, or null when it does not run. */
function firstLine(command: string, args: string[]): string | null {
  const r = spawnSync(command, args, { encoding: "utf8", timeout: 10_000 });
  if (r.error) return null;
  const out = `${r.stdout ?? ""}${r.stderr ?? ""}`.trim().split("\n")[0];
  return out || null;
}

/** Chromium for the panel's browser tests and bench: MOONSCOPE_CHROMIUM, else Debian's or Ubuntu's. */
export function findChromium(env: NodeJS.ProcessEnv = process.env): string | null {
  if (env.MOONSCOPE_CHROMIUM) return existsSync(env.MOONSCOPE_CHROMIUM) ? env.MOONSCOPE_CHROMIUM : null;
  return ["/usr/bin/chromium", "/usr/bin/chromium-browser"].find((p) => existsSync(p)) ?? null;
}

export function nodeCheck(version = process.version): Check {
  const major = Number(version.replace(/^v/, "").split(".")[0]);
  const ok = major >= MIN_NODE_MAJOR;
  return { name: "Node.js", state: ok ? "ok" : "unusable", required: true, found: version, fix: ok ? "" : `Moonscope needs Node ${MIN_NODE_MAJOR} or newer: https://nodejs.org` };
}

function luaCheck(): Check {
  try {
    const pkg = require.resolve("wasmoon/package.json");
    return { name: "Lua (wasmoon)", state: "ok", required: true, found: path.dirname(pkg), fix: "" };
  } catch {
    return { name: "Lua (wasmoon)", state: "missing", required: true, found: "", fix: "reinstall Moonscope (npm install -g moonscope): its one runtime dependency, wasmoon, is missing" };
  }
}

function npmCheck(): Check {
  const v = firstLine(process.platform === "win32" ? "npm.cmd" : "npm", ["--version"]);
  return v
    ? { name: "npm", state: "ok", required: false, found: v, fix: "" }
    : { name: "npm", state: "missing", required: false, found: "", fix: "comes with Node.js; needed only to install 0x and clinic" };
}

function wrkCheck(): Check {
  const wrk = findWrk();
  if (!wrk) {
    return { name: "wrk", state: "missing", required: false, found: "", fix: "optional, the lighter load generator: apt-get install wrk, brew install wrk (without it the bundled autocannon is used)" };
  }
  return { name: "wrk", state: "ok", required: false, found: `${firstLine(wrk, ["-v"])?.split(" [")[0] ?? "wrk"} (${wrk})`, fix: "" };
}

function autocannonCheck(): Check {
  try {
    return { name: "autocannon", state: "ok", required: true, found: `bundled (${bundledScript("autocannon", "autocannon")})`, fix: "" };
  } catch (e) {
    return { name: "autocannon", state: "missing", required: true, found: "", fix: (e as Error).message };
  }
}

function profilerChecks(): Check[] {
  return PROFILER_TOOLS.map((tool) => {
    const at = locateTool(tool);
    const limit = tool === "clinic" ? clinicNodeProblem() : null;
    if (!at) {
      const fix = `for --mode ${tool === "0x" ? "0x" : "clinic-*"}: \`${installCommand(tool)}\` (or --yes on the first run)${tool === "clinic" ? "; Clinic.js runs only on Node < 21.7" : ""}`;
      return { name: tool, state: "missing" as const, required: false, found: "", fix };
    }
    const found = `${at.path} (${at.from})`;
    if (limit) return { name: tool, state: "unusable" as const, required: false, found, fix: limit };
    return { name: tool, state: "ok" as const, required: false, found, fix: "" };
  });
}

function chromiumCheck(): Check {
  const c = findChromium();
  return c
    ? { name: "chromium", state: "ok", required: false, found: c, fix: "" }
    : { name: "chromium", state: "missing", required: false, found: "", fix: "only for Moonscope's own dashboard tests (npm run test:browser installs Debian's chromium); set MOONSCOPE_CHROMIUM to use another" };
}

function cacheCheck(): Check {
  const dir = profilerCacheDir();
  const installed = PROFILER_TOOLS.filter((t) => cachedProfiler(t, dir)).map((t) => PROFILER_PACKAGES[t].spec);
  // The nearest folder that exists is the one the first install must be able to write into.
  let probe = dir;
  while (!existsSync(probe) && path.dirname(probe) !== probe) probe = path.dirname(probe);
  let writable = true;
  try {
    accessSync(probe, constants.W_OK);
  } catch {
    writable = false;
  }
  const stray = existsSync(dir) ? readdirSync(dir).filter((n) => n.startsWith(".installing-")).length : 0;
  const found = `${dir}: ${installed.length ? installed.join(", ") : "empty"}${stray ? ` (${stray} unfinished install folder(s), removed by the next install)` : ""}`;
  if (!writable) return { name: "profiler cache", state: "unusable", required: false, found, fix: `${probe} is not writable; point MOONSCOPE_PROFILER_CACHE at a folder you can write` };
  return { name: "profiler cache", state: "ok", required: false, found, fix: "" };
}

/** Every check, in the order doctor prints them. */
export function runChecks(): Check[] {
  return [nodeCheck(), luaCheck(), autocannonCheck(), wrkCheck(), npmCheck(), ...profilerChecks(), cacheCheck(), chromiumCheck()];
}

