// 0x and Clinic.js: finding them, launching the app under them, and reading back what they wrote.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import path from "node:path";
import { flameSamplesToCpuProfile, ticksToCpuProfile, type V8TickLog } from "../../profile/v8-ticks";
import type { ToolLaunch } from "./tool-process";

export { EXTERNAL_MODES, type ExternalMode } from "../../profile/run";
import type { ExternalMode } from "../../profile/run";
import { MoonscopeError } from "../../profile/errors";
import { cachedProfiler, installCommand, PROFILER_PACKAGES, profilerCacheDir, type ProfilerTool } from "./profiler-install";

/**
 * Where a tool's command is: Moonscope's profiler cache first (where `moonscope install` puts it),
 * then a node_modules beside the project or Moonscope (a clone with `npm run test:profilers`), then
 * PATH. MOONSCOPE_ZEROX_BIN / MOONSCOPE_CLINIC_BIN override all of them (tests).
 */
export function findTool(tool: ProfilerTool): string {
  const found = locateTool(tool);
  if (found) return found.path;
  throw missingProfiler(tool);
}

/** Where the tool was found and how (for `moonscope doctor`), or null. */
export function locateTool(tool: ProfilerTool): { path: string; from: "override" | "cache" | "node_modules" | "PATH" } | null {
  const override = process.env[`MOONSCOPE_${tool === "0x" ? "ZEROX" : "CLINIC"}_BIN`];
  if (override !== undefined) return override && existsSync(override) ? { path: override, from: "override" } : null;
  const cached = cachedProfiler(tool);
  if (cached) return { path: cached, from: "cache" };
  try {
    const pkg = require.resolve(`${tool}/package.json`, { paths: [process.cwd(), path.resolve(__dirname, "..", "..")] });
    const bin = path.join(path.dirname(pkg), PROFILER_PACKAGES[tool].bin);
    if (existsSync(bin)) return { path: bin, from: "node_modules" };
  } catch {
    /* not in node_modules */
  }
  const r = spawnSync("sh", ["-c", `command -v ${tool}`], { encoding: "utf8" });
  if (r.status === 0 && r.stdout.trim()) return { path: r.stdout.trim(), from: "PATH" };
  return null;
}

export function missingProfiler(tool: ProfilerTool): MoonscopeError {
  return new MoonscopeError(
    "MS_ERR_PROFILER_MISSING",
    `${tool} is not installed. Run \`${installCommand(tool)}\` (it puts ${PROFILER_PACKAGES[tool].spec} in ${profilerCacheDir()}, not in your project), or add --yes to \`moonscope profile\` to install it as the run starts; --mode sample needs nothing extra`,
    { tool },
  );
}

/** The outside tool a mode runs under. */
export function toolOf(mode: ExternalMode): ProfilerTool {
  return mode === "0x" ? "0x" : "clinic";
}

/** Why Clinic.js cannot run on this Node, or null when it can: it breaks from Node 21.7 on and is no longer maintained. */
export function clinicNodeProblem(version = process.version): string | null {
  const [maj, min] = version.replace(/^v/, "").split(".").map(Number);
  if (maj > 21 || (maj === 21 && min >= 7)) {
    return `Clinic.js does not work on Node ${version}: it breaks from Node 21.7 on and is no longer maintained (README note, 2024-09). Run Moonscope with Node 20 for the clinic modes, or use --mode 0x or --mode sample, which work here`;
  }
  return null;
}

export function checkClinicNode(version = process.version): void {
  const problem = clinicNodeProblem(version);
  if (problem) throw new MoonscopeError("MS_ERR_PROFILER_UNSUPPORTED", problem);
}

const CLINIC_TOOL: Record<Exclude<ExternalMode, "0x">, string> = {
  "clinic-doctor": "doctor",
  "clinic-flame": "flame",
  "clinic-bubbleprof": "bubbleprof",
  "clinic-heap": "heapprofiler",
};

export function launchFor(mode: ExternalMode, toolDir: string): ToolLaunch {
  mkdirSync(toolDir, { recursive: true });
  if (mode === "0x") {
    return { command: [process.execPath, findTool("0x"), "--output-dir", path.join(toolDir, "0x"), "--"], cwd: toolDir };
  }
  checkClinicNode();
  // NO_INSIGHT=1: without it clinic exits 0 silently, doing nothing (measured here).
  return {
    command: [process.execPath, findTool("clinic"), CLINIC_TOOL[mode], "--dest", toolDir, "--open=false", "--debug=false", "--"],
    env: { NO_INSIGHT: "1" },
    cwd: toolDir,
  };
}

/** Matching files under dir, newest first (a reused --out folder may hold an older run's files). */
function findFiles(dir: string, test: (name: string) => boolean, depth = 3): string[] {
  return walk(dir, test, depth).sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
}

function walk(dir: string, test: (name: string) => boolean, depth: number): string[] {
  if (!existsSync(dir) || depth < 0) return [];
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) out.push(...walk(p, test, depth - 1));
    else if (test(name)) out.push(p);
  }
  return out;
}

