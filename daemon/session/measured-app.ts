// One app under measurement, step by step: start it, warm it up, begin profiling, measure rounds,
// finish (collect the profiles and write the run folder). `moonscope profile` runs these steps for
// one app; `moonscope ab` runs them for two apps at once, alternating their rounds.
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { pruneTree, type CallTree } from "../../profile/calltree";
import { Timeline } from "../../profile/timeline";
import { storeTree } from "../../profile/tree-store";
import type { RoundStats, StoredTree } from "../../profile/run";
import { MoonscopeError } from "../../profile/errors";
import { PROFILE_DEFAULTS, type StageFrameRow, type WorkerFrameRow } from "../../protocol/types";
import { DEFAULT_SERVE } from "../../server-core/master";
import type { RouteInfo, StatsSnapshot, WorkerSnapshot } from "../../server-core/ipc";
import { chooseGenerator, runLoad, runMeasuredLoad, type LoadOptions, type LoadResult, type LoadSource } from "../load";
import { TreeAccumulator } from "../profile-build";
import { mergeRoute, stageRows } from "../report/analyze";
import { STAGE_NAMES } from "../../profile/run";
import { buildRunFile } from "../report/run-file";
import { writeRunFolder } from "../report/write-run";
import { captureApp, machineInfo, writeSnapshot, type AppCapture } from "./app-snapshot";
import { externalTool, keepToolReport, startUnderTool, type ExternalTool } from "./external-tool";
import type { ProfiledTarget, ProfileHandIn } from "./profiled-target";
import { combineLoads, roundStats, routeSince, serverSideLoad } from "./rounds";
import { parseRouteSpec, resolveRoute, type RouteSpec } from "./route-spec";
import { ServerProcess } from "./server-process";
import type { Progress, ProfileSessionOptions, SessionResult } from "./session-types";

/**
 * The workers a measured run gets when none are asked for (AUTO_WORKERS_TEXT). The load generator
 * shares the machine, and the samplers' threads wake hundreds of times a second: with a worker on
 * every core each wake-up takes a worker's turn, which costs the route several times the samplers'
 * own CPU (README, "Speed"). With a core left for them, sampling leaves the route as it was.
 * `serve` keeps one worker per CPU.
 */
export function autoWorkers(cores: number = DEFAULT_SERVE.workers): number {
  return Math.max(1, cores - 1);
}

/** Addresses that listen on every interface. */
const WILDCARD_HOSTS = new Set(["0.0.0.0", "::"]);
/** An address as a URL's host (an IPv6 one in brackets). */
const urlHost = (h: string) => (h.includes(":") ? `[${h}]` : h);

export class MeasuredApp {
  readonly warnings: string[] = [];
  private readonly generator: LoadSource;
  private readonly cpuIntervalUs: number;
  private readonly luaIntervalMs: number;
  private readonly profiling: boolean;
  private readonly trees: TreeAccumulator;
  private first: StatsSnapshot | null = null;
  private previous: StatsSnapshot | null = null;
  private readonly loads: LoadResult[] = [];
  readonly rounds: RoundStats[] = [];
  private windowMs = 0;
  private firstSnapshotMs: number | null = null;
  private rotation: { stop(): Promise<string[]> } | null = null;
  /** The measurement chunk by chunk, while the profile comes in chunks (a daemon's live session). */
  private readonly timeline = new Timeline();
  private chunkFrom: { snapshot: StatsSnapshot; ms: number } | null = null;
  /** When the last round's end snapshot was taken, ms after origin. */
  private measuredUntilMs: number | null = null;
  private profilersStarted = false;
  /** When the first round began (performance.now()): rounds' startMs count from the first app's first round in ab. */
  private origin: number | null = null;
  /** The processes this app ran in before the current one (see restart()): their workers' first and last snapshots. */
  private readonly retired = { first: [] as WorkerSnapshot[], last: [] as WorkerSnapshot[], restarts: 0 };

