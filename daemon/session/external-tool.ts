// A session's outside profiler (0x, Clinic.js): the tool found and its launch prepared, the app
// started under it, and what of the tool's output the run keeps.
import path from "node:path";
import { EXTERNAL_MODES, type RunFile, type RunMode } from "../../profile/run";
import { importTickLog, launchFor, readDoctor, reportOf, tidyToolDir, type ExternalMode } from "./external-profilers";
import { ToolProcess, type ToolLaunch } from "./tool-process";

export interface ExternalTool {
  mode: ExternalMode;
  /** What a person calls it ("0x", "Clinic.js doctor"). */
  name: string;
  /** Where the tool writes, inside the run folder. */
  dir: string;
  launch: ToolLaunch;
}

/**
 * The outside profiler a mode names, ready to launch (null for sample and none). Fails when the tool
 * is missing or cannot run on this Node, before anything is started.
 */
export function externalTool(mode: RunMode, runDir: string): ExternalTool | null {
  if (!(EXTERNAL_MODES as readonly string[]).includes(mode)) return null;
  const m = mode as ExternalMode;
  const dir = path.join(runDir, m);
  return { mode: m, name: m === "0x" ? "0x" : `Clinic.js ${m.slice(7)}`, dir, launch: launchFor(m, dir) };
}

export interface UnderToolOptions {
  appFile: string;
  luaIntervalMs: number;
  luaPath?: string;
  cliPath?: string;
  onLog?: (line: string) => void;
}

export function startUnderTool(tool: ExternalTool, o: UnderToolOptions): Promise<ToolProcess> {
  // Only these two record the app's stacks; the others measure the process in their own ways.
  const recordsStacks = tool.mode === "0x" || tool.mode === "clinic-flame";
  return ToolProcess.start({
    appFile: o.appFile,
    luaIntervalMs: o.luaIntervalMs,
    luaSamplesFile: path.join(tool.dir, "lua-samples.json"),
    luaPath: o.luaPath,
    cliPath: o.cliPath,
    launch: tool.launch,
    tool: tool.name,
    onLog: o.onLog,
    readStacks: recordsStacks ? () => importTickLog(tool.dir) : null,
    // Bounded: bubbleprof was seen hanging after the load here.
    reportTimeoutMs: tool.mode === "0x" ? 120_000 : 180_000,
  });
}

/**
 * The tool's part of run.json (its HTML report, Clinic Doctor's diagnosis), read once the tool has
 * written everything; its bulky raw logs are removed then, since their stacks were imported.
 */
export function keepToolReport(tool: ExternalTool, runDir: string, warnings: string[]): NonNullable<RunFile["external"]> {
  const report = reportOf(tool.mode, tool.dir, runDir);
  if (!report) warnings.push(`${tool.name} wrote no HTML report; see its output in the run folder`);
  const kept = { tool: tool.mode, report, doctor: tool.mode === "clinic-doctor" ? readDoctor(tool.dir) : null, wholeProcess: true };
  warnings.push(`${tool.name} profiled the whole life of the app process, start-up and warm-up included`);
  tidyToolDir(tool.dir);
  return kept;
}