/** Whether a tick log saw the server's request path (a helper thread's isolate, such as the Lua sampler's, does not). */
function hasServerFrames(code: V8TickLog["code"]): boolean {
  return code.some((c) => c.type === "JS" && /^(onRequest|runHandler|execute) /.test(c.name));
}

/**
 * The V8 tick log of the app's main thread → .cpuprofile, or null. Every isolate (the main thread
 * and the Lua sampler's thread) writes its own log under --prof, so the one that saw the server's
 * request path is picked; 0x's preprocessed JSON is used when it left one.
 */
export function importTickLog(dir: string): unknown {
  const flame = findFiles(dir, (n) => n.endsWith(".clinic-flame-samples"))[0];
  if (flame) {
    // Clinic Flame picks one isolate itself; when it picked a helper thread, its stacks are useless.
    const samples = JSON.parse(readFileSync(flame, "utf8")) as V8TickLog["code"][];
    return samples.some((st) => hasServerFrames(st)) ? flameSamplesToCpuProfile(samples) : null;
  }
  const logs: V8TickLog[] = [];
  for (const json of findFiles(dir, (n) => /^isolate-.*\.log\.json$/.test(n))) logs.push(JSON.parse(readFileSync(json, "utf8")) as V8TickLog);
  if (logs.length === 0) {
    for (const raw of findFiles(dir, (n) => /^isolate-.*\.log$/.test(n))) {
      const r = spawnSync(process.execPath, ["--prof-process", "--preprocess", raw], { encoding: "utf8", maxBuffer: 512 * 1024 * 1024 });
      if (r.status === 0) logs.push(JSON.parse(r.stdout) as V8TickLog);
    }
  }
  const main = logs.find((l) => hasServerFrames(l.code));
  return main ? ticksToCpuProfile(main) : null;
}

/** The HTML report the tool wrote, relative to runDir. */
export function reportOf(mode: ExternalMode, toolDir: string, runDir: string): string | null {
  const html = findFiles(toolDir, (n) => (mode === "0x" ? n === "flamegraph.html" : n.endsWith(".html")))[0];
  return html ? path.relative(runDir, html) : null;
}

/** Removes the bulky raw logs once they have been imported (the HTML report stays). */
export function tidyToolDir(toolDir: string): void {
  for (const f of findFiles(toolDir, (n) => /^isolate-.*\.log(\.json|\.preprocess-ready)?$/.test(n) || /-v8\.log$/.test(n) || n === "node_trace.1.log" || n.endsWith(".clinic-flame-samples"))) rmSync(f, { force: true });
}

/** The data block every Clinic report embeds (<script type="application/json" id="clinic-data">). */
function clinicData(html: string): Record<string, unknown> | null {
  const m = /<script type="application\/json" id="clinic-data">([\s\S]*?)<\/script>/.exec(html);
  if (!m) return null;
  try {
    return JSON.parse(m[1]) as Record<string, unknown>;
  } catch {
    return null;
  }
}

export interface DoctorSummary {
  samples: number;
  cpuPercent: Stat;
  delayMs: Stat;
  rssBytes: Stat;
  heapUsedBytes: Stat;
  handles: Stat;
  /** Doctor's own diagnosis: its issue category ("none", "gc", "event-loop", "io", "data", ...) and per-metric flags. */
  issueCategory: string | null;
  issues: unknown;
}

/** Clinic Doctor's diagnosis and its process samples (CPU, event-loop delay, memory, handles), read from its report. */
export function readDoctor(toolDir: string): DoctorSummary | null {
  const html = findFiles(toolDir, (n) => n.endsWith(".clinic-doctor.html"))[0];
  if (!html) return null;
  const data = clinicData(readFileSync(html, "utf8"));
  if (!data) return null;
  const rows = (data.processStat ?? []) as { cpu: number; delay: number; memory?: { rss: number; heapUsed: number }; handles?: number }[];
  const analysis = (data.analysis ?? {}) as { issueCategory?: string; issues?: unknown };
  return {
    samples: rows.length,
    cpuPercent: stat(rows.map((r) => r.cpu * 100)),
    delayMs: stat(rows.map((r) => r.delay)),
    rssBytes: stat(rows.map((r) => r.memory?.rss ?? 0)),
    heapUsedBytes: stat(rows.map((r) => r.memory?.heapUsed ?? 0)),
    handles: stat(rows.map((r) => r.handles ?? 0)),
    issueCategory: analysis.issueCategory ?? null,
    issues: analysis.issues ?? null,
  };
}

export interface Stat {
  min: number;
  mean: number;
  max: number;
}

function stat(xs: number[]): Stat {
  const v = xs.filter((x) => Number.isFinite(x));
  if (v.length === 0) return { min: 0, mean: 0, max: 0 };
  return { min: Math.min(...v), mean: v.reduce((a, b) => a + b, 0) / v.length, max: Math.max(...v) };
}