  private constructor(
    private readonly o: ProfileSessionOptions,
    readonly dir: string,
    private readonly spec: RouteSpec,
    private target: ProfiledTarget,
    readonly route: RouteInfo,
    private readonly tool: ExternalTool | null,
    private readonly workers: number,
    private readonly capture: AppCapture,
    private readonly createdAt: Date,
  ) {
    this.generator = o.load === "external" ? "external" : chooseGenerator(o.load, o.rate);
    this.cpuIntervalUs = o.cpuIntervalUs ?? PROFILE_DEFAULTS.cpuIntervalUs;
    this.luaIntervalMs = o.luaIntervalMs ?? PROFILE_DEFAULTS.luaIntervalMs;
    this.profiling = o.mode !== "none";
    this.trees = new TreeAccumulator({ luaIntervalUs: this.luaIntervalMs * 1000 });
    if (capture.warning) this.warnings.push(capture.warning);
  }

  get routeKey(): string {
    return `${this.route.method} ${this.route.path}`;
  }

  private get progress(): (p: Progress) => void {
    return this.o.onProgress ?? (() => {});
  }

  /** Starts the app (a server, or one process under an outside tool) and finds the route. */
  static async start(options: ProfileSessionOptions, dir: string, createdAt: Date): Promise<MeasuredApp> {
    const spec = parseRouteSpec(options.route);
    if (options.rate && options.load === "external") {
      throw new MoonscopeError("MS_ERR_USAGE", "--rate sets the pace of Moonscope's own generator, and with --load external the load comes from elsewhere; drop --rate (set the rate in your load tool)");
    }
    if (options.rate && options.load) {
      throw new MoonscopeError("MS_ERR_USAGE", `--rate uses Moonscope's own fixed-rate generator (coordinated-omission corrected); drop --load ${options.load}, or drop --rate for closed-loop load with ${options.load}`);
    }
    const o = options.workers <= 0 ? { ...options, workers: autoWorkers() } : options;
    const progress = o.onProgress ?? (() => {});
    const capture = captureApp(o.appFile);
    const tool = externalTool(o.mode, dir);
    let target: ProfiledTarget;
    let workers = o.workers;
    const warnings: string[] = [];
    if (tool && (options.host !== undefined || options.port !== undefined)) {
      throw new MoonscopeError("MS_ERR_USAGE", `--host and --port choose where the server listens, and under ${tool.name} the app listens on a free loopback port of its own; drop them, or use --mode sample`);
    }
    if (tool) {
      // Both tools refuse clustered processes ("0x does not support clustering"; Clinic rejects cluster).
      const note = `${tool.name} does not profile clustered processes: the app runs as one process with no cluster${o.workers !== 1 ? ` (not ${o.workers} workers)` : ""}`;
      warnings.push(note);
      workers = 1;
      progress({ phase: "starting", message: `${note}; starting it under ${tool.name}` });
      target = await startUnderTool(tool, { appFile: o.appFile, luaIntervalMs: o.luaIntervalMs ?? PROFILE_DEFAULTS.luaIntervalMs, luaPath: o.luaPath, cliPath: o.cliPath, onLog: o.onLog });
    } else {
      progress({ phase: "starting", message: `starting ${path.basename(o.appFile)} with ${o.workers} worker${o.workers > 1 ? "s" : ""}` });
      target = await ServerProcess.start({ appFile: o.appFile, workers: o.workers, port: o.port, extraArgs: o.host !== undefined ? ["--host", o.host] : [], luaPath: o.luaPath, cliPath: o.cliPath, onLog: o.onLog });
    }
    try {
      const route = resolveRoute(spec, target.routes, path.basename(o.appFile));
      const app = new MeasuredApp(o, dir, spec, target, route, tool, workers, capture, createdAt);
      app.warnings.push(...warnings);
      return app;
    } catch (e) {
      await target.stop(2000);
      throw e;
    }
  }

  private loadOptions(durationMs: number): LoadOptions {
    const o = this.o;
    // Our generator reaches a wildcard listener on loopback, and any other --host where it is.
    const host = o.host === undefined || WILDCARD_HOSTS.has(o.host) ? "127.0.0.1" : urlHost(o.host);
    return { url: `http://${host}:${this.target.port}${this.spec.requestPath}`, method: this.spec.method, body: o.body, headers: o.headers, connections: o.connections, rate: o.rate, durationMs };
  }

  /** The route's URL where the app listens (a wildcard host is named by this machine's name). */
  private get routeUrl(): string {
    const host = this.o.host ?? "127.0.0.1";
    const shown = WILDCARD_HOSTS.has(host) ? os.hostname() : urlHost(host);
    return `http://${shown}:${this.target.port}${this.spec.requestPath}`;
  }

