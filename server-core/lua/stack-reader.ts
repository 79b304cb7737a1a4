// The Lua sampler that costs the worker nothing per sample: a thread of its own reads the Lua call
// stack out of the shared wasm heap (stack-reader-thread.ts, heap-walk.ts) while the worker's
// thread runs the handler. The interrupt sampler (sampler.ts) cost the Lua-heavy route a fifth of
// its throughput and doubled its client p99 (issue 21's bench: each interrupt stalls the request
// it lands on); this one costs the worker two shared-memory writes per request.
//
// take() is synchronous (the --single exit hook cannot wait for a promise): it asks the thread,
// blocks on a shared word until the thread has answered, and reads the answer off the port.
import { existsSync } from "node:fs";
import path from "node:path";
import { MessageChannel, Worker, receiveMessageOnPort, type MessagePort } from "node:worker_threads";
import { READER_CMD, READER_WORD, READER_WORDS, type ReaderStart } from "./stack-reader-protocol";
import type { ActiveLuaSampler, LuaProfileData } from "./stack-counts";
import { startHelperThread } from "../helper-thread";

/** How long take() waits for the thread before giving up on this hand-in. */
const TAKE_TIMEOUT_MS = 2000;

/** dist/server-core/lua-reader.js beside the running bundle (worker or CLI), or under the repo when run from source. */
function threadScript(): string {
  const here = path.dirname(__filename);
  const candidates = [
    path.resolve(here, "lua-reader.js"),
    path.resolve(here, "..", "server-core", "lua-reader.js"),
    path.resolve(here, "..", "..", "dist", "server-core", "lua-reader.js"),
  ];
  const found = candidates.find((p) => existsSync(p));
  // Caught by the profiler control, which falls back to the interrupt sampler and says why.
  if (!found) throw new Error("dist/server-core/lua-reader.js is missing (run `npm run build`, or reinstall moonscope)");
  return found;
}

export class LuaStackReader implements ActiveLuaSampler {
  private readonly control: Int32Array;
  private readonly port: MessagePort;
  private readonly thread: Worker;
  private readonly routeIndex: Map<string, number>;
  private stopped = false;

  private constructor(control: Int32Array, port: MessagePort, thread: Worker, routes: string[]) {
    this.control = control;
    this.port = port;
    this.thread = thread;
    this.routeIndex = new Map(routes.map((r, i) => [r, i]));
  }

  /** Starts the thread reading L's stack every intervalMs while a handler runs. */
  static async start(o: { memory: WebAssembly.Memory; L: number; intervalMs: number; names: ReadonlyMap<string, string>; routes: string[] }): Promise<LuaStackReader> {
    const control = new Int32Array(new SharedArrayBuffer(READER_WORDS * 4));
    const { port1, port2 } = new MessageChannel();
    const data: ReaderStart = { memory: o.memory, control: control.buffer as SharedArrayBuffer, port: port2, L: o.L, intervalMs: o.intervalMs, names: [...o.names], routes: o.routes };
    const thread = await startHelperThread(threadScript(), { workerData: data, transferList: [port2] });
    return new LuaStackReader(control, port1, thread, o.routes);
  }

  /** The handler of route starts running (the stack is worth reading). */
  enter(route: string): void {
    Atomics.store(this.control, READER_WORD.route, this.routeIndex.get(route) ?? -1);
    Atomics.store(this.control, READER_WORD.running, 1);
  }

  leave(): void {
    Atomics.store(this.control, READER_WORD.running, 0);
  }

  /** The samples so far (the counts restart); null if the thread did not answer. */
  take(): LuaProfileData | null {
    return this.ask(READER_CMD.take);
  }

  /** The last samples, and the thread ends. */
  async stop(): Promise<LuaProfileData | null> {
    if (this.stopped) return null;
    this.stopped = true;
    const last = this.ask(READER_CMD.stop);
    this.port.close();
    await this.thread.terminate();
    return last;
  }

  private ask(cmd: number): LuaProfileData | null {
    const done = Atomics.load(this.control, READER_WORD.done);
    Atomics.store(this.control, READER_WORD.cmd, cmd);
    Atomics.notify(this.control, READER_WORD.cmd);
    Atomics.wait(this.control, READER_WORD.done, done, TAKE_TIMEOUT_MS);
    const m = receiveMessageOnPort(this.port);
    return m ? (m.message as LuaProfileData) : null;
  }
}
