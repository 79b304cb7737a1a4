// The stack reader's thread (bundled as dist/server-core/lua-reader.js): it looks every interval or so
// (sampling-pace.ts sets the pace), and when the worker's thread is running a handler it reads the
// Lua call stack out of the shared wasm heap and counts it. The worker's thread is never
// interrupted; it only writes two words (running, route) per request.
import { parentPort, workerData, type MessagePort } from "node:worker_threads";
import { HeapWalker } from "./heap-walk";
import { recordHeapSample } from "./heap-sample";
import { LuaStackCounts } from "./stack-counts";
import { SamplingPace } from "./sampling-pace";
import { READER_CMD, READER_WORD, type ReaderStart } from "./stack-reader-protocol";
import { lowerThreadPriority, ownThreadId, threadCpuMs } from "../profiler-threads";

const start = workerData as ReaderStart;
const control = new Int32Array(start.control);
const port = start.port as MessagePort;
const memory = start.memory;
let views = { u8: new Uint8Array(memory.buffer), i32: new Int32Array(memory.buffer) };
const walker = new HeapWalker(() => {
  // A grown shared memory hands out a longer buffer; the old one stays valid.
  if (memory.buffer.byteLength !== views.u8.byteLength) views = { u8: new Uint8Array(memory.buffer), i32: new Int32Array(memory.buffer) };
  return views;
});
const counts = new LuaStackCounts(new Map(start.names));

const tid = ownThreadId();
lowerThreadPriority(tid);
let cpuAtTake = threadCpuMs(tid);
parentPort!.postMessage("ready");
const pace = new SamplingPace(start.intervalMs);
let lastLook = performance.now();
let next = lastLook + pace.meanWaitMs();
/** Handler milliseconds the samples since the last hand-in stand for: each, the wait before it. */
let sampledMs = 0;
for (;;) {
  const wait = next - performance.now();
  if (wait > 0) Atomics.wait(control, READER_WORD.cmd, READER_CMD.none, wait);
  const cmd = Atomics.load(control, READER_WORD.cmd);
  if (cmd !== READER_CMD.none) {
    const data = counts.take("heap");
    const cpu = threadCpuMs(tid);
    // The thread's own CPU time counts its wake-ups too, which the time spent reading stacks does not.
    if (cpu !== null && cpuAtTake !== null) data.cpuMs = cpu - cpuAtTake;
    cpuAtTake = cpu;
    data.sampledMs = sampledMs;
    sampledMs = 0;
    port.postMessage(data);
    Atomics.store(control, READER_WORD.cmd, READER_CMD.none);
    Atomics.add(control, READER_WORD.done, 1);
    Atomics.notify(control, READER_WORD.done);
    if (cmd === READER_CMD.stop) break;
    continue;
  }
  const now = performance.now();
  const running = Atomics.load(control, READER_WORD.running) !== 0;
  // From now, not from the planned time: a look that came late (a busy machine) is not made up for in a burst.
  next = now + pace.next(running);
  if (running && recordHeapSample(walker, counts, start.L, start.routes[Atomics.load(control, READER_WORD.route)] ?? "")) sampledMs += now - lastLook;
  lastLook = now;
  counts.busyMs += performance.now() - now;
}
port.close();
