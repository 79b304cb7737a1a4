// One profiling session: start the app, warm up, load one route while both profilers run, gather
// what the workers saw, stop everything, and write the run folder. The CLI and the daemon both run
// sessions through here.
import { existsSync, readdirSync, rmSync, statSync } from "node:fs";
import path from "node:path";
import { pruneTree, type CallTree } from "../../profile/calltree";
import { storeTree } from "../../profile/tree-store";
import type { RunFile, RunMode, StoredTree } from "../../profile/run";
import { PROFILE_DEFAULTS, type StageFrameRow, type WorkerFrameRow } from "../../protocol/types";
import { DEFAULT_SERVE } from "../../server-core/master";
import type { RouteInfo } from "../../server-core/ipc";
import { chooseGenerator, runLoad, type LoadGeneratorName, type LoadResult } from "../load";
import { TreeAccumulator } from "../profile-build";
import { mergeRoute, stageRows, type Budget } from "../report/analyze";
import { buildRunFile, type RunSettings } from "../report/run-file";
import { writeRunFolder } from "../report/write-run";
import { makeDirs, RUNS_DIR, runDirName } from "../runs/store";
import { parseRouteSpec, resolveRoute } from "./route-spec";
import type { ProfiledTarget, ProfileHandIn } from "./profiled-target";
import { ServerProcess } from "./server-process";
import { externalTool, keepToolReport, startUnderTool } from "./external-tool";
import { MoonscopeError } from "../../profile/errors";

export interface ProfileSessionOptions extends RunSettings {
  route: string;
  load?: LoadGeneratorName;
  out?: string;
  cpuIntervalUs?: number;
  luaIntervalMs?: number;
  body?: string;
  headers?: Record<string, string>;
  /** --lua-path for the app's require (absolute entries). */
  luaPath?: string;
  /** Folder that holds .moonscope/runs (default: the current directory). */
  workspace?: string;
  cliPath?: string;
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
  /** The merged flamegraph so far, every couple of seconds while measuring (mode sample). */
  onTree?: (tree: StoredTree, elapsedMs: number) => void;
  onLog?: (line: string) => void;
}

export type Phase = "starting" | "warmup" | "measuring" | "collecting" | "writing" | "done";

export interface Progress {
  phase: Phase;
  message: string;
  elapsedMs?: number;
  durationMs?: number;
  requests?: number;
  rps?: number;
  serverP50Us?: number;
  serverP99Us?: number;
  /** The route's stage table so far (while measuring). */
  stages?: StageFrameRow[];
  /** Per worker, so imbalance shows (while measuring). */
  workers?: WorkerFrameRow[];
}

export interface SessionResult {
  run: RunFile;
  dir: string;
  merged: CallTree | null;
}

export async function runProfileSession(o: ProfileSessionOptions): Promise<SessionResult> {
  const made: string[] = [];
  try {
    return await session(o, made);
  } catch (e) {
    // A session that failed before it measured anything must not leave an empty run folder behind
    // (an outside profiler's own output, if any, is kept).
    for (const d of made) removeIfEmpty(d);
    throw e;
  }
}

