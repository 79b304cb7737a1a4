// The master process: forks N workers that share one listening socket (node:cluster), restarts a
// worker that dies, merges the workers' statistics, and shuts everything down in order so that no
// process is ever left behind.
import cluster, { type Worker } from "node:cluster";
import { existsSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { ServerError } from "./errors";
import type { FromMaster, FromWorker, RouteInfo, StatsSnapshot, ToMaster, ToWorker, WorkerSnapshot } from "./ipc";
import type { WorkerOptions } from "./worker";

export interface ServeOptions {
  appFile: string;
  host: string;
  port: number;
  workers: number;
  stages: boolean;
  statsEndpoint: boolean;
  handlerTimeoutMs: number;
  memoryLimitBytes: number;
  requestTimeoutMs: number;
  keepAliveTimeoutMs: number;
  maxBodyBytes: number;
  allow: { io?: boolean; os?: boolean; require?: boolean };
  /** Grace period for in-flight requests at shutdown. */
  shutdownGraceMs: number;
}

export const DEFAULT_SERVE: Omit<ServeOptions, "appFile"> = {
  host: "127.0.0.1",
  port: 8080,
  workers: Math.max(1, os.availableParallelism?.() ?? os.cpus().length),
  stages: true,
  statsEndpoint: false,
  handlerTimeoutMs: 1000,
  memoryLimitBytes: 256 * 1024 * 1024,
  requestTimeoutMs: 10_000,
  keepAliveTimeoutMs: 5_000,
  maxBodyBytes: 1024 * 1024,
  allow: {},
  shutdownGraceMs: 5_000,
};

export interface MasterEvents {
  log(level: "info" | "warn" | "error", message: string): void;
}

interface Slot {
  index: number;
  worker: Worker | null;
  ready: boolean;
  restarts: number[];
}

const STATS_TIMEOUT_MS = 1000;

export class Master {
  readonly opts: ServeOptions;
  private readonly events: MasterEvents;
  private readonly slots: Slot[] = [];
  private stopping = false;
  private port = 0;
  routes: RouteInfo[] = [];
  private restarts = 0;
  private statsSeq = 0;
  private readonly pending = new Map<number, { want: Set<number>; got: WorkerSnapshot[]; done: (s: StatsSnapshot) => void; timer: NodeJS.Timeout }>();
  private exitWaiters: (() => void)[] = [];

  constructor(opts: ServeOptions, events: MasterEvents) {
    this.opts = opts;
    this.events = events;
  }

  /** Starts every worker; resolves with the port once all are listening, rejects with the first worker's load error. */
  async start(): Promise<{ port: number; routes: RouteInfo[]; pids: number[] }> {
    const file = path.resolve(this.opts.appFile);
    if (!existsSync(file) || !statSync(file).isFile()) {
      throw new ServerError("MS_ERR_APP_NOT_FOUND", `no Lua app at ${this.opts.appFile}; pass the path of your app file, e.g. examples/hello/app.lua`);
    }
    const workerScript = path.resolve(__dirname, "..", "server-core", "worker.js");
    if (!existsSync(workerScript)) {
      throw new ServerError("MS_ERR_WORKER_START", `the worker bundle ${workerScript} is missing; run \`npm run build\``);
    }
    cluster.setupPrimary({ exec: workerScript, silent: false });
    for (let i = 0; i < this.opts.workers; i++) this.slots.push({ index: i + 1, worker: null, ready: false, restarts: [] });
    return new Promise((resolve, reject) => {
      let settled = false;
      const fail = (err: ServerError) => {
        if (settled) return;
        settled = true;
        void this.stop().then(() => reject(err));
      };
      const onReady = () => {
        if (settled || !this.slots.every((s) => s.ready)) return;
        settled = true;
        resolve({ port: this.port, routes: this.routes, pids: this.pids() });
      };
      for (const slot of this.slots) this.fork(slot, onReady, fail);
    });
  }

  pids(): number[] {
    return this.slots.map((s) => s.worker?.process.pid ?? 0).filter((p) => p > 0);
  }

  private fork(slot: Slot, onReady: () => void, onFail: (e: ServerError) => void): void {
    const wopts: WorkerOptions = {
      worker: slot.index,
      appFile: path.resolve(this.opts.appFile),
      chunkName: path.basename(this.opts.appFile),
      host: this.opts.host,
      // The requested port, not the one picked for port 0: cluster shares one handle per (host, requested port).
      port: this.opts.port,
      stages: this.opts.stages,
      statsEndpoint: this.opts.statsEndpoint,
      handlerTimeoutMs: this.opts.handlerTimeoutMs,
      memoryLimitBytes: this.opts.memoryLimitBytes,
      requestTimeoutMs: this.opts.requestTimeoutMs,
      keepAliveTimeoutMs: this.opts.keepAliveTimeoutMs,
      maxBodyBytes: this.opts.maxBodyBytes,
      allow: this.opts.allow,
    };
    const w = cluster.fork({ MOONSCOPE_WORKER: JSON.stringify(wopts) });
    slot.worker = w;
    slot.ready = false;
    let loadFailed = false;
    w.on("message", (m: FromWorker) => {
      switch (m.type) {
        case "ready":
          slot.ready = true;
          this.routes = m.routes;
          onReady();
          break;
        case "load-error":
          loadFailed = true;
          onFail(new ServerError(m.code as never, m.message, m.details ?? {}));
          break;
        case "stats":
          this.onStats(m.id, m.snapshot);
          break;
        case "merged-stats-request":
          void this.collectStats(false).then((s) => {
            if (w.isConnected()) w.send({ type: "merged-stats", id: m.id, json: JSON.stringify(s) } satisfies ToWorker);
          });
          break;
        case "event":
          this.events.log(m.level, `[worker ${slot.index}] ${m.code}: ${m.message}`);
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
    });
    w.on("exit", (code, signal) => {
      const wasReady = slot.ready;
      slot.ready = false;
      slot.worker = null;
      for (const [id, p] of this.pending) {
        if (p.want.delete(slot.index) && p.want.size === 0) this.finishStats(id);
      }
      if (this.stopping) {
        this.checkAllExited();
        return;
      }
      if (loadFailed) return;
      if (!wasReady) {
        onFail(new ServerError("MS_ERR_WORKER_START", `worker ${slot.index} exited during startup (${signal ? "signal " + signal : "exit code " + code}); run with --workers 1 to see its output`));
        return;
      }
      const why = signal ? `killed by ${signal}` : `exited with code ${code}`;
      this.restarts++;
      const t = Date.now();
      slot.restarts = slot.restarts.filter((x) => t - x < 10_000);
      slot.restarts.push(t);
      // A worker that dies over and over (a crash at every request) is restarted with a short delay
      // instead of a tight fork loop.
      const delay = slot.restarts.length > 5 ? 1000 : 0;
      this.events.log("warn", `worker ${slot.index} (pid ${w.process.pid}) ${why}; starting a new one${delay ? " in 1 s (it keeps dying)" : ""}`);
      this.toParent({ type: "event", level: "warn", code: "MS_WORKER_RESTART", message: `worker ${slot.index} ${why}; restarted`, worker: slot.index });
      const again = () => {
        if (this.stopping) return;
        this.fork(slot, () => this.events.log("info", `worker ${slot.index} is back (pid ${slot.worker?.process.pid})`), (e) => this.events.log("error", e.message));
      };
      if (delay) setTimeout(again, delay).unref();
      else again();
    });
  }

  /** Merged stats of every worker; workers that do not answer within a second are listed as missing. */
  collectStats(reset: boolean): Promise<StatsSnapshot> {
    return new Promise((resolve) => {
      const id = ++this.statsSeq;
      const want = new Set<number>();
      for (const s of this.slots) {
        if (s.worker && s.ready && s.worker.isConnected()) {
          want.add(s.index);
          s.worker.send({ type: "stats", id, reset } satisfies ToWorker);
        }
      }
      const timer = setTimeout(() => this.finishStats(id), STATS_TIMEOUT_MS);
      timer.unref();
      this.pending.set(id, { want: new Set(want), got: [], done: resolve, timer });
      if (want.size === 0) this.finishStats(id);
    });
  }

  private onStats(id: number, snap: WorkerSnapshot): void {
    const p = this.pending.get(id);
    if (!p) return;
    p.got.push(snap);
    p.want.delete(snap.worker);
    if (p.want.size === 0) this.finishStats(id);
  }

  private finishStats(id: number): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    clearTimeout(p.timer);
    p.got.sort((a, b) => a.worker - b.worker);
    p.done({ time: Date.now(), workers: p.got, missing: [...p.want], restarts: this.restarts });
  }

  /** Parent process (daemon, tests, bench) talking over the IPC channel of `moonscope serve`. */
  attachParent(): void {
    if (!process.send) return;
    process.on("message", (m: ToMaster) => {
      if (m.type === "stats") void this.collectStats(!!m.reset).then((snapshot) => this.toParent({ type: "stats", id: m.id, snapshot }));
      else if (m.type === "shutdown") void this.stop();
    });
    process.on("disconnect", () => void this.stop());
  }

  toParent(m: FromMaster): void {
    if (process.send && process.connected) process.send(m);
  }

  /** Graceful stop: workers finish in-flight requests (up to the grace period) and exit; stragglers are killed. */
  stop(): Promise<void> {
    if (!this.stopping) {
      this.stopping = true;
      for (const s of this.slots) {
        const w = s.worker;
        if (!w) continue;
        if (w.isConnected()) w.send({ type: "shutdown", graceMs: this.opts.shutdownGraceMs } satisfies ToWorker);
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
