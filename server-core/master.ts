// The master process: forks N workers that share one listening socket (node:cluster), restarts a
// worker that dies, merges the workers' statistics, and shuts everything down in order so that no
// process is ever left behind.
import cluster, { type Worker } from "node:cluster";
import { existsSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { asErrorCode, MoonscopeError } from "../profile/errors";
import type { FromMaster, FromWorker, ProfileStartOptions, RouteInfo, StatsSnapshot, ToMaster, ToWorker, WorkerProfile, WorkerSnapshot } from "./ipc";
import type { ServeOptions, WorkerOptions } from "./options";
import { DEFAULT_METRICS_PATH, renderMetrics, RetiredWorkers } from "./metrics";

export type { ServeOptions } from "./options";

export const DEFAULT_SERVE: Omit<ServeOptions, "appFile"> = {
  host: "127.0.0.1",
  port: 8080,
  workers: Math.max(1, os.availableParallelism?.() ?? os.cpus().length),
  stages: true,
  statsEndpoint: false,
  metrics: false,
  metricsPath: DEFAULT_METRICS_PATH,
  handlerTimeoutMs: 1000,
  memoryLimitBytes: 256 * 1024 * 1024,
  requestTimeoutMs: 10_000,
  keepAliveTimeoutMs: 5_000,
  maxBodyBytes: 1024 * 1024,
  allow: {},
  explicit: [],
  shutdownGraceMs: 5_000,
};

/** What the worker with this number gets to know of the serve options. */
export function workerOptionsFor(opts: ServeOptions, worker: number): WorkerOptions {
  return {
    worker,
    appFile: path.resolve(opts.appFile),
    chunkName: path.basename(opts.appFile),
    host: opts.host,
    // The requested port, not the one picked for port 0: cluster shares one handle per (host, requested port).
    port: opts.port,
    stages: opts.stages,
    statsEndpoint: opts.statsEndpoint,
    metrics: opts.metrics,
    metricsPath: opts.metricsPath,
    handlerTimeoutMs: opts.handlerTimeoutMs,
    memoryLimitBytes: opts.memoryLimitBytes,
    requestTimeoutMs: opts.requestTimeoutMs,
    keepAliveTimeoutMs: opts.keepAliveTimeoutMs,
    maxBodyBytes: opts.maxBodyBytes,
    allow: opts.allow,
    luaPath: opts.luaPath,
    explicit: opts.explicit,
  };
}

export interface MasterEvents {
  log(level: "info" | "warn" | "error", message: string): void;
}

interface Slot {
  index: number;
  worker: Worker | null;
  ready: boolean;
  restarts: number[];
  /** When the worker last answered a liveness ping (or became ready). */
  answeredAt: number;
  /** Why the master killed the worker, for the restart's log line. */
  killedBecause: string | null;
}

const STATS_TIMEOUT_MS = 1000;

/** How often the master pings each ready worker. */
const PING_EVERY_MS = 1000;

/**
 * How long a worker may go without a pong before it is killed and replaced. A worker answers pings
 * between turns of its event loop, and while requests keep it busy for longer (many connections to
 * a slow handler) it sends a pong unasked about once a second as requests end (watchdog.ts); one
 * request takes at most the handler timeout plus the watchdog's second before it is stopped or
 * killed. So only a worker that makes no progress at all is killed: stuck outside any request, or
 * with a dead watchdog thread. With --handler-timeout 0 there is no limit on a request, so there is
 * no liveness check either.
 */
export function livenessLimitMs(handlerTimeoutMs: number): number {
  return handlerTimeoutMs > 0 ? Math.max(5000, 2 * handlerTimeoutMs + 2000) : 0;
}

/** Whether a process with this pid exists (a zombie still does; a reaped one does not). */
function processExists(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** How long a worker may take to answer a profiler request before it counts as hung (a start takes ~0.1 s). */
const PROFILE_ANSWER_MS = 5000;

/**
 * Sends to a worker that may be dying: a killed worker's channel can still look connected while
 * its pipe is already closed, and a failed send without a callback is an 'error' event that ends the
 * master. The message is dropped: the worker's exit handler replaces it, and a question it will
 * never answer ends with the ask's timeout, the worker listed as missing.
 */
function sendTo(w: Worker, m: ToWorker): void {
  if (!w.isConnected()) return;
  w.send(m, undefined, () => {});
}


export class Master {
  readonly opts: ServeOptions;
  private readonly events: MasterEvents;
  private readonly slots: Slot[] = [];
  private stopping = false;
  private port = 0;
  private address = "";
  /** MS_WARN_* warnings already logged: every worker reports them, the person reads them once. */
  private readonly warned = new Set<string>();
  routes: RouteInfo[] = [];
  private restarts = 0;
  private askSeq = 0;
  /** The port workers are forked with: the requested one, until every worker died once with port 0 (see fork()). */
  private listenPort: number;
  private liveness: NodeJS.Timeout | undefined;
  /** The profile every worker should be running (a replacement worker joins it), or null. */
  private activeProfile: ProfileStartOptions | null = null;
  private readonly pending = new Map<number, { want: Set<number>; got: Map<number, FromWorker>; done: (r: { got: Map<number, FromWorker>; missing: number[] }) => void; timer: NodeJS.Timeout }>();
  private exitWaiters: (() => void)[] = [];
  /** Counters of dead workers, so the metrics' counters never go down (see RetiredWorkers). */
  private readonly retired = new RetiredWorkers();

  constructor(opts: ServeOptions, events: MasterEvents) {
    this.opts = opts;
    this.events = events;
    this.listenPort = opts.port;
  }

  /** Starts every worker; resolves with the port once all are listening, rejects with the first worker's load error. */
  async start(): Promise<{ port: number; host: string; routes: RouteInfo[]; pids: number[] }> {
    const file = path.resolve(this.opts.appFile);
    if (!existsSync(file) || !statSync(file).isFile()) {
      throw new MoonscopeError("MS_ERR_APP_NOT_FOUND", `no Lua app at ${this.opts.appFile}; pass the path of your app file, e.g. examples/hello/app.lua`);
    }
    const workerScript = path.resolve(__dirname, "..", "server-core", "worker.js");
    if (!existsSync(workerScript)) {
      throw new MoonscopeError("MS_ERR_WORKER_START", `the worker bundle ${workerScript} is missing; run \`npm run build\``);
    }
    cluster.setupPrimary({ exec: workerScript, silent: false });
    for (let i = 0; i < this.opts.workers; i++) this.slots.push({ index: i + 1, worker: null, ready: false, restarts: [], answeredAt: 0, killedBecause: null });
    this.startLivenessChecks();
    return new Promise((resolve, reject) => {
      let settled = false;
      const fail = (err: MoonscopeError) => {
        if (settled) return;
        settled = true;
        void this.stop().then(() => reject(err));
      };
      const onReady = () => {
        if (settled || !this.slots.every((s) => s.ready)) return;
        settled = true;
        resolve({ port: this.port, host: this.address || this.opts.host, routes: this.routes, pids: this.pids() });
      };
      for (const slot of this.slots) this.fork(slot, onReady, fail);
    });
  }

  pids(): number[] {
    return this.slots.map((s) => s.worker?.process.pid ?? 0).filter((p) => p > 0);
  }

  private fork(slot: Slot, onReady: () => void, onFail: (e: MoonscopeError) => void): void {
    const wopts = workerOptionsFor(this.opts, slot.index);
    // Cluster shares one listening handle per requested (host, port) while a worker holds it. With
    // port 0, a worker forked when none is alive would get a new handle, so a new port under the
    // clients' feet: it asks for the port the first workers got instead (and keeps it, whatever
    // rover.server says).
    // A worker that died at the same time but whose exit is not handled yet has been reaped already
    // (so kill(pid, 0) fails): it holds no handle.
    if (this.port !== 0 && !this.slots.some((s) => s !== slot && s.worker !== null && processExists(s.worker.process.pid))) this.listenPort = this.port;
    if (this.listenPort !== wopts.port) {
      wopts.port = this.listenPort;
      wopts.explicit = [...wopts.explicit, "port"];
    }
    const w = cluster.fork({ MOONSCOPE_WORKER: JSON.stringify(wopts) });
    slot.worker = w;
    slot.ready = false;
    let loadFailed = false;
    w.on("message", (m: FromWorker) => {
      switch (m.type) {
        case "ready":
          slot.ready = true;
          slot.answeredAt = Date.now();
          this.routes = m.routes;
          // A worker that replaces one mid-profile joins the profile (nobody waits for its answer).
          if (this.activeProfile) sendTo(w, { type: "profile-start", id: 0, ...this.activeProfile });
          onReady();
          break;
        case "load-error":
          loadFailed = true;
          onFail(new MoonscopeError(asErrorCode(m.code, "MS_ERR_WORKER_START"), m.message, m.details ?? {}));
          break;
        case "stats":
        case "profile-started":
        case "profile":
          this.onReply(m.id, slot.index, m);
          break;
        case "pong":
          slot.answeredAt = Date.now();
          break;
        case "merged-stats-request":
          void this.collectStats(!!m.reset).then((s) => {
            sendTo(w, { type: "merged-stats", id: m.id, json: JSON.stringify(s) });
          });
          break;
        case "metrics-request":
          void this.metricsText().then((text) => {
            sendTo(w, { type: "metrics", id: m.id, text });
          });
          break;
        case "event":
          if (m.code.startsWith("MS_WARN_")) {
            if (this.warned.has(m.code + m.message)) break;
            this.warned.add(m.code + m.message);
            this.events.log(m.level, `${m.code}: ${m.message}`);
          } else this.events.log(m.level, `[worker ${slot.index}] ${m.code}: ${m.message}`);
          this.toParent({ type: "event", level: m.level, code: m.code, message: m.message, worker: slot.index });
          break;
        default: {
          const _exhaustive: never = m;
          void _exhaustive;
        }
      }
    });
    w.on("listening", (addr) => {
      if (!this.port) this.port = addr.port;
      if (!this.address && typeof addr.address === "string") this.address = addr.address;
    });
    w.on("exit", (code, signal) => {
      const wasReady = slot.ready;
      slot.ready = false;
      slot.worker = null;
      this.retired.retire(slot.index);
      for (const [id, p] of this.pending) {
        if (p.want.has(slot.index)) {
          // Keep it listed as missing: it died before answering.
          p.want.delete(slot.index);
          p.got.delete(slot.index);
          if (p.want.size === 0) this.finishAsk(id, [slot.index]);
        }
      }
      if (this.stopping) {
        this.checkAllExited();
        return;
      }
      if (loadFailed) return;
      if (!wasReady) {
        onFail(new MoonscopeError("MS_ERR_WORKER_START", `worker ${slot.index} exited during startup (${signal ? "signal " + signal : "exit code " + code}); run with --workers 1 to see its output`));
        return;
      }
      const why = slot.killedBecause ?? (signal ? `killed by ${signal}` : `exited with code ${code}`);
      slot.killedBecause = null;
      this.restarts++;
      const t = Date.now();
      slot.restarts = slot.restarts.filter((x) => t - x < 10_000);
      slot.restarts.push(t);
      // A worker that dies over and over (a crash at every request) is restarted with a short delay
      // instead of a tight fork loop.
      const delay = slot.restarts.length > 5 ? 1000 : 0;
      this.events.log("warn", `worker ${slot.index} (pid ${w.process.pid}) ${why}; starting a new one${delay ? " in 1 s (it keeps dying)" : ""}`);
      this.toParent({ type: "event", level: "warn", code: "MS_WARN_WORKER_RESTART", message: `worker ${slot.index} ${why}; restarted`, worker: slot.index });
      const again = () => {
        if (this.stopping) return;
        this.fork(slot, () => this.events.log("info", `worker ${slot.index} is back (pid ${slot.worker?.process.pid})`), (e) => this.events.log("error", e.message));
      };
      if (delay) setTimeout(again, delay).unref();
      else again();
    });
  }

  /** Pings every ready worker each second; one that has not answered within the liveness limit is killed (the exit handler replaces it). */
  private startLivenessChecks(): void {
    const limit = livenessLimitMs(this.opts.handlerTimeoutMs);
    if (limit === 0) return;
    this.liveness = setInterval(() => {
      if (this.stopping) return;
      const t = Date.now();
      for (const s of this.slots) {
        const w = s.worker;
        if (!w || !s.ready || !w.isConnected()) continue;
        if (t - s.answeredAt > limit) {
          s.killedBecause = `stopped answering for ${((t - s.answeredAt) / 1000).toFixed(1)} s (stuck where its watchdog cannot stop it) and was killed`;
          // Not killed again while it dies: the exit handler replaces it.
          s.answeredAt = t;
          w.process.kill("SIGKILL");
          continue;
        }
        sendTo(w, { type: "ping" });
      }
    }, PING_EVERY_MS);
    this.liveness.unref();
  }

  /** Sends a request to every ready worker; resolves with the answers, listing workers that did not answer in time. */
  private ask(make: (id: number) => ToWorker, timeoutMs: number): Promise<{ got: Map<number, FromWorker>; missing: number[] }> {
    return new Promise((resolve) => {
      const id = ++this.askSeq;
      const want = new Set<number>();
      for (const s of this.slots) {
        if (s.worker && s.ready && s.worker.isConnected()) {
          want.add(s.index);
          sendTo(s.worker, make(id));
        }
      }
      const timer = setTimeout(() => this.finishAsk(id, []), timeoutMs);
      timer.unref();
      this.pending.set(id, { want, got: new Map(), done: resolve, timer });
      if (want.size === 0) this.finishAsk(id, []);
    });
  }

  private onReply(id: number, worker: number, m: FromWorker): void {
    const p = this.pending.get(id);
    if (!p || !p.want.has(worker)) return;
    p.got.set(worker, m);
    p.want.delete(worker);
    if (p.want.size === 0) this.finishAsk(id, []);
  }

  private finishAsk(id: number, died: number[]): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    clearTimeout(p.timer);
    p.done({ got: p.got, missing: [...p.want, ...died].sort((a, b) => a - b) });
  }

  /** Merged stats of every worker; workers that do not answer within a second are listed as missing. */
  async collectStats(reset: boolean): Promise<StatsSnapshot> {
    const r = await this.ask((id) => ({ type: "stats", id, reset }), STATS_TIMEOUT_MS);
    const workers = [...r.got.values()].map((m) => (m as { snapshot: WorkerSnapshot }).snapshot).sort((a, b) => a.worker - b.worker);
    const snapshot = { time: Date.now(), workers, missing: r.missing, restarts: this.restarts };
    this.retired.seen(snapshot, reset);
    return snapshot;
  }

  /** A Prometheus scrape's answer: every worker that answers within a second, and those that died before. */
  async metricsText(): Promise<string> {
    const snapshot = await this.collectStats(false);
    return renderMetrics({ snapshot, retired: this.retired.routes(), workers: this.opts.workers });
  }

  /** Starts the CPU profiler and the Lua sampler in every worker. */
  async startProfiles(opts: ProfileStartOptions): Promise<{ workers: number[]; errors: string[] }> {
    this.activeProfile = opts;
    const r = await this.ask((id) => ({ type: "profile-start", id, ...opts }), PROFILE_ANSWER_MS);
    const errors: string[] = [];
    for (const [w, m] of r.got) if (m.type === "profile-started" && m.error) errors.push(`worker ${w}: ${m.error}`);
    for (const w of this.replaceHung(r.missing, "starting its profiler")) errors.push(w);
    return { workers: [...r.got.keys()].sort(), errors };
  }

  /** Stops profiling everywhere (or, with rotate, takes what was sampled and goes on) and gathers each worker's profile. */
  async stopProfiles(rotate = false): Promise<{ profiles: WorkerProfile[]; missing: number[] }> {
    if (!rotate) this.activeProfile = null;
    const r = await this.ask((id) => ({ type: "profile-stop", id, rotate }), rotate ? PROFILE_ANSWER_MS : 30_000);
    const profiles = [...r.got.values()].map((m) => (m as { profile: WorkerProfile }).profile).sort((a, b) => a.worker - b.worker);
    for (const line of this.replaceHung(r.missing, rotate ? "handing in its profile" : "stopping its profiler")) this.events.log("warn", line);
    return { profiles, missing: r.missing };
  }

  /**
   * A worker that does not answer a profiler request is stuck for good (V8 has deadlocked in
   * Profiler.start here): it serves nobody, so it is killed and replaced, and the replacement is
   * profiled from when it is up (see fork()).
   */
  private replaceHung(workers: number[], doing: string): string[] {
    const out: string[] = [];
    for (const index of workers) {
      const slot = this.slots.find((s) => s.index === index);
      const pid = slot?.worker?.process.pid;
      if (!slot?.worker || this.stopping) continue;
      slot.killedBecause = `hung ${doing} and was killed`;
      slot.worker.process.kill("SIGKILL");
      out.push(`worker ${index} (pid ${pid}) hung ${doing} and was replaced; the new worker is profiled from when it is up`);
    }
    return out;
  }

  /** Parent process (daemon, tests, bench) talking over the IPC channel of `moonscope serve`. */
  attachParent(onStopped: () => void): void {
    if (!process.send) return;
    process.on("message", (m: ToMaster) => {
      switch (m.type) {
        case "stats":
          void this.collectStats(!!m.reset).then((snapshot) => this.toParent({ type: "stats", id: m.id, snapshot }));
          break;
        case "profile-start":
          void this.startProfiles(m).then((r) => this.toParent({ type: "profile-started", id: m.id, ...r }));
          break;
        case "profile-stop":
          void this.stopProfiles(!!m.rotate).then((r) => this.toParent({ type: "profiles", id: m.id, ...r }));
          break;
        case "shutdown":
          void this.stop().then(onStopped);
          break;
        default: {
          const _exhaustive: never = m;
          void _exhaustive;
        }
      }
    });
    process.on("disconnect", () => void this.stop().then(onStopped));
  }

  toParent(m: FromMaster): void {
    if (process.send && process.connected) process.send(m);
  }

  /** Graceful stop: workers finish in-flight requests (up to the grace period) and exit; stragglers are killed. */
  stop(): Promise<void> {
    if (!this.stopping) {
      this.stopping = true;
      clearInterval(this.liveness);
      for (const s of this.slots) {
        const w = s.worker;
        if (!w) continue;
        if (w.isConnected()) sendTo(w, { type: "shutdown", graceMs: this.opts.shutdownGraceMs });
        else w.process.kill("SIGKILL");
      }
      const killTimer = setTimeout(() => {
        for (const s of this.slots) s.worker?.process.kill("SIGKILL");
      }, this.opts.shutdownGraceMs + 1000);
      killTimer.unref();
    }
    return new Promise((resolve) => {
      this.exitWaiters.push(resolve);
      this.checkAllExited();
    });
  }

  private checkAllExited(): void {
    if (!this.stopping || this.slots.some((s) => s.worker !== null)) return;
    const w = this.exitWaiters;
    this.exitWaiters = [];
    for (const f of w) f();
  }
}
