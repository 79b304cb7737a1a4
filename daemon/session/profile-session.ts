// One profiling session: start the app, warm up, load one route while both profilers run, gather
// what the workers saw, stop everything, and write the run folder. The CLI and the daemon both run
// sessions through here.
import { existsSync, readdirSync, rmSync, statSync } from "node:fs";
import path from "node:path";
import { toCpuProfile } from "../../profile/cpuprofile";
import { pruneTree, toFolded, type CallTree } from "../../profile/calltree";
import { toSpeedscope } from "../../profile/speedscope";
import { flamegraphSvg } from "../../profile/flamegraph-svg";
import { storeTree } from "../../profile/tree-store";
import { RUN_SCHEMA, RUN_VERSION, type RunFile, type StoredTree } from "../../profile/run";
import type { RouteInfo, StatsSnapshot, WorkerProfile } from "../../server-core/ipc";
import { chooseGenerator, runLoad, type LoadGeneratorName, type LoadResult } from "../load";
import { TreeAccumulator } from "../profile-build";
import { checkBudgets, hotSpotRows, mergeRoute, stageRows, verdict, workerRows, type Budget } from "../report/analyze";
import { ensureDir, RUNS_DIR, runDirName, writeFileAtomic } from "../runs/store";
import { SessionError } from "./errors";
import { parseRouteSpec, resolveRoute } from "./route-spec";
import { ServerProcess } from "./server-process";
import { ToolProcess } from "./tool-process";
import type { StageFrameRow, WorkerFrameRow } from "../../protocol/ws";
import { EXTERNAL_MODES, importTickLog, launchFor, readDoctor, reportOf, tidyToolDir, type ExternalMode } from "./external-profilers";

