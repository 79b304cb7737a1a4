// A thread beside each worker's main thread that can interrupt the Lua VM at no cost while it does
// not need to. Two jobs:
//
// 1. Stopping a request whose Lua work runs past its time budget. Any Lua count hook, even an
//    empty one, doubles the time spent in Lua (measured here), so an always-on instruction budget
//    is out. Instead the main thread stores a "request running" serial in shared memory (from
//    building ctx to reading the handler's value back), and this thread watches it. When one
//    request outlives the budget, the thread asks the inspector to evaluate a function on the main
//    thread: V8 runs it as an interrupt, even in the middle of the WebAssembly interpreter loop,
//    and that function puts count hooks on the request's Lua threads (lua/stop.ts; lua_sethook is
//    meant to be called asynchronously, as lua.c does from its SIGINT handler). At the next Lua
//    instruction the hook raises a Lua error, the handler's pcall returns, and the server answers
//    503 with the state intact; a serializer walk sees the same stop and gives up. If the request
//    is stuck where no Lua instruction runs (a long C call, a __gc finalizer, which Lua runs with
//    hooks off), the thread kills the process once it has spent a second of CPU time (or ten of
//    wall time) without stopping, and the master starts a new worker.
//    The same thread also asks, once a second, for a sign of progress: the next request to end
//    calls onProgress, so the master's liveness check hears from a worker whose event loop is busy
//    with requests for longer than its limit (many connections to slow handlers) and kills only one
//    that makes no progress at all.
// 2. Sampling the Lua call stack while a profile runs: the same interrupt, every interval, only
//    while a handler is running (a second word of the shared memory, written only while sampling);
//    the function it calls walks the stack read-only (lua/sampler.ts).
import { startHelperThread } from "./helper-thread";

const THREAD_SOURCE = String.raw`
const { workerData, parentPort } = require("node:worker_threads");
const inspector = require("node:inspector");
const { shared, budgetMs, killAfterMs, progressEveryMs } = workerData;
const state = new Int32Array(shared);
// Connected only when first needed: an inspector session attached to the main thread from the
// start measurably slowed the request path (bench: --handler-timeout 0 vs default).
let session = null;
const post = (method, params, cb) => {
  if (!session) { session = new inspector.Session(); session.connectToMainThread(); }
  session.post(method, params, cb);
};
const noop = () => {};
let seen = 0, seenAt = 0, firedAt = 0, firedCpuUs = 0;
// The process's CPU time (µs): a stop that does not land is judged by the CPU the worker spent
// since asking, not the wall clock, so a worker starved of the CPU (a loaded machine) is not
// killed for being slow to reach its next hook; a wall-clock cap still catches one stuck off-CPU.
const cpuUs = () => { const u = process.cpuUsage(); return u.user + u.system; };
if (budgetMs > 0) {
  const tick = Math.max(2, Math.min(50, Math.floor(budgetMs / 10)));
  let progressAskedAt = 0;
  setInterval(() => {
    const s = Atomics.load(state, 0);
    const now = performance.now();
    // Once a second, ask the main thread to say it is making progress at its next request's end.
    if (now - progressAskedAt >= progressEveryMs) {
      progressAskedAt = now;
      Atomics.store(state, 2, 1);
    }
    if (s === 0) { seen = 0; firedAt = 0; return; }
    if (s !== seen) { seen = s; seenAt = now; firedAt = 0; return; }
    if (firedAt === 0 && now - seenAt >= budgetMs) {
      firedAt = now;
      firedCpuUs = cpuUs();
      post("Runtime.evaluate", { expression: "globalThis.__moonscopeInterrupt(" + s + ")" }, noop);
    } else if (firedAt !== 0 && ((cpuUs() - firedCpuUs) / 1000 >= killAfterMs || now - firedAt >= killAfterMs * 10)) {
      // Straight to fd 2: a worker thread's process.stderr goes through the main thread, which is stuck.
      require("node:fs").writeSync(2, "[moonscope] MS_ERR_LUA_TIMEOUT: a request's Lua code did not stop within " + killAfterMs + " ms of CPU time after its stop request (a long C call such as a pathological string pattern, or a __gc finalizer, which Lua runs with hooks off); killing worker " + process.pid + " so the master replaces it\n");
      process.kill(process.pid, "SIGKILL");
    }
  }, tick);
}
let sampler = null;
let inFlight = 0;
parentPort.on("message", (m) => {
  if (m.sampleEveryMs > 0 && !sampler) {
    sampler = setInterval(() => {
      // One interrupt at a time: if the main thread has not run the last one yet, skip this tick.
      if (inFlight > 0 || Atomics.load(state, 1) === 0) return;
      inFlight++;
      post("Runtime.evaluate", { expression: "globalThis.__moonscopeSample()" }, () => { inFlight--; });
    }, m.sampleEveryMs);
  } else if (!(m.sampleEveryMs > 0) && sampler) {
    clearInterval(sampler);
    sampler = null;
  }
  parentPort.postMessage({ ack: m.seq });
});
parentPort.postMessage("ready");
`;