async function session(o: ProfileSessionOptions, made: string[]): Promise<SessionResult> {
  const spec = parseRouteSpec(o.route);
  const generator = chooseGenerator(o.load, o.rate);
  if (o.rate && o.load) throw new MoonscopeError("MS_ERR_USAGE", `--rate uses Moonscope's own fixed-rate generator (coordinated-omission corrected); drop --load ${o.load}, or drop --rate for closed-loop load with ${o.load}`);
  // 2.5 ms: at 1 ms the V8 sampler alone cost ~30% of the hello route's throughput on 2 cores (bench).
  const cpuIntervalUs = o.cpuIntervalUs ?? PROFILE_DEFAULTS.cpuIntervalUs;
  const luaIntervalMs = o.luaIntervalMs ?? PROFILE_DEFAULTS.luaIntervalMs;
  // 0 workers: one per CPU.
  if (o.workers <= 0) o = { ...o, workers: DEFAULT_SERVE.workers };
  const progress = o.onProgress ?? (() => {});
  const warnings: string[] = [];
  const createdAt = new Date();
  const workspace = o.workspace ?? process.cwd();
  const dir = o.out ? path.resolve(o.out) : path.join(workspace, RUNS_DIR, runDirName(createdAt, spec.method, spec.path));
  // Every folder this creates (.moonscope/, runs/, the run's) is removed again if the session fails before it measured.
  made.push(...makeDirs(dir));
  const tool = externalTool(o.mode, dir);
  const profiling = o.mode !== "none";
  let target: ProfiledTarget;
  let workers = o.workers;
  if (tool) {
    // Both tools refuse clustered processes ("0x does not support clustering"; Clinic rejects cluster).
    const note = `${tool.name} does not profile clustered processes: the app runs as one process with no cluster${o.workers !== 1 ? ` (not ${o.workers} workers)` : ""}`;
    warnings.push(note);
    workers = 1;
    progress({ phase: "starting", message: `${note}; starting it under ${tool.name}` });
    target = await startUnderTool(tool, { appFile: o.appFile, luaIntervalMs, luaPath: o.luaPath, cliPath: o.cliPath, onLog: o.onLog });
  } else {
    progress({ phase: "starting", message: `starting ${path.basename(o.appFile)} with ${o.workers} worker${o.workers > 1 ? "s" : ""}` });
    target = await ServerProcess.start({ appFile: o.appFile, workers: o.workers, luaPath: o.luaPath, cliPath: o.cliPath, onLog: o.onLog });
  }
  let route: RouteInfo;
  try {
    route = resolveRoute(spec, target.routes, path.basename(o.appFile));
    const routeKey = `${route.method} ${route.path}`;
    const url = `http://127.0.0.1:${target.port}${spec.requestPath}`;
    const loadBase = { url, method: spec.method, body: o.body, headers: o.headers, connections: o.connections, rate: o.rate };

    if (o.warmupMs > 0) {
      progress({ phase: "warmup", message: `warming up for ${(o.warmupMs / 1000).toFixed(0)} s (${generator}, ${o.connections} connections)` });
      await runLoad(generator, { ...loadBase, durationMs: o.warmupMs }, o.signal);
    }
    // Cancelled during warm-up: nothing was measured, so there is no run to keep.
    abortIfAsked(o.signal);
    const first = await target.stats(true);
    const trees = new TreeAccumulator({ luaIntervalUs: luaIntervalMs * 1000 });
    let rotation: { stop(): Promise<string[]> } | null = null;
    if (profiling) {
      const started = await target.startProfiling({ cpuIntervalUs, luaIntervalMs });
      for (const e of started.errors) warnings.push(`profiler: ${e}`);
    }
    const t0 = performance.now();
    progress({ phase: "measuring", message: `measuring ${spec.method} ${spec.path}`, elapsedMs: 0, durationMs: o.durationMs });
    let firstSnapshotMs: number | null = null;
    const live = startLive(target, routeKey, o.durationMs, t0, (p) => {
      if (firstSnapshotMs === null && p.requests !== undefined) firstSnapshotMs = performance.now() - t0;
      progress(p);
    });
    const rotate = target.rotateProfiling?.bind(target);
    if (profiling && rotate && o.onTree) rotation = startRotation(target, rotate, trees, t0, o.onTree);
    let load: LoadResult;
    try {
      load = await runLoad(generator, { ...loadBase, durationMs: o.durationMs }, o.signal);
    } finally {
      live.stop();
      // A rotation still in flight must hand in its chunk before the final stop.
      const failed = (await rotation?.stop()) ?? [];
      if (failed.length) warnings.push(`${failed.length} live flamegraph update(s) failed, and their samples are missing from the profile: ${failed[0]}`);
    }
    const windowMs = performance.now() - t0;
    for (const w of load.warnings ?? []) warnings.push(w);
    if (o.signal?.aborted) warnings.push(`the run was stopped early, after ${(windowMs / 1000).toFixed(1)} of ${(o.durationMs / 1000).toFixed(0)} s`);
    progress({ phase: "collecting", message: "collecting statistics and profiles" });
    const last = await target.stats();
    if (load.aborted) {
      // The generator was stopped before it could report: what the server measured stands in for it.
      const m = mergeRoute(last, routeKey);
      const h = m.total;
      load = { ...load, requests: m.requests, rps: (m.requests / windowMs) * 1000, durationMs: windowMs, latencyUs: { min: h.min / 1000, mean: h.mean() / 1000, p50: h.percentile(50) / 1000, p90: h.percentile(90) / 1000, p99: h.percentile(99) / 1000, p999: h.percentile(99.9) / 1000, max: h.max / 1000 } };
      warnings.push("the load generator was stopped before it reported; throughput and latency are the server's own measurements");
    }
    let handIn: ProfileHandIn = { profiles: [], missing: [], warnings: [] };
    if (profiling) {
      if (tool) progress({ phase: "collecting", message: `stopping the app and waiting for ${tool.name} to write its report` });
      handIn = await target.stopProfiling();
    }
    for (const w of handIn.warnings) warnings.push(w);
    const external = tool ? keepToolReport(tool, dir, warnings) : null;
    trees.add(handIn.profiles);
    for (const w of handIn.missing) warnings.push(`worker ${w} did not hand in its profile`);
    for (const p of handIn.profiles) if (p.error) warnings.push(`worker ${p.worker}: ${p.error}`);
    if (last.restarts > first.restarts) warnings.push(`${last.restarts - first.restarts} worker restart(s) during the run; see the server log`);
    await target.stop();

    progress({ phase: "writing", message: "writing the run" });
    const collected = trees.result();
    const run = buildRunFile(
      { ...o, workers },
      { id: path.basename(dir), createdAt, route, routes: target.routes, routeKey, generator, load, first, last, windowMs, trees: collected, warnings, cpuIntervalUs, luaIntervalMs, firstSnapshotMs, external },
    );
    const merged = collected?.merged ?? null;
    writeRunFolder(dir, run, merged);
    return { run, dir, merged };
  } finally {
    if (target.alive) await target.stop(2000);
  }
}

