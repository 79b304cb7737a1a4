// Builds one call tree per worker from what its two profilers saw, with the request stage as the
// root frame, Lua frames hanging under the JS frame that entered the handler, and JS frames keeping
// their file:line: "[handler];runHandler (worker.js:312);call (worker.js:880);api.crunch.get (app.lua:17);churn_numbers (app.lua:9)".
//
// How the two profilers are joined: the V8 profiler knows how much CPU time went into the Lua VM
// (samples whose stack runs through the server's `call` into WebAssembly) but sees only
// `wasm-function[N]` frames there. The Lua sampler knows which Lua stacks were running, sampled
// only while a handler runs. So the Lua time measured by V8 is split over the Lua stacks in
// proportion to how often the Lua sampler saw each one. No clock alignment is needed, and the
// weights stay in V8's microseconds.
import { CallTreeBuilder, mergeTrees, type CallTree } from "../profile/calltree";
import { cpuProfileStacks, type CpuCallFrame, type CpuProfile } from "../profile/cpuprofile";
import type { Frame } from "../profile/frames";
import { LineCostTable, type LineCost } from "../profile/hot-lines";
import type { LuaProfileData, WorkerProfile } from "../server-core/ipc";
import type { SamplingCost } from "../profile/run";
import { sourceMaps } from "./source-maps";
import { LUA_CALLER_FUNCTIONS, LUA_ENTRY_FUNCTION, STAGE_FUNCTIONS, type StageName } from "../server-core/stages";

/** Node internals that belong to a stage when server-core called them. */
const NODE_STAGE_FUNCTIONS: ReadonlyMap<string, StageName> = new Map<string, StageName>([["Writable.write", "write"]]);

/** The server-core function whose callees are the Lua VM. */
const LUA_ENTRY = LUA_ENTRY_FUNCTION.name;
/** Frames that can sit directly above the Lua VM when call (or runHandler) was inlined. */
const LUA_CALLERS = new Set(LUA_CALLER_FUNCTIONS.map((f) => f.name));

export interface BuildOptions {
  /** Path fragment identifying server-core's bundle in V8 urls. */
  serverCoreUrl?: RegExp;
  /** The app's chunk name ("app.lua") → the file to show for Lua frames. */
  luaFile?: (chunk: string) => string;
  /** With no CPU profile, each Lua sample stands for this many µs (the sampling interval). */
  luaIntervalUs?: number;
}

// The worker bundle, server-core sources (tsx), or the CLI bundle when the server runs in one process (--single).
const SERVER_CORE_URL = /[\\/]server-core[\\/]|[\\/]dist[\\/]cli[\\/]moonscope\.js$/;

function stageFrame(s: StageName): Frame {
  return { name: `[${s}]`, kind: "stage" };
}

const OTHER_SERVER: Frame = { name: "[server: other]", kind: "stage" };
const LUA_VM: Frame = { name: "(Lua VM)", kind: "native" };
const LUA_C_API: Frame = { name: "(Lua C API)", kind: "native" };

/** WebAssembly frames, V8's JS<->wasm trampolines, and wasmoon's own glue (its setjmp/longjmp "invoke" wrappers). */
function isWasm(cf: CpuCallFrame): boolean {
  return (
    cf.url.startsWith("wasm://") ||
    cf.functionName.startsWith("wasm-function[") ||
    cf.functionName.startsWith("$") ||
    cf.functionName.startsWith("js-to-wasm") ||
    cf.functionName.startsWith("wasm-to-js") ||
    /[\\/]wasmoon[\\/]dist[\\/]/.test(cf.url)
  );
}

function fileOf(url: string): string {
  if (url.startsWith("file://")) url = decodeURIComponent(url.slice(7));
  return url;
}

