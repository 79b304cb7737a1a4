// A session's run.json, built from what the session collected. Pure (no file system), so it can be
// checked with a hand-made input; write-run.ts writes it and the profile exports it lists.
import path from "node:path";
import type { CallTree } from "../../profile/calltree";
import { EXPORT_FORMATS, EXPORT_FORMAT_NAMES } from "../../profile/exports";
import { RUN_SCHEMA, RUN_VERSION, type MachineInfo, type RoundStats, type RunFile, type RunMode, type TimelineChunk } from "../../profile/run";
import { storeTree } from "../../profile/tree-store";
import { hotLineRows, LineCostTable, sourceLines } from "../../profile/hot-lines";
import { MOONSCOPE_VERSION } from "../../profile/version";
import type { RouteInfo, StatsSnapshot } from "../../server-core/ipc";
import type { LoadResult, LoadSource } from "../load";
import { samplingCost, type WorkerTree } from "../profile-build";
import { busyTime, checkBudgets, hotSpotRows, mergeRoute, stageRows, verdict, workerRows, type Budget } from "./analyze";

/** The options the session ran with, as run.json records them. */
export interface RunSettings {
  appFile: string;
  durationMs: number;
  warmupMs: number;
  connections: number;
  rate?: number;
  /** Measured rounds (absent: 1); durationMs is each round's. */
  runs?: number;
  /** --lua-path as given (absolute entries), so `ab` can run the app the same way again. */
  luaPath?: string;
  /** Server workers: as asked (0: protocol/types.ts AUTO_WORKERS_TEXT) for a session, the ones that served for the run file (one under an outside profiler). */
  workers: number;
  mode: RunMode;
  budgets: Budget[];
}

/** What a session collected while it ran. */
export interface Collected {
  /** The run's id: its folder's name. */
  id: string;
  createdAt: Date;
  route: RouteInfo;
  routes: RouteInfo[];
  routeKey: string;
  generator: LoadSource;
  load: LoadResult;
  /** Statistics when the measured window began (reset) and when it ended. */
  first: StatsSnapshot;
  last: StatsSnapshot;
  windowMs: number;
  /** Worker trees built from the profilers' chunks; null without a profile. */
  trees: { workers: WorkerTree[]; merged: CallTree } | null;
  warnings: string[];
  cpuIntervalUs: number;
  luaIntervalMs: number;
  firstSnapshotMs: number | null;
  external: RunFile["external"];
  /** The measured rounds (one for a plain run). */
  rounds: RoundStats[];
  machine: MachineInfo;
  /** Hashes of the app's Lua files, and the run folder's copy of them (null: none kept). */
  appFiles: Record<string, string>;
  snapshot: string | null;
  /** The app's Lua files as profiled, by path relative to its folder (the hot lines' source text); null when too large to keep. */
  appSources: ReadonlyMap<string, Buffer> | null;
  ab?: RunFile["ab"];
  /** The measurement's stretches, when the profile came in chunks (a daemon's session). */
  timeline?: TimelineChunk[];
}

/** The app's hottest lines over every worker, with their text from the files as profiled. */
function runHotLines(trees: NonNullable<Collected["trees"]>, busyUs: number, sources: Collected["appSources"]): RunFile["hotLines"] {
  const table = new LineCostTable();
  for (const w of trees.workers) table.addAll(w.lines);
  const split = new Map<string, string[]>();
  const text = (file: string, line: number): string | undefined => {
    let lines = split.get(file);
    if (lines === undefined) {
      const bytes = sources?.get(file);
      split.set(file, (lines = bytes ? sourceLines(bytes.toString("utf8")) : []));
    }
    return lines[line - 1];
  };
  return hotLineRows(table.costs(), busyUs, text);
}

