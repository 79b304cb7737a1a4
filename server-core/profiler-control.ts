// A worker's two profilers, on only while a profile runs: V8's CPU profiler over an inspector session
// on this thread, and the Lua sampler, which the watchdog thread fires (see watchdog.ts).
import type { Session } from "node:inspector";
import type { LuaApp } from "./lua/app";
import { LuaSampler, type LuaProfileData } from "./lua/sampler";
import type { Watchdog } from "./watchdog";

/** What the profilers need from the worker they run in. */
export interface ProfiledWorker {
  /** The worker's Lua state (loaded once the worker has started). */
  app(): LuaApp;
  /** The watchdog thread the handler timeout shares, started without a time budget if there is none yet. */
  watchdog(): Promise<Watchdog>;
  /** The sampler the watchdog's onSample hook fires and the handler stage labels with its route; null for none. */
  setSampler(sampler: LuaSampler | null): void;
}

export interface WorkerProfileData {
  /** A V8 .cpuprofile object, null when only the Lua sampler ran. */
  cpuprofile: unknown;
  lua: LuaProfileData | null;
}

type Post = (method: string, params?: object) => Promise<unknown>;

export class ProfilerControl {
  private readonly worker: ProfiledWorker;
  private cpuSession: Session | null = null;
  /** Present only while the Lua sampler runs, with the watchdog that fires it. */
  private sampler: LuaSampler | null = null;
  private samplerWatchdog: Watchdog | null = null;

  constructor(worker: ProfiledWorker) {
    this.worker = worker;
  }

  /** Starts the V8 CPU profiler and the Lua sampler. */
  async startProfile(opts: { cpuIntervalUs: number; luaIntervalMs: number }): Promise<void> {
    if (this.cpuSession) await this.stopProfile();
    const inspector = await import("node:inspector");
    const session = new inspector.Session();
    session.connect();
    const post = poster(session);
    await post("Profiler.enable");
    await post("Profiler.setSamplingInterval", { interval: opts.cpuIntervalUs });
    await startCpuProfiler(post);
    this.cpuSession = session;
    if (opts.luaIntervalMs > 0) await this.startLuaSampler(opts.luaIntervalMs);
  }

  /** Stops both profilers and returns what they saw (a V8 .cpuprofile object and the Lua stacks). */
  async stopProfile(): Promise<WorkerProfileData> {
    const session = this.cpuSession;
    this.cpuSession = null;
    const lua = await this.stopLuaSampler();
    if (!session) return { cpuprofile: null, lua };
    const res = (await poster(session)("Profiler.stop")) as { profile: unknown };
    session.disconnect();
    return { cpuprofile: res.profile, lua };
  }

  /**
   * What both profilers saw since the last call, and they go on sampling: the V8 profiler is stopped
   * and started again on the same session (a gap of well under a millisecond), the Lua sampler hands
   * over its counts.
   */
  async rotateProfile(): Promise<WorkerProfileData> {
    const session = this.cpuSession;
    const lua = this.takeLuaSamples();
    if (!session) return { cpuprofile: null, lua };
    const post = poster(session);
    const res = (await post("Profiler.stop")) as { profile: unknown };
    await startCpuProfiler(post);
    return { cpuprofile: res.profile, lua };
  }

  /** The Lua sampler alone (the 0x and clinic modes bring their own CPU profiler). */
  async startLuaSampler(everyMs: number): Promise<void> {
    const watchdog = await this.worker.watchdog();
    const app = this.worker.app();
    this.sampler = new LuaSampler(app.rt, app.L, app.functionNames);
    this.samplerWatchdog = watchdog;
    this.worker.setSampler(this.sampler);
    await watchdog.setSampling(everyMs);
  }

  /** The Lua samples so far, without stopping the sampler (synchronous, for exit hooks). */
  takeLuaSamples(): LuaProfileData | null {
    return this.sampler ? this.sampler.take() : null;
  }

  async stopLuaSampler(): Promise<LuaProfileData | null> {
    let lua: LuaProfileData | null = null;
    if (this.sampler && this.samplerWatchdog) {
      await this.samplerWatchdog.setSampling(0);
      lua = this.sampler.take();
    }
    this.sampler = null;
    this.samplerWatchdog = null;
    this.worker.setSampler(null);
    return lua;
  }
}

/** The session's callback-style post as a promise. */
function poster(session: Session): Post {
  return (method, params) => new Promise<unknown>((resolve, reject) => session.post(method, params ?? {}, (err, res) => (err ? reject(err) : resolve(res))));
}

/**
 * Profiler.start with a full GC just before it. V8 (Node 20's 11.3) can deadlock here: starting
 * the CPU profiler logs every compiled function, computing script line ends allocates, and a
 * mark-compact GC triggered by that allocation waits on a lock the logging holds (seen with gdb:
 * CpuProfiler::EnableLogging → LogCompiledFunctions → Script::InitLineEnds → Heap::MarkCompact →
 * pthread_mutex_lock, forever). A fresh GC leaves room, so that allocation rarely needs one.
 */
async function startCpuProfiler(post: Post): Promise<void> {
  await post("HeapProfiler.collectGarbage");
  await post("Profiler.start");
}