  async warm(label = ""): Promise<void> {
    const o = this.o;
    if (this.generator === "external") {
      // Nothing of ours drives it: say where to point the load, then let what arrives warm the app up.
      const url = this.routeUrl;
      const rounds = o.runs ?? 1;
      const measured = `${(o.durationMs / 1000).toFixed(0)} s${rounds > 1 ? ` × ${rounds} rounds` : ""}`;
      this.progress({
        phase: "warmup",
        message: `load from elsewhere: send ${this.spec.method} requests to ${url} now; ${o.warmupMs > 0 ? `the first ${(o.warmupMs / 1000).toFixed(0)} s warm up, then ` : ""}${measured} are measured`,
        loadUrl: url,
      });
      if (o.warmupMs > 0) await sleep(o.warmupMs, undefined, { signal: o.signal }).catch(() => {});
      return;
    }
    if (o.warmupMs > 0) {
      this.progress({ phase: "warmup", message: `warming up${label} for ${(o.warmupMs / 1000).toFixed(0)} s (${this.generator}, ${o.connections} connections)` });
      await runLoad(this.generator, this.loadOptions(o.warmupMs), o.signal);
    }
  }

  /**
   * Starts the profilers before the warm-up, so the first round does not pay for their start (the
   * V8 profiler's first samples, code it deoptimises); the warm-up's samples are dropped by reset().
   */
  async startProfilers(): Promise<void> {
    // A profiler that cannot hand in chunks (an outside tool's process) starts at reset() instead,
    // so the warm-up is not in its profile.
    if (!this.profiling || this.profilersStarted || !this.target.rotateProfiling) return;
    this.profilersStarted = true;
    const started = await this.target.startProfiling({ cpuIntervalUs: this.cpuIntervalUs, luaIntervalMs: this.luaIntervalMs });
    for (const e of started.errors) this.warnings.push(`profiler: ${e}`);
  }

  /** Drops what the warm-up recorded (statistics and, where the profiler can hand in chunks, samples): what follows is measured. */
  async reset(origin: number): Promise<void> {
    this.origin = origin;
    if (this.profiling && !this.profilersStarted) {
      this.profilersStarted = true;
      const started = await this.target.startProfiling({ cpuIntervalUs: this.cpuIntervalUs, luaIntervalMs: this.luaIntervalMs });
      for (const e of started.errors) this.warnings.push(`profiler: ${e}`);
    }
    const rotate = this.target.rotateProfiling?.bind(this.target);
    if (this.profiling && rotate) {
      await rotate();
      if (this.o.onTree) this.rotation = startRotation(this.target, rotate, this.trees, origin, this.o.onTree, (tree) => this.addChunk(tree));
    }
    await this.target.stats(true);
    // The snapshot a reset answers holds what came before it; the baseline is the one after.
    this.first = await this.target.stats();
    if (this.rotation) this.chunkFrom = { snapshot: this.first, ms: performance.now() - origin };
    this.previous = this.first;
  }

  /** Whether restart() can start the app again: an outside tool's process ends with its report. */
  get canRestart(): boolean {
    return this.tool === null;
  }