function classify(cf: CpuCallFrame, serverCoreUrl: RegExp): Frame {
  const name = cf.functionName || "(anonymous)";
  if (name === "(garbage collector)") return { name: "(garbage collector)", kind: "gc" };
  if (name === "(idle)") return { name: "(idle)", kind: "idle" };
  if (name === "(program)") return { name: "(program)", kind: "program" };
  if (isWasm(cf)) return LUA_C_API;
  const line = cf.lineNumber >= 0 ? cf.lineNumber + 1 : undefined;
  if (cf.url === "") return { name, kind: "native" };
  const file = fileOf(cf.url);
  const kind = cf.url.startsWith("node:") ? "node" : serverCoreUrl.test(file) ? "server-core" : "js-app";
  // Our own bundles are mapped back to their TypeScript (server-core/worker.ts:388).
  const source = kind === "server-core" && cf.lineNumber >= 0 ? sourceMaps.original(file, cf.lineNumber, Math.max(0, cf.columnNumber)) : null;
  if (source) return { name, file: source.file, line: source.line, kind };
  const f: Frame = { name, file: kind === "node" ? cf.url : file.split(/[\\/]/).slice(-2).join("/"), kind };
  if (line !== undefined) f.line = line;
  return f;
}

/** Lua stacks as Frames (root-first), each with its share of the Lua samples, and the lines' shares likewise. */
function luaStacks(lua: LuaProfileData | null, luaFile: (chunk: string) => string): { stacks: { frames: Frame[]; share: number }[]; lines: { frame: Frame; line: number; self: number; total: number }[] } {
  if (!lua || lua.samples === 0) return { stacks: [], lines: [] };
  const frames: Frame[] = lua.frames.map((f) =>
    f.what === "C" ? { name: f.name, file: "[C]", kind: "lua-c" } : { name: f.name, file: luaFile(f.file), line: f.line, kind: "lua" },
  );
  const total = lua.stacks.reduce((a, s) => a + s.count, 0);
  if (total === 0) return { stacks: [], lines: [] };
  return {
    stacks: lua.stacks.map((s) => ({ frames: s.frames.map((i) => frames[i]), share: s.count / total })),
    lines: (lua.lines ?? []).filter((l) => frames[l.frame] !== undefined).map((l) => ({ frame: frames[l.frame], line: l.line, self: l.self / total, total: l.total / total })),
  };
}

export interface WorkerTree {
  worker: number;
  pid: number;
  tree: CallTree;
  /** Weight (µs) the V8 profiler saw inside the Lua VM, before it was split over Lua stacks. */
  luaVmUs: number;
  luaSamples: number;
  /** Lua lines with their share of luaVmUs (the same split as the Lua stacks'). */
  lines: LineCost[];
  /** The samplers' own CPU (ms) for these samples; null where a hand-in could not tell. */
  samplerCpuMs: { lua: number | null; v8: number | null };
  /** How the Lua stacks were read, and why not from the heap (see SamplingCost). */
  luaMethod: SamplingCost["luaMethod"];
  fallback?: string;
}

/** Sums CPU figures where every part is known (null otherwise). */
function addKnown(a: number | null, b: number | null): number | null {
  return a === null || b === null ? null : a + b;
}

/** Two hand-ins' sampler costs as one. */
function mergeSamplerCost(a: Pick<WorkerTree, "samplerCpuMs" | "luaMethod" | "fallback">, b: Pick<WorkerTree, "samplerCpuMs" | "luaMethod" | "fallback">): Pick<WorkerTree, "samplerCpuMs" | "luaMethod" | "fallback"> {
  return {
    samplerCpuMs: { lua: addKnown(a.samplerCpuMs.lua, b.samplerCpuMs.lua), v8: addKnown(a.samplerCpuMs.v8, b.samplerCpuMs.v8) },
    luaMethod: a.luaMethod === null ? b.luaMethod : b.luaMethod === null || a.luaMethod === b.luaMethod ? a.luaMethod : "mixed",
    ...((a.fallback ?? b.fallback) ? { fallback: a.fallback ?? b.fallback } : {}),
  };
}

/** The run's sampling cost from its worker trees, against the workers' CPU over the window. */
export function samplingCost(workers: WorkerTree[], workerCpuMs: number): SamplingCost {
  const c = workers.reduce((acc, w) => mergeSamplerCost(acc, w), { samplerCpuMs: { lua: 0 as number | null, v8: 0 as number | null }, luaMethod: null } as Pick<WorkerTree, "samplerCpuMs" | "luaMethod" | "fallback">);
  const known = (c.samplerCpuMs.lua ?? 0) + (c.samplerCpuMs.v8 ?? 0);
  const any = c.samplerCpuMs.lua !== null || c.samplerCpuMs.v8 !== null;
  return {
    luaCpuMs: c.samplerCpuMs.lua,
    v8CpuMs: c.samplerCpuMs.v8,
    share: any && workerCpuMs > 0 ? known / workerCpuMs : null,
    luaMethod: c.luaMethod,
    ...(c.fallback ? { fallback: c.fallback } : {}),
  };
}