function removeIfEmpty(dir: string): void {
  const hasFile = (d: string): boolean => {
    let names: string[];
    try {
      names = readdirSync(d);
    } catch {
      return false;
    }
    return names.some((n) => {
      const p = path.join(d, n);
      return statSync(p).isDirectory() ? hasFile(p) : true;
    });
  };
  if (existsSync(dir) && !hasFile(dir)) rmSync(dir, { recursive: true, force: true });
}

function abortIfAsked(signal?: AbortSignal): void {
  if (signal?.aborted) throw new MoonscopeError("MS_ERR_CANCELLED", "the profile was cancelled");
}

/** Polls the server's stats while the load runs so a person sees throughput and p99 as they happen. */
function startLive(target: Pick<ProfiledTarget, "alive" | "stats">, routeKey: string, durationMs: number, t0: number, progress: (p: Progress) => void): { stop(): void } {
  let stopped = false;
  let prev = 0;
  let prevAt = t0;
  // Per pid: requests and CPU ms at the previous tick, for per-worker rates.
  const prevWorker = new Map<number, { requests: number; cpuMs: number }>();
  const tick = async () => {
    if (stopped || !target.alive) return;
    try {
      const snap = await target.stats();
      const m = mergeRoute(snap, routeKey);
      const now = performance.now();
      const dt = now - prevAt;
      const rps = ((m.requests - prev) / dt) * 1000;
      prev = m.requests;
      prevAt = now;
      const workers = snap.workers.map((w): WorkerFrameRow => {
        const wm = mergeRoute({ ...snap, workers: [w] }, routeKey);
        const cpuMs = w.resources.cpuUserMs + w.resources.cpuSystemMs;
        const before = prevWorker.get(w.pid);
        prevWorker.set(w.pid, { requests: wm.requests, cpuMs });
        return {
          worker: w.worker,
          pid: w.pid,
          requests: wm.requests,
          rps: before ? ((wm.requests - before.requests) / dt) * 1000 : 0,
          serverP50Us: wm.total.percentile(50) / 1000,
          serverP99Us: wm.total.percentile(99) / 1000,
          cpuPercent: before ? ((cpuMs - before.cpuMs) / dt) * 100 : 0,
          stages: frameStages(wm),
        };
      });
      workers.sort((a, b) => a.worker - b.worker);
      progress({
        phase: "measuring",
        message: "",
        elapsedMs: now - t0,
        durationMs,
        requests: m.requests,
        rps,
        serverP50Us: m.total.percentile(50) / 1000,
        serverP99Us: m.total.percentile(99) / 1000,
        stages: frameStages(m),
        workers,
      });
    } catch {
      /* the final snapshot reports errors; a missed live tick is not one */
    }
    if (!stopped) timer = setTimeout(tick, 250);
  };
  let timer = setTimeout(tick, 250);
  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}

/** Every ROTATE_MS, the profilers hand in their chunk; the merged tree so far goes to onTree, pruned for the wire. */
const ROTATE_MS = 2000;
function startRotation(
  target: Pick<ProfiledTarget, "alive">,
  rotate: () => Promise<ProfileHandIn>,
  trees: TreeAccumulator,
  t0: number,
  onTree: (t: StoredTree, elapsedMs: number) => void,
): { stop(): Promise<string[]> } {
  let stopped = false;
  const failures: string[] = [];
  let inFlight: Promise<void> = Promise.resolve();
  const tick = () => {
    if (stopped || !target.alive) return;
    inFlight = rotate().then(
      (r) => {
        trees.add(r.profiles);
        const res = trees.result();
        if (res && res.merged.total > 0) onTree(storeTree(pruneTree(res.merged, 0.001)), performance.now() - t0);
      },
      (e: Error) => {
        // That chunk's samples are lost to the run as well: say so in its warnings.
        failures.push(e.message);
      },
    );
    void inFlight.then(() => {
      if (!stopped) timer = setTimeout(tick, ROTATE_MS);
    });
  };
  let timer = setTimeout(tick, ROTATE_MS);
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await inFlight;
      return failures;
    },
  };
}

function frameStages(m: ReturnType<typeof mergeRoute>): StageFrameRow[] {
  return stageRows(m.stages).map(({ stage, p50Us, p99Us, meanUs, share }) => ({ stage, p50Us, p99Us, meanUs, share }));
}