  /**
   * Ends the app's processes and starts them again, profilers on, warmed up and reset: `ab`
   * measures each pair of rounds on fresh processes, because a process keeps its own speed for its
   * whole life (where its code landed, what V8 optimised when: one side's worker ran 30% slower
   * per request through five interleaved rounds), and interleaving cannot cancel that. What the
   * old processes measured and sampled stays in the run.
   */
  async restart(label = ""): Promise<void> {
    if (!this.canRestart) throw new Error("an app under an outside tool cannot be restarted");
    // The new processes load the files as they are now: they must be the version measured so far.
    const now = captureApp(this.o.appFile).files;
    const was = this.capture.files;
    const changed = [...new Set([...Object.keys(now), ...Object.keys(was)])].filter((f) => now[f] !== was[f]).sort();
    if (changed.length) {
      throw new MoonscopeError("MS_ERR_APP_CHANGED", `${changed.slice(0, 5).join(", ")}${changed.length > 5 ? ` and ${changed.length - 5} more` : ""} changed while ab measured ${path.basename(this.o.appFile)}, so its rounds would mix two versions; run ab again once the files are saved, or pass a run folder (its copy of the app) as that side`);
    }
    const failed = (await this.rotation?.stop()) ?? [];
    if (failed.length) this.warnings.push(`${failed.length} live flamegraph update(s) failed, and their samples are missing from the profile: ${failed[0]}`);
    this.rotation = null;
    const end = this.previous ?? (await this.target.stats());
    this.retired.first.push(...this.first!.workers);
    this.retired.last.push(...end.workers);
    this.retired.restarts += end.restarts - this.first!.restarts;
    if (this.profilersStarted) this.takeProfiles(await this.target.stopProfiling());
    await this.target.stop();
    this.progress({ phase: "starting", message: `starting ${path.basename(this.o.appFile)} again${label}, on fresh processes for this round` });
    this.target = await ServerProcess.start({ appFile: this.o.appFile, workers: this.workers, luaPath: this.o.luaPath, cliPath: this.o.cliPath, onLog: this.o.onLog });
    this.profilersStarted = false;
    await this.startProfilers();
    await this.warm(label);
    await this.reset(this.origin ?? performance.now());
  }

  /** One chunk of the timeline: its samples, and the route's requests since the previous chunk. */
  private async addChunk(tree: CallTree | null, at?: { snapshot: StatsSnapshot; ms: number }): Promise<void> {
    const from = this.chunkFrom;
    if (!from) return;
    const now = at?.snapshot ?? (await this.target.stats());
    const ms = at?.ms ?? performance.now() - (this.origin ?? 0);
    const m = routeSince(now, from.snapshot, this.routeKey);
    const means = Object.fromEntries(stageRows(m.stages).map((r) => [r.stage, r.meanUs]));
    this.timeline.add(
      {
        startMs: from.ms,
        endMs: ms,
        requests: m.requests,
        p50Us: m.requests ? m.total.percentile(50) / 1000 : 0,
        p99Us: m.requests ? m.total.percentile(99) / 1000 : 0,
        stageMeanUs: Object.fromEntries(STAGE_NAMES.map((st) => [st, means[st] ?? 0])) as Record<(typeof STAGE_NAMES)[number], number>,
      },
      tree,
    );
    this.chunkFrom = { snapshot: now, ms };
  }

  /** Adds what the profilers handed in to the run's trees, and says what is missing; returns that hand-in's tree. */
  private takeProfiles(handIn: ProfileHandIn): CallTree | null {
    for (const w of handIn.warnings) this.warnings.push(w);
    const chunk = this.trees.add(handIn.profiles);
    for (const w of handIn.missing) this.warnings.push(`worker ${w} did not hand in its profile`);
    for (const p of handIn.profiles) if (p.error) this.warnings.push(`worker ${p.worker}: ${p.error}`);
    return chunk;
  }