export function buildWorkerTree(p: WorkerProfile, opts: BuildOptions = {}): WorkerTree {
  const serverCoreUrl = opts.serverCoreUrl ?? SERVER_CORE_URL;
  const luaFile = opts.luaFile ?? ((c: string) => c);
  const b = new CallTreeBuilder();
  let luaVm = 0;
  /** The JS stack (stage root first) that entered Lua, from the V8 samples, for hanging Lua stacks under. */
  let entryStack: Frame[] | null = null;
  const cpu = p.cpuprofile as CpuProfile | null;
  if (cpu && Array.isArray(cpu.nodes)) {
    for (const { stack, weight } of cpuProfileStacks(cpu)) {
      // The deepest server-core frame that names a stage decides the stage.
      let stageAt = -1;
      let stage: StageName | null = null;
      for (let i = stack.length - 1; i >= 0; i--) {
        const cf = stack[i];
        const s = cf.url.startsWith("node:") ? NODE_STAGE_FUNCTIONS.get(cf.functionName) : STAGE_FUNCTIONS.get(cf.functionName);
        if (s !== undefined && (cf.url.startsWith("node:") ? i > 0 && serverCoreUrl.test(fileOf(stack[i - 1].url)) : serverCoreUrl.test(fileOf(cf.url)))) {
          stageAt = i;
          stage = s;
          break;
        }
      }
      // When the handler's own frames were inlined into onRequest (a sampler without inline frames,
      // TurboFan's choice), the Lua VM hangs straight off onRequest: that is still the handler.
      if (stage === null || stage === "parse") {
        for (let i = 1; i < stack.length; i++) {
          const prev = stack[i - 1];
          if (isWasm(stack[i]) && LUA_CALLERS.has(prev.functionName) && serverCoreUrl.test(fileOf(prev.url))) {
            stage = "handler";
            stageAt = i - 1;
            break;
          }
        }
      }
      // The stage's frames start at the outermost of its consecutive markers (runHandler, not call).
      while (stage !== null && stageAt > 0) {
        const up = stack[stageAt - 1];
        if (STAGE_FUNCTIONS.get(up.functionName) === stage && serverCoreUrl.test(fileOf(up.url))) stageAt--;
        else break;
      }
      if (stage === null) {
        const frames: Frame[] = [];
        let inServer = false;
        for (const cf of stack) {
          const f = classify(cf, serverCoreUrl);
          if (f.kind === "server-core") inServer = true;
          pushCollapsed(frames, f);
        }
        b.add(inServer && frames[0]?.kind !== "gc" && frames[0]?.kind !== "idle" ? [OTHER_SERVER, ...frames] : frames, weight);
        continue;
      }
      const frames: Frame[] = [stageFrame(stage)];
      let enteredLua = false;
      for (let i = stageAt; i < stack.length; i++) {
        const cf = stack[i];
        // Whether V8 shows a trampoline or tiered wasm directly under `call` varies from run to run,
        // so any wasm below the entry frame counts as being inside the Lua VM.
        if (stage === "handler" && LUA_CALLERS.has(cf.functionName) && i + 1 < stack.length && (cf.functionName === LUA_ENTRY ? stack.slice(i + 1).some(isWasm) : isWasm(stack[i + 1]))) {
          frames.push(classify(cf, serverCoreUrl));
          enteredLua = true;
          break;
        }
        pushCollapsed(frames, classify(cf, serverCoreUrl));
      }
      if (enteredLua) {
        luaVm += weight;
        if (entryStack === null) entryStack = frames;
        continue;
      }
      b.add(frames, weight);
    }
  }
  const { stacks, lines } = luaStacks(p.lua, luaFile);
  // No CPU profile at all (an outside tool whose stacks could not be used): the Lua samples alone,
  // each worth the wait before it (one sampling interval where the sampler does not say), under the handler stage.
  if (!(cpu && Array.isArray(cpu.nodes)) && p.lua && p.lua.samples > 0) luaVm = p.lua.sampledMs !== undefined ? p.lua.sampledMs * 1000 : p.lua.samples * (opts.luaIntervalUs ?? 2000);
  if (luaVm > 0) {
    const entry = entryStack ?? [stageFrame("handler")];
    if (stacks.length === 0) b.add([...entry, LUA_VM], luaVm);
    else for (const s of stacks) b.add([...entry, ...s.frames], luaVm * s.share);
  }
  const lineCosts = luaVm > 0 ? lines.map((l) => ({ frame: l.frame, line: l.line, selfUs: luaVm * l.self, totalUs: luaVm * l.total })) : [];
  return {
    worker: p.worker,
    pid: p.pid,
    tree: b.build(),
    luaVmUs: luaVm,
    luaSamples: p.lua?.samples ?? 0,
    lines: lineCosts,
    samplerCpuMs: { lua: p.lua ? (p.lua.cpuMs ?? null) : 0, v8: p.cpuprofile ? (p.v8SamplerCpuMs ?? null) : 0 },
    luaMethod: p.lua && p.lua.samples > 0 ? (p.lua.method ?? "interrupt") : null,
    ...(p.lua?.fallback ? { fallback: p.lua.fallback } : {}),
  };
}

