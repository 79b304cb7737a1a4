// A thread beside each worker's main thread that can interrupt the Lua VM at no cost while it does
// not need to. Two jobs:
//
// 1. Stopping a handler that runs past its time budget. Any Lua count hook, even an empty one,
//    doubles the time spent in Lua (measured here), so an always-on instruction budget is out.
//    Instead the main thread stores a "handler running" serial in shared memory, and this thread
//    watches it. When one call outlives the budget, the thread asks the inspector to evaluate a
//    function on the main thread: V8 runs it as an interrupt, even in the middle of the
//    WebAssembly interpreter loop, and that function installs a count hook (lua_sethook is meant to
//    be called asynchronously, as lua.c does from its SIGINT handler). At the next Lua instruction
//    the hook raises a Lua error, the handler's pcall returns, and the server answers 503 with the
//    state intact. If the handler is stuck where no Lua instruction runs (a long C call), the thread
//    kills the process a second later and the master starts a new worker.
// 2. Sampling the Lua call stack while a profile runs: the same interrupt, every interval, only
//    while a handler is running; the function it calls walks the stack read-only (lua/sampler.ts).
import { Worker } from "node:worker_threads";

const THREAD_SOURCE = String.raw`
const { workerData, parentPort } = require("node:worker_threads");
const inspector = require("node:inspector");
const { shared, budgetMs, killAfterMs } = workerData;
const state = new Int32Array(shared);
// Connected only when first needed: an inspector session attached to the main thread from the
// start measurably slowed the request path (bench: --handler-timeout 0 vs default).
let session = null;
const post = (method, params, cb) => {
  if (!session) { session = new inspector.Session(); session.connectToMainThread(); }
  session.post(method, params, cb);
};
const noop = () => {};
let seen = 0, seenAt = 0, firedAt = 0;
if (budgetMs > 0) {
  const tick = Math.max(2, Math.min(50, Math.floor(budgetMs / 10)));
  setInterval(() => {
    const s = Atomics.load(state, 0);
    const now = performance.now();
    if (s === 0) { seen = 0; firedAt = 0; return; }
    if (s !== seen) { seen = s; seenAt = now; firedAt = 0; return; }
    if (firedAt === 0 && now - seenAt >= budgetMs) {
      firedAt = now;
      post("Runtime.evaluate", { expression: "globalThis.__moonscopeInterrupt(" + s + ")" }, noop);
    } else if (firedAt !== 0 && now - firedAt >= killAfterMs) {
      process.stderr.write("[moonscope] MS_ERR_LUA_TIMEOUT: a handler ignored its stop request for " + killAfterMs + " ms; killing worker " + process.pid + " so the master replaces it\n");
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
      if (inFlight > 0 || Atomics.load(state, 0) === 0) return;
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
  /** Call before entering Lua. */
  enter(): void;
  /** Call after Lua returned. */
  leave(): void;
  /** Starts (interval > 0) or stops (0) the Lua sampler; resolves once the thread has switched. */
  setSampling(everyMs: number): Promise<void>;
  stop(): Promise<void>;
}

export interface WatchdogHooks {
  /** Runs on the main thread, inside the interrupt, only while the over-budget call is still running. */
  onTimeout(): void;
  /** Runs on the main thread, inside the interrupt, only while a handler is running. */
  onSample(): void;
}

/** budgetMs 0 turns the time budget off (the thread still serves the sampler). */
export async function startWatchdog(budgetMs: number, hooks: WatchdogHooks, killAfterMs = 1000): Promise<Watchdog> {
  const shared = new SharedArrayBuffer(8);
  const state = new Int32Array(shared);
  let serial = 0;
  const g = globalThis as { __moonscopeInterrupt?: (s: number) => void; __moonscopeSample?: () => void };
  g.__moonscopeInterrupt = (s: number) => {
    if (Atomics.load(state, 0) === s) hooks.onTimeout();
  };
  g.__moonscopeSample = () => {
    if (Atomics.load(state, 0) !== 0) hooks.onSample();
  };
  const worker = new Worker(THREAD_SOURCE, { eval: true, workerData: { shared, budgetMs, killAfterMs } });
  worker.unref();
  await new Promise<void>((resolve, reject) => {
    worker.once("message", () => resolve());
    worker.once("error", reject);
  });
  let seq = 0;
  return {
    enter() {
      serial = serial === 0x7fffffff ? 1 : serial + 1;
      Atomics.store(state, 0, serial);
    },
    leave() {
      Atomics.store(state, 0, 0);
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