/** run.json for what was collected; every profile export it lists is to be written beside it. */
export function buildRunFile(o: RunSettings, c: Collected): RunFile {
  const merged = mergeRoute(c.last, c.routeKey);
  const rows = stageRows(merged.stages);
  const workers = workerRows(c.first, c.last, c.routeKey, c.windowMs);
  const genCores = 1; // wrk runs -t1 and autocannon one process: one core at most
  const v = verdict(rows, { name: c.generator, cpuPercent: c.load.cpuPercent, cores: genCores }, workers);
  const stageSumUs = rows.reduce((a, r) => a + r.meanUs, 0);
  const serverMeanUs = merged.total.mean() / 1000;

  const trees = c.trees;
  const mergedTree = trees?.merged ?? null;
  const luaSamples = trees ? trees.workers.reduce((a, w) => a + w.luaSamples, 0) : 0;
  const warnings = [...c.warnings];
  if (c.machine.electron) warnings.push(electronWarning(c.machine));
  if (trees && mergedTree && mergedTree.total === 0) warnings.push("the CPU profiler recorded no samples");
  if (trees && luaSamples === 0 && trees.workers.some((w) => w.luaVmUs > 0)) warnings.push("the Lua sampler recorded no stacks; Lua time shows as (Lua VM)");

  const files: Record<string, string> = {};
  if (c.external?.report) files.report = c.external.report;
  if (mergedTree) for (const f of EXPORT_FORMAT_NAMES) files[EXPORT_FORMATS[f].runFileKey] = EXPORT_FORMATS[f].file;

  const clientLatency = c.load.latencyUs;
  const budgets = checkBudgets(o.budgets, { rps: c.load.rps, latencyUs: clientLatency as unknown as Record<string, number>, errors: c.load.errors, non2xx: c.load.non2xx });
  return {
    $schema: RUN_SCHEMA,
    version: RUN_VERSION,
    tool: { name: "moonscope", version: MOONSCOPE_VERSION, node: process.version },
    id: c.id,
    createdAt: c.createdAt.toISOString(),
    app: {
      file: path.resolve(o.appFile),
      routes: c.routes.map((r) => ({ method: r.method, path: r.path, name: r.name, file: r.file, line: r.line })),
      files: c.appFiles,
      ...(c.snapshot ? { snapshot: c.snapshot } : {}),
    },
    route: { method: c.route.method, path: c.route.path, name: c.route.name, file: c.route.file, line: c.route.line },
    machine: c.machine,
    rounds: c.rounds,
    ...(c.ab ? { ab: c.ab } : {}),
    options: {
      runs: o.runs ?? 1,
      ...(o.luaPath ? { luaPath: o.luaPath } : {}),
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
    hotLines: trees && mergedTree ? runHotLines(trees, busyTime(mergedTree), c.appSources) : [],
    profile: {
      mode: o.mode,
      luaSamples,
      ...(trees ? { samplingCost: samplingCost(trees.workers, workers.reduce((a, w) => a + (w.cpuPercent / 100) * c.windowMs, 0)) } : {}),
      merged: mergedTree ? storeTree(mergedTree) : null,
      perWorker: trees ? trees.workers.map((w) => ({ worker: w.worker, pid: w.pid, tree: storeTree(w.tree) })) : [],
      files,
      ...(c.timeline?.length ? { timeline: c.timeline } : {}),
    },
    budgets,
    warnings,
    session: { windowMs: c.windowMs, firstSnapshotMs: c.firstSnapshotMs },
    external: c.external,
  };
}

/** The exports' title (the SVG and speedscope show it) and the SVG's subtitle, from the run itself. */
export function exportTitles(run: RunFile): { title: string; subtitle: string } {
  return {
    title: `${run.route.method} ${run.route.path} — ${path.basename(run.app.file)}`,
    subtitle: `${run.client.rps.toFixed(0)} req/s, ${run.options.workers} worker(s), ${(run.session.windowMs / 1000).toFixed(1)} s, ${run.createdAt}`,
  };
}

/** What a run under an editor's built-in Node says in its report, and why it matters. */
export function electronWarning(m: MachineInfo): string {
  return `the app ran under the Node inside Electron ${m.electron} (${m.node}, the editor's own), not a node of its own: its figures may differ from a run in a terminal; put node on PATH or set moonscope.nodePath`;
}