export interface Watchdog {
  /** Call when a request's Lua work begins (the time budget starts). */
  enter(): void;
  /** Call when it is over. */
  leave(): void;
  /** The handler itself runs (true) or returned (false): what the Lua sampler samples. Only needed while sampling. */
  handlerRunning(on: boolean): void;
  /** Starts (interval > 0) or stops (0) the Lua sampler; resolves once the thread has switched. */
  setSampling(everyMs: number): Promise<void>;
  stop(): Promise<void>;
}

export interface WatchdogHooks {
  /** Runs on the main thread, inside the interrupt, only while the over-budget request is still running. */
  onTimeout(): void;
  /** Runs on the main thread, inside the interrupt, only while a handler is running. */
  onSample(): void;
  /** Runs on the main thread as a request ends, at most about once a second: the worker makes progress. */
  onProgress(): void;
}

/** How often the watchdog asks for a sign of progress (the master pings as often, see master.ts). */
const PROGRESS_EVERY_MS = 1000;

/** budgetMs 0 turns the time budget off (the thread still serves the sampler). */
export async function startWatchdog(budgetMs: number, hooks: WatchdogHooks, killAfterMs = 1000): Promise<Watchdog> {
  // Words: the running request's serial (0: none), the handler running (for the sampler), progress asked.
  const shared = new SharedArrayBuffer(12);
  const state = new Int32Array(shared);
  let serial = 0;
  const g = globalThis as { __moonscopeInterrupt?: (s: number) => void; __moonscopeSample?: () => void };
  g.__moonscopeInterrupt = (s: number) => {
    if (Atomics.load(state, 0) === s) hooks.onTimeout();
  };
  g.__moonscopeSample = () => {
    if (Atomics.load(state, 1) !== 0) hooks.onSample();
  };
  const worker = await startHelperThread(THREAD_SOURCE, { eval: true, workerData: { shared, budgetMs, killAfterMs, progressEveryMs: PROGRESS_EVERY_MS } });
  let seq = 0;
  return {
    enter() {
      serial = serial === 0x7fffffff ? 1 : serial + 1;
      Atomics.store(state, 0, serial);
    },
    leave() {
      Atomics.store(state, 0, 0);
      if (Atomics.load(state, 2) !== 0) {
        Atomics.store(state, 2, 0);
        hooks.onProgress();
      }
    },
    handlerRunning(on: boolean) {
      Atomics.store(state, 1, on ? 1 : 0);
    },
    setSampling(everyMs: number) {
      const mySeq = ++seq;
      return new Promise<void>((resolve) => {
        const onMsg = (m: { ack?: number }) => {
          if (m.ack === mySeq) {
            worker.off("message", onMsg);
            resolve();
          }
        };
        worker.on("message", onMsg);
        worker.postMessage({ sampleEveryMs: everyMs, seq: mySeq });
      });
    },
    async stop() {
      await worker.terminate();
    },
  };
}
