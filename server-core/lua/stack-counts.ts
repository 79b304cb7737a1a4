// What a Lua sampler accumulates, whichever way it reads the stack (an interrupt on the worker's
// thread, sampler.ts; the heap from another thread, stack-reader-thread.ts): a frame table, stacks
// per route with their counts, and line counts.
//
// Lines: each sample counts the current line of every Lua frame on the stack, once per sample per
// (function, line) ("total": the line was running or waiting on a call it made), and the line of
// the deepest Lua frame ("self": the line itself, with the C functions it called). They are counted
// beside the stacks, not in their keys, so the stack table does not grow with every line.
import { fileOfSource } from "./debug-info";

export interface LuaFrameInfo {
  /** The handler's or middleware's name ("api.users.get", "api.before.auth"), else the name Lua knows at the call site ("fib", "rep"). */
  name: string;
  /** Chunk name without the "@" ("app.lua", "lib/util.lua"), "[C]" for C functions. */
  file: string;
  /** Line where the function is defined (0 for C functions). */
  line: number;
  /** "Lua", "C" or "main". */
  what: string;
}

/** A line of a Lua function: samples that saw it, as the deepest Lua line (self) or anywhere on the stack (total). */
export interface LuaLineCount {
  /** Index into `frames` (a Lua function). */
  frame: number;
  line: number;
  self: number;
  total: number;
}

export interface LuaProfileData {
  /** Samples that found a handler running and recorded its stack. */
  samples: number;
  /** Samples that came after the handler had returned (no stack to record), or read a stack that changed under them. */
  missed: number;
  frames: LuaFrameInfo[];
  /** Root-first frame indices per route, with how many samples saw exactly that stack. */
  stacks: { route: string; frames: number[]; count: number }[];
  /** Per-line counts of Lua functions (absent from workers of older versions). */
  lines?: LuaLineCount[];
  /**
   * CPU milliseconds the sampler cost since the last hand-in: the stack reader's thread's CPU time
   * (Linux), else the time it spent reading stacks; for the interrupt sampler, the time its samples
   * took on the worker's thread (the interrupts' own dispatch not included). Absent from older workers.
   */
  cpuMs?: number;
  /**
   * Milliseconds of handler time the samples stand for (each sample, the wait before it), from the
   * stack reader, whose pace changes with the route; absent from the interrupt sampler and older
   * workers, whose samples each stand for one interval.
   */
  sampledMs?: number;
  /** How the stacks were read: "heap" (another thread, no interrupt) or "interrupt". */
  method?: "heap" | "interrupt";
  /** Why the heap could not be read, when the interrupt sampler stood in. */
  fallback?: string;
}

/** A running Lua sampler, as the worker sees it: told when a handler runs, asked for its counts. */
export interface ActiveLuaSampler {
  /** The handler of route starts (the stack is worth sampling). */
  enter(route: string): void;
  leave(): void;
  /** The watchdog's interrupt fired (only the interrupt sampler reads the stack here). */
  sample?(): void;
  /** The samples so far; the counts restart. Synchronous, for exit hooks. */
  take(): LuaProfileData | null;
  /** The last samples; the sampler is done. */
  stop(): Promise<LuaProfileData | null>;
}

/** Lines above this are not counted (a generated chunk with a million lines would make keys collide). */
const MAX_LINE = 1 << 20;

export class LuaStackCounts {
  /** "file:line" → the name of a handler, middleware or api.on_error defined there. */
  private readonly names: ReadonlyMap<string, string>;
  private readonly frameIds = new Map<string, number>();
  private readonly frames: LuaFrameInfo[] = [];
  private readonly counts = new Map<string, { route: string; frames: number[]; count: number }>();
  private readonly lineCounts = new Map<number, LuaLineCount>();
  /** The sample being recorded: frame ids deepest first, and its (frame, line) keys so a recursive line counts once. */
  private readonly ids: number[] = [];
  private readonly seenLines: number[] = [];
  samples = 0;
  missed = 0;
  /** Milliseconds spent taking samples since the last take() (handed in as cpuMs unless the caller knows better). */
  busyMs = 0;

  constructor(names: ReadonlyMap<string, string>) {
    this.names = names;
  }

  /** The id of the frame known by key; describe() runs only the first time the key is seen. */
  frameId(key: string, describe: () => { name: string; source: string; linedefined: number; what: string }): number {
    let id = this.frameIds.get(key);
    if (id !== undefined) return id;
    const d = describe();
    const file = d.what === "C" ? "[C]" : fileOfSource(d.source);
    const known = d.what === "Lua" ? this.names.get(`${file}:${d.linedefined}`) : undefined;
    let name = d.name;
    if (known !== undefined) name = known;
    else if (name === "") name = d.what === "main" ? "(main chunk)" : `(anonymous:${d.linedefined})`;
    // The api.* helpers of our own chunks (api.json's __call, middleware chains, cjson, rover) are ours, not the app's.
    if (file.startsWith("moonscope")) name = `(${file === "moonscope" ? "moonscope api" : file.replace("/", " ")}:${d.linedefined})`;
    id = this.frames.length;
    this.frames.push({ name, file, line: d.what === "C" ? 0 : d.linedefined, what: d.what });
    this.frameIds.set(key, id);
    return id;
  }

  /** Starts a sample; add its frames deepest first, then end() it. */
  begin(): void {
    this.ids.length = 0;
    this.seenLines.length = 0;
  }

  add(frame: number, currentline: number): void {
    const deepest = this.seenLines.length === 0;
    this.ids.push(frame);
    if (currentline > 0 && currentline < MAX_LINE && this.frames[frame].what === "Lua") this.countLine(frame, currentline, deepest);
  }

  /** Counts the sample for route; one with no frame counts as missed. */
  end(route: string): void {
    const ids = this.ids;
    if (ids.length === 0) {
      this.missed++;
      return;
    }
    this.samples++;
    ids.reverse();
    const k = route + "|" + ids.join(",");
    const c = this.counts.get(k);
    if (c) c.count++;
    else this.counts.set(k, { route, frames: ids.slice(), count: 1 });
  }

  private countLine(frame: number, line: number, deepest: boolean): void {
    const key = frame * MAX_LINE + line;
    if (this.seenLines.includes(key)) return;
    this.seenLines.push(key);
    let c = this.lineCounts.get(key);
    if (c === undefined) this.lineCounts.set(key, (c = { frame, line, self: 0, total: 0 }));
    c.total++;
    if (deepest) c.self++;
  }

  /** The samples so far; resets the counts (frames are kept, their ids stay valid). */
  take(method: "heap" | "interrupt"): LuaProfileData {
    const out: LuaProfileData = {
      samples: this.samples,
      missed: this.missed,
      frames: this.frames.slice(),
      stacks: [...this.counts.values()],
      lines: [...this.lineCounts.values()],
      cpuMs: this.busyMs,
      method,
    };
    this.counts.clear();
    this.lineCounts.clear();
    this.samples = 0;
    this.missed = 0;
    this.busyMs = 0;
    return out;
  }
}
