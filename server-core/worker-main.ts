// Entry of a worker process (forked by the master through node:cluster).
import cluster from "node:cluster";
import { readFileSync } from "node:fs";
import { ServerWorker, type WorkerOptions } from "./worker";
import { MoonscopeError } from "../profile/errors";
import type { FromWorker, ToWorker } from "./ipc";

/**
 * How long a scrape waits for the master's metrics before it is answered 503. The master itself
 * waits at most 1 s for the workers, so only a master that is gone or stalled takes this long; it
 * stays under Prometheus's default scrape timeout (10 s).
 */
const METRICS_WAIT_MS = 5000;

function send(msg: FromWorker): void {
  if (process.connected) process.send!(msg);
}

async function main(): Promise<void> {
  const opts = JSON.parse(process.env.MOONSCOPE_WORKER ?? "{}") as WorkerOptions;
  let statsSeq = 0;
  const pendingStats = new Map<number, (json: string) => void>();
  const pendingMetrics = new Map<number, { cb: (text: string | null) => void; timer: NodeJS.Timeout }>();
  const worker = new ServerWorker(opts, {
    send: (m) => send(m as FromWorker),
    requestMergedStats(reset, cb) {
      const id = ++statsSeq;
      pendingStats.set(id, cb);
      send({ type: "merged-stats-request", id, reset });
    },
    requestMetrics(cb) {
      const id = ++statsSeq;
      const timer = setTimeout(() => {
        pendingMetrics.delete(id);
        cb(null);
      }, METRICS_WAIT_MS);
      timer.unref();
      pendingMetrics.set(id, { cb, timer });
      send({ type: "metrics-request", id });
    },
    log: (level, code, message) => send({ type: "event", level, code, message }),
    alive: () => send({ type: "pong" }),
  });
  process.on("message", (m: ToWorker) => {
    if (m.type === "ping") send({ type: "pong" });
    else if (m.type === "stats") send({ type: "stats", id: m.id, snapshot: worker.snapshot(!!m.reset) });
    else if (m.type === "merged-stats") {
      const cb = pendingStats.get(m.id);
      pendingStats.delete(m.id);
      cb?.(m.json);
    } else if (m.type === "metrics") {
      const p = pendingMetrics.get(m.id);
      pendingMetrics.delete(m.id);
      if (p) {
        clearTimeout(p.timer);
        p.cb(m.text);
      }
    } else if (m.type === "profile-start") {
      worker.profiler.startProfile({ cpuIntervalUs: m.cpuIntervalUs, luaIntervalMs: m.luaIntervalMs }).then(
        () => send({ type: "profile-started", id: m.id }),
        (e: Error) => send({ type: "profile-started", id: m.id, error: e.message }),
      );
    } else if (m.type === "profile-stop") {
      (m.rotate ? worker.profiler.rotateProfile() : worker.profiler.stopProfile()).then(
        (r) => send({ type: "profile", id: m.id, profile: { worker: opts.worker, pid: process.pid, cpuprofile: r.cpuprofile, lua: r.lua, v8SamplerCpuMs: r.v8SamplerCpuMs } }),
        (e: Error) => send({ type: "profile", id: m.id, profile: { worker: opts.worker, pid: process.pid, cpuprofile: null, lua: null, error: e.message } }),
      );
    } else if (m.type === "shutdown") {
      void worker.shutdown(m.graceMs).then(() => process.exit(0));
    }
  });
  // The master is gone (killed, crashed): never outlive it.
  process.on("disconnect", () => process.exit(0));
  // Signals go to the master, which shuts workers down in order; a worker ignores them so a
  // Ctrl-C in a terminal (sent to the whole process group) does not cut requests short.
  process.on("SIGINT", () => {});
  process.on("SIGTERM", () => {});
  try {
    const source = readFileSync(opts.appFile);
    const { routes } = await worker.start(source);
    send({ type: "ready", worker: opts.worker, routes });
  } catch (e) {
    const err = e instanceof MoonscopeError ? e : new MoonscopeError("MS_ERR_WORKER_START", (e as Error).message);
    send({ type: "load-error", code: err.code, message: err.message, details: err.details });
    process.exitCode = 1;
    setImmediate(() => process.exit(1));
  }
}

if (!cluster.isPrimary || process.env.MOONSCOPE_WORKER) void main();