  /** One measured round: load for the duration, then what the client and the server saw in it. */
  async round(index: number, count: number, label = ""): Promise<RoundStats> {
    const o = this.o;
    // The round counts from a snapshot taken now, not from the end of the previous round: between
    // rounds an app still burns CPU (its profilers sample, and in ab it idles while the other side
    // is loaded), which is no request's cost.
    const start = await this.target.stats();
    const t0 = performance.now();
    // When the generator's first requests go out (LoadOptions.settleMs): the round is measured from
    // then. Until then the server only takes connections, so the snapshot above still marks its start.
    let releasedAt: number | null = null;
    const from = () => releasedAt ?? t0;
    const round = count > 1 ? { index, count } : undefined;
    this.progress({ phase: "measuring", message: `measuring ${this.spec.method} ${this.spec.path}${label}${count > 1 ? `, round ${index + 1} of ${count}` : ""}`, elapsedMs: 0, durationMs: o.durationMs, round });
    const live = startLive(this.target, this.routeKey, o.durationMs, t0, from, (p) => {
      if (this.firstSnapshotMs === null && p.requests !== undefined) this.firstSnapshotMs = performance.now() - t0;
      this.progress({ ...p, round });
    });
    let load: LoadResult | null = null;
    try {
      // Load from elsewhere: this round is its length of whatever arrives (a cancel ends it early).
      if (this.generator === "external") await sleep(o.durationMs, undefined, { signal: o.signal }).catch(() => {});
      else load = (await runMeasuredLoad(this.generator, this.loadOptions(o.durationMs), o.signal, (at) => (releasedAt = at))).load;
    } finally {
      live.stop();
    }
    const windowMs = Math.max(0, performance.now() - from());
    const startMs = from() - (this.origin ?? t0);
    const end = await this.target.stats();
    this.measuredUntilMs = performance.now() - (this.origin ?? t0);
    if (load === null || load.aborted) {
      // No generator of ours reported: what the server measured stands in for it.
      const m = routeSince(end, start, this.routeKey);
      const aborted = load !== null;
      load = { ...serverSideLoad(m, windowMs, this.generator, load?.cpuPercent ?? 0), ...(aborted ? { aborted } : {}) };
      if (aborted) this.warnings.push("the load generator was stopped before it reported; throughput and latency are the server's own measurements");
      if (m.requests === 0) this.warnings.push(`no ${this.routeKey} request arrived${count > 1 ? ` in round ${index + 1}` : ""}${this.generator === "external" ? ` at ${this.routeUrl}` : ""}: that round has no latency or throughput to report`);
    }
    const stats = roundStats(start, end, this.routeKey, load, windowMs, startMs);
    this.previous = end;
    this.loads.push(load);
    this.rounds.push(stats);
    this.windowMs += windowMs;
    return stats;
  }

  /** Stops the profilers and the app, and writes the run folder. */
  async finish(extra: { ab?: { side: "A" | "B"; other: string; order: string } } = {}): Promise<SessionResult> {
    const o = this.o;
    const warnings = this.warnings;
    const failed = (await this.rotation?.stop()) ?? [];
    if (failed.length) warnings.push(`${failed.length} live flamegraph update(s) failed, and their samples are missing from the profile: ${failed[0]}`);
    const planned = (o.runs ?? 1) * o.durationMs;
    if (o.signal?.aborted) warnings.push(`the run was stopped early, after ${(this.windowMs / 1000).toFixed(1)} of ${(planned / 1000).toFixed(0)} s`);
    this.progress({ phase: "collecting", message: "collecting statistics and profiles" });
    const current = this.previous ?? (await this.target.stats());
    const load = combineLoads(this.loads);
    for (const w of load.warnings ?? []) warnings.push(w);
    if (this.profiling) {
      if (this.tool) this.progress({ phase: "collecting", message: `stopping the app and waiting for ${this.tool.name} to write its report` });
      const last = this.takeProfiles(await this.target.stopProfiling());
      // The last chunk ends with the measurement, not after the profiles were collected.
      await this.addChunk(last, { snapshot: current, ms: this.measuredUntilMs ?? performance.now() - (this.origin ?? 0) });
    }
    const external = this.tool ? keepToolReport(this.tool, this.dir, warnings) : null;
    // The run's totals cover every process the app ran in: their workers side by side.
    const first: StatsSnapshot = { ...this.first!, workers: [...this.retired.first, ...this.first!.workers] };
    const last: StatsSnapshot = { ...current, workers: [...this.retired.last, ...current.workers] };
    const crashed = this.retired.restarts + current.restarts - this.first!.restarts;
    if (crashed > 0) warnings.push(`${crashed} worker restart(s) during the run; see the server log`);
    await this.target.stop();

    this.progress({ phase: "writing", message: "writing the run" });
    const collected = this.trees.result();
    const snapshot = writeSnapshot(this.capture, this.dir);
    const run = buildRunFile(
      { ...o, workers: this.workers },
      {
        id: path.basename(this.dir),
        createdAt: this.createdAt,
        route: this.route,
        routes: this.target.routes,
        routeKey: this.routeKey,
        generator: this.generator,
        load,
        first,
        last,
        windowMs: this.windowMs,
        trees: collected,
        warnings,
        cpuIntervalUs: this.cpuIntervalUs,
        luaIntervalMs: this.luaIntervalMs,
        firstSnapshotMs: this.firstSnapshotMs,
        external,
        rounds: this.rounds,
        machine: machineInfo(),
        appFiles: this.capture.files,
        appSources: this.capture.contents,
        snapshot,
        ab: extra.ab,
        timeline: this.timeline.all,
      },
    );
    const merged = collected?.merged ?? null;
    writeRunFolder(this.dir, run, merged);
    return { run, dir: this.dir, merged };
  }

