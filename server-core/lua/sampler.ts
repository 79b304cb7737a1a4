// The Lua half of the sampling profiler: walks the running Lua call stack from inside a V8
// interrupt (see watchdog.ts for how the interrupt is raised) and counts stacks per route.
//
// Why it is safe to run in the middle of the Lua VM: it only calls lua_getstack and lua_getinfo
// with "Sln" — both read CallInfo/Proto data and write only into our own lua_Debug struct; nothing
// is pushed, so the stack is never reallocated under the interpreter's cached pointers. The line
// comes from the last saved pc, so it can lag behind by a few instructions; the function is exact.
//
// Lines: each sample also counts the current line of every Lua frame on the stack, once per sample
// per (function, line) ("total": the line was running or waiting on a call it made), and the line
// of the deepest Lua frame ("self": the line itself, with the C functions it called). They are
// counted beside the stacks, not in their keys, so the stack table does not grow with every line.
import type { LuaRuntime } from "./runtime";
import { AR, AR_SIZE, fileOfSource, heapString } from "./debug-info";

const MAX_DEPTH = 64;

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
  /** Interrupts that found a handler running and walked its stack. */
  samples: number;
  /** Interrupts that arrived after the handler had returned (no stack to record). */
  missed: number;
  frames: LuaFrameInfo[];
  /** Root-first frame indices per route, with how many samples saw exactly that stack. */
  stacks: { route: string; frames: number[]; count: number }[];
  /** Per-line counts of Lua functions (absent from workers of older versions). */
  lines?: LuaLineCount[];
}

/** Lines above this are not counted (a generated chunk with a million lines would make keys collide). */
const MAX_LINE = 1 << 20;

export class LuaSampler {
  private readonly rt: LuaRuntime;
  private readonly L: number;
  private readonly ar: number;
  private readonly what: number;
  private readonly strings = new Map<number, string>();
  /** "file:line" → the name of a handler, middleware or api.on_error defined there. */
  private readonly names: ReadonlyMap<string, string>;
  private readonly frameIds = new Map<string, number>();
  private readonly frames: LuaFrameInfo[] = [];
  private readonly counts = new Map<string, { route: string; frames: number[]; count: number }>();
  private readonly scratch: number[] = [];
  /** (frame, line) keys seen in the current sample, so a recursive line counts once. */
  private readonly seenLines: number[] = [];
  private readonly lineCounts = new Map<number, LuaLineCount>();
  private h32: Int32Array<ArrayBufferLike> = new Int32Array(0);
  samples = 0;
  missed = 0;
  /** Set by the worker before each handler call. */
  route = "";

  constructor(rt: LuaRuntime, L: number, names: ReadonlyMap<string, string> = new Map()) {
    this.rt = rt;
    this.L = L;
    this.names = names;
    this.ar = rt.x.malloc(AR_SIZE);
    this.what = rt.cstr("Sln");
  }

  private cstring(p: number): string {
    if (p === 0) return "";
    let s = this.strings.get(p);
    if (s === undefined) {
      s = heapString(this.rt, p);
      if (this.strings.size < 10000) this.strings.set(p, s);
    }
    return s;
  }

  /** Records the current Lua stack; call only while a handler runs on this state. */
  sample(): void {
    const { rt, L, ar } = this;
    const x = rt.x;
    const ids = this.scratch;
    ids.length = 0;
    const seen = this.seenLines;
    seen.length = 0;
    let level = 0;
    for (; level < MAX_DEPTH && x.lua_getstack(L, level, ar) !== 0; level++) {
      if (x.lua_getinfo(L, this.what, ar) === 0) break;
      rt.refreshViews();
      if (this.h32.buffer !== rt.heap.buffer) this.h32 = new Int32Array(rt.heap.buffer);
      const base = ar >> 2;
      const h32 = this.h32;
      const linedefined = h32[base + (AR.linedefined >> 2)];
      const sourceP = h32[base + (AR.source >> 2)];
      const nameP = h32[base + (AR.name >> 2)];
      const whatP = h32[base + (AR.what >> 2)];
      const key = sourceP + ":" + linedefined + ":" + nameP;
      let id = this.frameIds.get(key);
      if (id === undefined) {
        const what = this.cstring(whatP);
        const source = this.cstring(sourceP);
        let name = this.cstring(nameP);
        const file = what === "C" ? "[C]" : fileOfSource(source);
        const known = what === "Lua" ? this.names.get(`${file}:${linedefined}`) : undefined;
        if (known !== undefined) name = known;
        else if (name === "") name = what === "main" ? "(main chunk)" : `(anonymous:${linedefined})`;
        // The api.* helpers of our own chunks (api.json's __call, middleware chains, cjson, rover) are ours, not the app's.
        if (file.startsWith("moonscope")) name = `(${file === "moonscope" ? "moonscope api" : file.replace("/", " ")}:${linedefined})`;
        id = this.frames.length;
        this.frames.push({ name, file, line: what === "C" ? 0 : linedefined, what });
        this.frameIds.set(key, id);
      }
      ids.push(id);
      const currentline = h32[base + (AR.currentline >> 2)];
      if (currentline > 0 && currentline < MAX_LINE && this.frames[id].what === "Lua") this.countLine(id, currentline, seen.length === 0);
    }
    if (level === 0) {
      this.missed++;
      return;
    }
    this.samples++;
    ids.reverse();
    const k = this.route + "|" + ids.join(",");
    const c = this.counts.get(k);
    if (c) c.count++;
    else this.counts.set(k, { route: this.route, frames: ids.slice(), count: 1 });
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
  take(): LuaProfileData {
    const out: LuaProfileData = { samples: this.samples, missed: this.missed, frames: this.frames.slice(), stacks: [...this.counts.values()], lines: [...this.lineCounts.values()] };
    this.counts.clear();
    this.lineCounts.clear();
    this.samples = 0;
    this.missed = 0;
    return out;
  }
}