/** Consecutive wasm frames collapse into one "(Lua C API)" frame. */
function pushCollapsed(frames: Frame[], f: Frame): void {
  if (f === LUA_C_API && frames[frames.length - 1] === LUA_C_API) return;
  frames.push(f);
}

/**
 * Worker trees built chunk by chunk while a session measures (the profilers hand in what they have
 * every couple of seconds), so the panel can show the flamegraph as it grows. Each chunk splits its
 * own Lua VM time over its own Lua samples, which keeps the split local in time.
 */
export class TreeAccumulator {
  private readonly workers = new Map<number, { worker: number; pid: number; builder: CallTreeBuilder; luaVmUs: number; luaSamples: number; lines: LineCostTable; cost: Pick<WorkerTree, "samplerCpuMs" | "luaMethod" | "fallback"> }>();
  constructor(private readonly opts: BuildOptions = {}) {}

  /** Adds one hand-in of every worker; returns its trees merged (that chunk alone), or null when it held no samples. */
  add(profiles: WorkerProfile[]): CallTree | null {
    const chunk: CallTree[] = [];
    for (const p of profiles) {
      if (p.cpuprofile === null && !(p.lua !== null && p.lua.samples > 0)) continue;
      const t = buildWorkerTree(p, this.opts);
      chunk.push(t.tree);
      let w = this.workers.get(p.pid);
      if (!w) this.workers.set(p.pid, (w = { worker: p.worker, pid: p.pid, builder: new CallTreeBuilder(), luaVmUs: 0, luaSamples: 0, lines: new LineCostTable(), cost: { samplerCpuMs: { lua: 0, v8: 0 }, luaMethod: null } }));
      w.builder.addTree(t.tree);
      w.lines.addAll(t.lines);
      w.luaVmUs += t.luaVmUs;
      w.luaSamples += t.luaSamples;
      w.cost = mergeSamplerCost(w.cost, t);
    }
    return chunk.length ? mergeTrees(chunk) : null;
  }

  get empty(): boolean {
    return this.workers.size === 0;
  }

  /** Every worker's tree so far and their merge; null before any profile came in. */
  result(): { workers: WorkerTree[]; merged: CallTree } | null {
    if (this.workers.size === 0) return null;
    const workers = [...this.workers.values()]
      .sort((a, b) => a.worker - b.worker || a.pid - b.pid)
      .map((w) => ({ worker: w.worker, pid: w.pid, tree: w.builder.build(), luaVmUs: w.luaVmUs, luaSamples: w.luaSamples, lines: w.lines.costs(), ...w.cost }));
    return { workers, merged: mergeTrees(workers.map((w) => w.tree)) };
  }
}