  /** The app's port (its requests are the ones measured; tests load other routes through it). */
  get port(): number {
    return this.target.port;
  }

  get alive(): boolean {
    return this.target.alive;
  }

  async stop(graceMs = 2000): Promise<void> {
    await this.rotation?.stop();
    if (this.target.alive) await this.target.stop(graceMs);
  }
}

/** Live frames a second: a tick every LIVE_TICK_MS after t0, whatever each stats reply took. */
const LIVE_TICK_MS = 250;
/** Stats requests of the live view waiting for their replies at once: a stalled app gets no pile of them. */
const MAX_IN_FLIGHT = 2;

/** Polls the server's stats while the load runs so a person sees throughput and p99 as they happen. */
function startLive(target: Pick<ProfiledTarget, "alive" | "stats">, routeKey: string, durationMs: number, t0: number, measuredFrom: () => number, progress: (p: Progress) => void): { stop(): void } {
  let stopped = false;
  let prev = 0;
  let prevAt = t0;
  let base: number | null = null;
  // Per pid: requests and CPU ms at the previous tick, for per-worker rates.
  const prevWorker = new Map<number, { requests: number; cpuMs: number }>();
  const frame = (snap: StatsSnapshot) => {
    const m = mergeRoute(snap, routeKey);
    // The statistics are cumulative over rounds: rates count from this round's first tick.
    if (base === null) {
      base = m.requests;
      prev = m.requests;
    }
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
      elapsedMs: Math.max(0, now - measuredFrom()),
      durationMs,
      requests: m.requests,
      rps,
      serverP50Us: m.total.percentile(50) / 1000,
      serverP99Us: m.total.percentile(99) / 1000,
      stages: frameStages(m),
      workers,
    });
  };
  // A stats request every tick of a fixed grid from t0 (not 250 ms after each reply, which made ~3
  // frames a second). Requests overlap, at most MAX_IN_FLIGHT, so a reply slower than a tick costs
  // no frame; replies are handled in the order sent.
  let inFlight = 0;
  let replies: Promise<void> = Promise.resolve();
  const tick = () => {
    if (stopped || !target.alive) return;
    timer = setTimeout(tick, nextTickIn(performance.now() - t0));
    if (inFlight >= MAX_IN_FLIGHT) return;
    inFlight++;
    const reply = target.stats();
    replies = replies.then(
      () => reply.then((snap) => !stopped && frame(snap)),
    ).then(
      () => void inFlight--,
      // The final snapshot reports errors; a missed live tick is not one.
      () => void inFlight--,
    );
  };
  let timer = setTimeout(tick, LIVE_TICK_MS);
  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}

/** Milliseconds from elapsed to the next multiple of LIVE_TICK_MS (at least a tenth of one, so ticks never run back to back). */
export function nextTickIn(elapsedMs: number): number {
  const next = (Math.floor(elapsedMs / LIVE_TICK_MS) + 1) * LIVE_TICK_MS;
  return Math.max(LIVE_TICK_MS / 10, next - elapsedMs);
}

/** Every ROTATE_MS, the profilers hand in their chunk; the merged tree so far goes to onTree, pruned for the wire. */
const ROTATE_MS = 2000;
function startRotation(
  target: Pick<ProfiledTarget, "alive">,
  rotate: () => Promise<ProfileHandIn>,
  trees: TreeAccumulator,
  t0: number,
  onTree: (t: StoredTree, elapsedMs: number) => void,
  onChunk: (chunk: CallTree | null) => Promise<void>,
): { stop(): Promise<string[]> } {
  let stopped = false;
  const failures: string[] = [];
  let inFlight: Promise<void> = Promise.resolve();
  const tick = () => {
    if (stopped || !target.alive) return;
    inFlight = rotate().then(
      async (r) => {
        const chunk = trees.add(r.profiles);
        const res = trees.result();
        if (res && res.merged.total > 0) onTree(storeTree(pruneTree(res.merged, 0.001)), performance.now() - t0);
        await onChunk(chunk).catch(() => {
          /* the next chunk counts its requests; its samples are in the run's profile, not in the timeline */
        });
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