export interface ProfileSessionOptions {
  appFile: string;
  route: string;
  durationMs: number;
  warmupMs: number;
  connections: number;
  rate?: number;
  workers: number;
  mode: "sample" | "none" | ExternalMode;
  load?: LoadGeneratorName;
  out?: string;
  budgets: Budget[];
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

const VERSION = "0.1.0";

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
  if (o.rate && o.load) throw new SessionError("MS_ERR_USAGE", `--rate uses Moonscope's own fixed-rate generator (coordinated-omission corrected); drop --load ${o.load}, or drop --rate for closed-loop load with ${o.load}`);
  // 2.5 ms: at 1 ms the V8 sampler alone cost ~30% of the hello route's throughput on 2 cores (bench).
  const cpuIntervalUs = o.cpuIntervalUs ?? 2500;
  const luaIntervalMs = o.luaIntervalMs ?? 2;
  const progress = o.onProgress ?? (() => {});
  const warnings: string[] = [];
  const createdAt = new Date();
  const workspace = o.workspace ?? process.cwd();
  const dir = o.out ? path.resolve(o.out) : path.join(workspace, RUNS_DIR, runDirName(createdAt, spec.method, spec.path));
  if (!existsSync(dir)) made.push(dir);
  ensureDir(dir);
  const external = (EXTERNAL_MODES as readonly string[]).includes(o.mode) ? (o.mode as ExternalMode) : null;
  let server: ServerProcess | ToolProcess;
  let workers = o.workers;
  if (external) {
    const toolName = external === "0x" ? "0x" : `Clinic.js ${external.slice(7)}`;
    const launch = launchFor(external, path.join(dir, external));
    // Both tools refuse clustered processes ("0x does not support clustering"; Clinic rejects cluster).
    const note = `${toolName} does not profile clustered processes: the app runs as one process with no cluster${o.workers !== 1 ? ` (not ${o.workers} workers)` : ""}`;
    warnings.push(note);
    workers = 1;
    progress({ phase: "starting", message: `${note}; starting it under ${toolName}` });
    server = await ToolProcess.start({ appFile: o.appFile, luaIntervalMs, luaSamplesFile: path.join(dir, external, "lua-samples.json"), luaPath: o.luaPath, cliPath: o.cliPath, launch, tool: toolName, onLog: o.onLog });
  } else {
    progress({ phase: "starting", message: `starting ${path.basename(o.appFile)} with ${o.workers} worker${o.workers > 1 ? "s" : ""}` });
    server = await ServerProcess.start({ appFile: o.appFile, workers: o.workers, luaPath: o.luaPath, cliPath: o.cliPath, onLog: o.onLog });
  }
  let route: RouteInfo;
  try {
    route = resolveRoute(spec, server.routes, path.basename(o.appFile));
    const routeKey = `${route.method} ${route.path}`;
    const url = `http://127.0.0.1:${server.port}${spec.requestPath}`;
    const loadBase = { url, method: spec.method, body: o.body, headers: o.headers, connections: o.connections, rate: o.rate };

    if (o.warmupMs > 0) {
      progress({ phase: "warmup", message: `warming up for ${(o.warmupMs / 1000).toFixed(0)} s (${generator}, ${o.connections} connections)` });
      await runLoad(generator, { ...loadBase, durationMs: o.warmupMs }, o.signal);
    }
    // Cancelled during warm-up: nothing was measured, so there is no run to keep.
    abortIfAsked(o.signal);
    const first = await server.stats(true);
    const trees = new TreeAccumulator({ luaIntervalUs: luaIntervalMs * 1000 });
    let rotation: { stop(): Promise<string[]> } | null = null;
    if (o.mode === "sample" && server instanceof ServerProcess) {
      const started = await server.startProfiling({ cpuIntervalUs, luaIntervalMs });
      for (const e of started.errors) warnings.push(`profiler: ${e}`);
    }
    const t0 = performance.now();
    progress({ phase: "measuring", message: `measuring ${spec.method} ${spec.path}`, elapsedMs: 0, durationMs: o.durationMs });
    let firstSnapshotMs: number | null = null;
    const live = startLive(server, routeKey, o.durationMs, t0, (p) => {
      if (firstSnapshotMs === null && p.requests !== undefined) firstSnapshotMs = performance.now() - t0;
      progress(p);
    });
    if (o.mode === "sample" && server instanceof ServerProcess && o.onTree) rotation = startRotation(server, trees, t0, o.onTree);
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
    const last = await server.stats();
    if (load.aborted) {
      // The generator was stopped before it could report: what the server measured stands in for it.
      const m = mergeRoute(last, routeKey);
      const h = m.total;
      load = { ...load, requests: m.requests, rps: (m.requests / windowMs) * 1000, durationMs: windowMs, latencyUs: { min: h.min / 1000, mean: h.mean() / 1000, p50: h.percentile(50) / 1000, p90: h.percentile(90) / 1000, p99: h.percentile(99) / 1000, p999: h.percentile(99.9) / 1000, max: h.max / 1000 } };
      warnings.push("the load generator was stopped before it reported; throughput and latency are the server's own measurements");
    }
    let profiles: { profiles: WorkerProfile[]; missing: number[] } = { profiles: [], missing: [] };
    let externalInfo: RunFile["external"] = null;
    if (server instanceof ToolProcess && external) {
      progress({ phase: "collecting", message: `stopping the app and waiting for ${server.tool} to write its report` });
      const toolDir = path.join(dir, external);
      // Bounded: bubbleprof was seen hanging after the load here.
      const { lua } = await server.finish(external === "0x" ? 120_000 : 180_000);
      const cpuprofile = external === "0x" || external === "clinic-flame" ? importTickLog(toolDir) : null;
      if (cpuprofile === null && (external === "0x" || external === "clinic-flame")) {
        warnings.push(`${server.tool} left no stacks of the app's main thread to import (it can pick a helper thread's); its own report is kept, and the flamegraph here is built from the Lua samples alone`);
      }
      profiles = { profiles: [server.profileOf(cpuprofile, lua)], missing: [] };
      const report = reportOf(external, toolDir, dir);
      if (!report) warnings.push(`${server.tool} wrote no HTML report; see its output in the run folder`);
      externalInfo = { tool: external, report, doctor: external === "clinic-doctor" ? readDoctor(toolDir) : null, wholeProcess: true };
      warnings.push(`${server.tool} profiled the whole life of the app process, start-up and warm-up included`);
      tidyToolDir(toolDir);
    } else if (o.mode === "sample" && server instanceof ServerProcess) {
      profiles = await server.stopProfiling();
    }
    trees.add(profiles.profiles);
    for (const w of profiles.missing) warnings.push(`worker ${w} did not hand in its profile`);
    for (const p of profiles.profiles) if (p.error) warnings.push(`worker ${p.worker}: ${p.error}`);
    if (last.restarts > first.restarts) warnings.push(`${last.restarts - first.restarts} worker restart(s) during the run; see the server log`);
    await server.stop();

    progress({ phase: "writing", message: "writing the run" });
    return writeRun({ ...o, workers }, { spec, route, routes: server.routes, routeKey, generator, load, first, last, windowMs, trees: trees.result(), warnings, cpuIntervalUs, luaIntervalMs, firstSnapshotMs, dir, createdAt, external: externalInfo });
  } finally {
    if (server.alive) await server.stop(2000);
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
  if (signal?.aborted) throw new SessionError("MS_ERR_CANCELLED", "the profile was cancelled");
}

/** Polls the server's stats while the load runs so a person sees throughput and p99 as they happen. */
function startLive(server: { alive: boolean; stats(reset?: boolean): Promise<StatsSnapshot> }, routeKey: string, durationMs: number, t0: number, progress: (p: Progress) => void): { stop(): void } {
  let stopped = false;
  let prev = 0;
  let prevAt = t0;
  // Per pid: requests and CPU ms at the previous tick, for per-worker rates.
  const prevWorker = new Map<number, { requests: number; cpuMs: number }>();
  const tick = async () => {
    if (stopped || !server.alive) return;
    try {
      const snap = await server.stats();
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
function startRotation(server: ServerProcess, trees: TreeAccumulator, t0: number, onTree: (t: StoredTree, elapsedMs: number) => void): { stop(): Promise<string[]> } {
  let stopped = false;
  const failures: string[] = [];
  let inFlight: Promise<void> = Promise.resolve();
  const tick = () => {
    if (stopped || !server.alive) return;
    inFlight = server.rotateProfiling().then(
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

interface Collected {
  spec: ReturnType<typeof parseRouteSpec>;
  route: RouteInfo;
  routes: RouteInfo[];
  routeKey: string;
  generator: LoadGeneratorName;
  load: LoadResult;
  first: StatsSnapshot;
  last: StatsSnapshot;
  windowMs: number;
  /** Worker trees built from the profilers' chunks; null without a profile. */
  trees: ReturnType<TreeAccumulator["result"]>;
  warnings: string[];
  cpuIntervalUs: number;
  luaIntervalMs: number;
  firstSnapshotMs: number | null;
  dir: string;
  createdAt: Date;
  external: RunFile["external"];
}

function writeRun(o: ProfileSessionOptions, c: Collected): SessionResult {
  const { createdAt, dir } = c;
  const merged = mergeRoute(c.last, c.routeKey);
  const rows = stageRows(merged.stages);
  const workers = workerRows(c.first, c.last, c.routeKey, c.windowMs);
  const genCores = 1; // wrk runs -t1 and autocannon one process: one core at most
  const v = verdict(rows, { name: c.generator, cpuPercent: c.load.cpuPercent, cores: genCores }, workers);
  const stageSumUs = rows.reduce((a, r) => a + r.meanUs, 0);
  const serverMeanUs = merged.total.mean() / 1000;

  const chunk = path.basename(o.appFile);
  const trees = c.trees;
  const mergedTree = trees?.merged ?? null;
  const luaSamples = trees ? trees.workers.reduce((a, w) => a + w.luaSamples, 0) : 0;
  if (trees && mergedTree && mergedTree.total === 0) c.warnings.push("the CPU profiler recorded no samples");
  if (trees && luaSamples === 0 && trees.workers.some((w) => w.luaVmUs > 0)) c.warnings.push("the Lua sampler recorded no stacks; Lua time shows as (Lua VM)");

  const files: Record<string, string> = {};
  if (c.external?.report) files.report = c.external.report;
  const title = `${c.routeKey} — ${chunk}`;
  if (mergedTree) {
    const subtitle = `${c.load.rps.toFixed(0)} req/s, ${o.workers} worker(s), ${(c.windowMs / 1000).toFixed(1)} s, ${createdAt.toISOString()}`;
    writeFileAtomic(path.join(dir, "flamegraph.svg"), flamegraphSvg(mergedTree, { title, subtitle }));
    files.flamegraph = "flamegraph.svg";
    writeFileAtomic(path.join(dir, "profile.cpuprofile"), JSON.stringify(toCpuProfile(mergedTree)));
    files.cpuprofile = "profile.cpuprofile";
    writeFileAtomic(path.join(dir, "profile.folded"), toFolded(mergedTree));
    files.folded = "profile.folded";
    writeFileAtomic(path.join(dir, "profile.speedscope.json"), JSON.stringify(toSpeedscope(mergedTree, title)));
    files.speedscope = "profile.speedscope.json";
  }
  const clientLatency = c.load.latencyUs;
  const budgets = checkBudgets(o.budgets, { rps: c.load.rps, latencyUs: clientLatency as unknown as Record<string, number>, errors: c.load.errors, non2xx: c.load.non2xx });
  const run: RunFile = {
    $schema: RUN_SCHEMA,
    version: RUN_VERSION,
    tool: { name: "moonscope", version: VERSION, node: process.version },
    id: path.basename(dir),
    createdAt: createdAt.toISOString(),
    app: { file: path.resolve(o.appFile), routes: c.routes.map((r) => ({ method: r.method, path: r.path, name: r.name, file: r.file, line: r.line })) },
    route: { method: c.route.method, path: c.route.path, name: c.route.name, file: c.route.file, line: c.route.line },
    options: {
      durationMs: o.durationMs,
      warmupMs: o.warmupMs,
      connections: o.connections,
      rate: o.rate ?? null,
      workers: o.workers,
      mode: o.mode,
      load: c.generator,
      cpuIntervalUs: c.cpuIntervalUs,
      luaIntervalMs: c.luaIntervalMs,
    },
    client: {
      generator: c.generator,
      requests: c.load.requests,
      durationMs: c.load.durationMs,
      rps: c.load.rps,
      latencyUs: clientLatency,
      non2xx: c.load.non2xx,
      errors: c.load.errors,
      cpuPercent: c.load.cpuPercent,
      saturated: v.loadGenSaturated,
    },
    server: {
      requests: merged.requests,
      errors: merged.errors,
      statuses: merged.statuses,
      latencyUs: { p50: merged.total.percentile(50) / 1000, p99: merged.total.percentile(99) / 1000, mean: serverMeanUs },
      stageSumUs,
      unaccountedUs: serverMeanUs - stageSumUs,
      stages: rows,
      histograms: { total: merged.total.toJSON(), stages: Object.fromEntries(Object.entries(merged.stages).map(([k, h]) => [k, h.toJSON()])) as RunFile["server"]["histograms"]["stages"] },
      perWorker: c.last.workers
        .map((w) => {
          const m = mergeRoute({ ...c.last, workers: [w] }, c.routeKey);
          return { worker: w.worker, pid: w.pid, requests: m.requests, latencyUs: { p50: m.total.percentile(50) / 1000, p99: m.total.percentile(99) / 1000 }, stages: stageRows(m.stages) };
        })
        .sort((a, b) => a.worker - b.worker),
    },
    workers,
    verdict: { bottleneck: v.bottleneck, message: v.message },
    hotSpots: mergedTree ? hotSpotRows(mergedTree, 15) : [],
    profile: {
      mode: o.mode,
      luaSamples,
      merged: mergedTree ? storeTree(mergedTree) : null,
      perWorker: trees ? trees.workers.map((w) => ({ worker: w.worker, pid: w.pid, tree: storeTree(w.tree) })) : [],
      files,
    },
    budgets,
    warnings: c.warnings,
    session: { windowMs: c.windowMs, firstSnapshotMs: c.firstSnapshotMs },
    external: c.external,
  };
  writeFileAtomic(path.join(dir, "run.json"), JSON.stringify(run));
  return { run, dir, merged: mergedTree };
}
