// Stops a Lua handler that runs past its time budget, at no cost while nothing runs away.
//
// Why this way: any Lua count hook, even an empty one, doubles the time spent in Lua (measured
// here), so an always-on instruction budget is out. Instead a watchdog thread watches a shared
// "handler running" serial. When one call outlives the budget, the thread asks the inspector to
// evaluate a function on the main thread: V8 runs it as an interrupt, even in the middle of the
// WebAssembly interpreter loop, and that function installs a count hook (lua_sethook is meant to
// be called asynchronously, as lua.c does from its SIGINT handler). At the next Lua instruction the
// hook raises a Lua error, the handler's pcall returns, and the server answers 503 with the state
// intact. If the handler is stuck where no Lua instruction runs (a long C call), the thread kills
// the process a second later and the master starts a new worker.
import { Worker } from "node:worker_threads";

const WATCHDOG_SOURCE = String.raw`
const { workerData, parentPort } = require("node:worker_threads");
const inspector = require("node:inspector");
const { shared, budgetMs, killAfterMs } = workerData;
const state = new Int32Array(shared);
const session = new inspector.Session();
session.connectToMainThread();
let seen = 0, seenAt = 0, firedAt = 0;
const tick = Math.max(2, Math.min(50, Math.floor(budgetMs / 10)));
setInterval(() => {
  const s = Atomics.load(state, 0);
  const now = performance.now();
  if (s === 0) { seen = 0; firedAt = 0; return; }
  if (s !== seen) { seen = s; seenAt = now; firedAt = 0; return; }
  if (firedAt === 0 && now - seenAt >= budgetMs) {
    firedAt = now;
    session.post("Runtime.evaluate", { expression: "globalThis.__moonscopeInterrupt(" + s + ")" }, () => {});
  } else if (firedAt !== 0 && now - firedAt >= killAfterMs) {
    process.stderr.write("[moonscope] MS_ERR_LUA_TIMEOUT: a handler ignored its stop request for " + killAfterMs + " ms; killing worker " + process.pid + " so the master replaces it\n");
    process.kill(process.pid, "SIGKILL");
  }
}, tick);
parentPort.postMessage("ready");
`;

export interface Watchdog {
  /** Call before entering Lua; returns the serial to pass to leave(). */
  enter(): void;
  leave(): void;
  stop(): Promise<void>;
}

/** onInterrupt runs on the main thread, inside the interrupt, only while the same call is still running. */
export async function startWatchdog(budgetMs: number, onInterrupt: () => void, killAfterMs = 1000): Promise<Watchdog> {
  const shared = new SharedArrayBuffer(8);
  const state = new Int32Array(shared);
  let serial = 0;
  (globalThis as { __moonscopeInterrupt?: (s: number) => void }).__moonscopeInterrupt = (s: number) => {
    if (Atomics.load(state, 0) === s) onInterrupt();
  };
  const worker = new Worker(WATCHDOG_SOURCE, { eval: true, workerData: { shared, budgetMs, killAfterMs } });
  worker.unref();
  await new Promise<void>((resolve, reject) => {
    worker.once("message", () => resolve());
    worker.once("error", reject);
  });
  return {
    enter() {
      serial = serial === 0x7fffffff ? 1 : serial + 1;
      Atomics.store(state, 0, serial);
    },
    leave() {
      Atomics.store(state, 0, 0);
    },
    async stop() {
      await worker.terminate();
    },
  };
}
