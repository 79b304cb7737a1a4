// A worker's two profilers, on only while a profile runs: V8's CPU profiler over an inspector session
// on this thread, and the Lua sampler: a thread reading the Lua stack from the shared heap
// (lua/stack-reader.ts), or, where the heap walk cannot be trusted, the watchdog's interrupt (lua/sampler.ts).
import type { Session } from "node:inspector";
import type { LuaApp } from "./lua/app";
import { heapWalkProblem } from "./lua/heap-walk-check";
import { LuaSampler } from "./lua/sampler";
import type { ActiveLuaSampler, LuaProfileData } from "./lua/stack-counts";
import { LuaStackReader } from "./lua/stack-reader";
import type { Watchdog } from "./watchdog";
import { lowerThreadPriority, threadCpuMs, threadsNamed } from "./profiler-threads";

/** What the profilers need from the worker they run in. */
export interface ProfiledWorker {
  /** The worker's Lua state (loaded once the worker has started). */
  app(): LuaApp;
  /** The watchdog thread the handler timeout shares, started without a time budget if there is none yet. */
  watchdog(): Promise<Watchdog>;
  /** The routes as the handler stage names them ("GET /users/:id"). */
  routeKeys(): string[];
  /** The sampler the handler stage tells when a handler runs (and the watchdog's onSample hook fires); null for none. */
  setSampler(sampler: ActiveLuaSampler | null): void;
}

export interface WorkerProfileData {
  /** A V8 .cpuprofile object, null when only the Lua sampler ran. */
  cpuprofile: unknown;
  lua: LuaProfileData | null;
  /** CPU milliseconds V8's sampling thread used since the profiler (re)started; undefined where unknown. */
  v8SamplerCpuMs?: number;
}

type Post = (method: string, params?: object) => Promise<unknown>;

export class ProfilerControl {
  private readonly worker: ProfiledWorker;
  private cpuSession: Session | null = null;
  /** Present only while the Lua sampler runs. */
  private sampler: ActiveLuaSampler | null = null;
  /** Why the interrupt sampler stands in for the heap reader, if it does. */
  private fallback: string | null = null;

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
    const v8SamplerCpuMs = v8SamplerCpu();
    const res = (await poster(session)("Profiler.stop")) as { profile: unknown };
    session.disconnect();
    return { cpuprofile: res.profile, lua, v8SamplerCpuMs };
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
    const v8SamplerCpuMs = v8SamplerCpu();
    const res = (await post("Profiler.stop")) as { profile: unknown };
    await startCpuProfiler(post);
    return { cpuprofile: res.profile, lua, v8SamplerCpuMs };
  }

  /** The Lua sampler alone (the 0x and clinic modes bring their own CPU profiler). */
  async startLuaSampler(everyMs: number): Promise<void> {
    if (this.sampler) await this.stopLuaSampler();
    const app = this.worker.app();
    const memory = app.rt.sharedMemory;
    // Runs Lua on this thread, so it must happen here, between requests, before the reader starts.
    let fallback = interruptAsked() ?? (memory ? heapWalkProblem(app.rt, app.L) : "the Lua heap is not shared memory");
    if (memory && fallback === null) {
      try {
        this.sampler = await LuaStackReader.start({ memory, L: app.L, intervalMs: everyMs, names: app.functionNames, routes: this.worker.routeKeys() });
      } catch (e) {
        fallback = `the stack reader did not start: ${(e as Error).message}`;
      }
    }
    if (!this.sampler) this.sampler = await LuaSampler.start(app.rt, app.L, app.functionNames, await this.worker.watchdog(), everyMs);
    this.fallback = fallback;
    this.worker.setSampler(this.sampler);
  }

  /** The Lua samples so far, without stopping the sampler (synchronous, for exit hooks). */
  takeLuaSamples(): LuaProfileData | null {
    return this.withFallback(this.sampler ? this.sampler.take() : null);
  }

  async stopLuaSampler(): Promise<LuaProfileData | null> {
    const sampler = this.sampler;
    this.sampler = null;
    this.worker.setSampler(null);
    return this.withFallback(sampler ? await sampler.stop() : null);
  }

  private withFallback(lua: LuaProfileData | null): LuaProfileData | null {
    if (lua && this.fallback) lua.fallback = this.fallback;
    return lua;
  }
}

/**
 * The escape hatch: MOONSCOPE_LUA_SAMPLER=interrupt makes the interrupt sampler stand in even where
 * the heap walk passed its check (to compare the two, or if the reader's stacks ever look wrong).
 */
export const LUA_SAMPLER_ENV = "MOONSCOPE_LUA_SAMPLER";

/** Why the interrupt sampler was asked for by the environment, or null. */
function interruptAsked(): string | null {
  const v = process.env[LUA_SAMPLER_ENV];
  return v === "interrupt" ? `${LUA_SAMPLER_ENV}=interrupt asked for it` : null;
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
  // V8's sampling thread (a new one at each start) yields to the threads it samples (profiler-threads.ts).
  for (const tid of threadsNamed(V8_PROFILER_THREAD)) lowerThreadPriority(tid);
}

/** The name V8 gives its CPU profiler's sampling thread. */
const V8_PROFILER_THREAD = "v8:ProfEvntProc";

/** CPU milliseconds of V8's sampling thread since it started (with this profile or rotation); undefined where unknown. */
function v8SamplerCpu(): number | undefined {
  let sum = 0;
  for (const tid of threadsNamed(V8_PROFILER_THREAD)) {
    const ms = threadCpuMs(tid);
    if (ms === null) return undefined;
    sum += ms;
  }
  return sum;
}
