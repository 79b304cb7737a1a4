// The interrupt-driven Lua sampler: walks the running Lua call stack from inside a V8 interrupt
// (see watchdog.ts for how the interrupt is raised). Used only where the heap cannot be read from
// another thread (stack-reader.ts says when); each sample costs the worker an interrupt round trip.
//
// Why it is safe to run in the middle of the Lua VM: it only calls lua_getstack and lua_getinfo
// with "Sln" — both read CallInfo/Proto data and write only into our own lua_Debug struct; nothing
// is pushed, so the stack is never reallocated under the interpreter's cached pointers. The line
// comes from the last saved pc, so it can lag behind by a few instructions; the function is exact.
import type { LuaRuntime } from "./runtime";
import { AR, AR_SIZE, heapString } from "./debug-info";
import { LuaStackCounts, type ActiveLuaSampler, type LuaProfileData } from "./stack-counts";
import type { Watchdog } from "../watchdog";

export type { LuaFrameInfo, LuaLineCount, LuaProfileData } from "./stack-counts";

const MAX_DEPTH = 64;

export class LuaSampler implements ActiveLuaSampler {
  private readonly rt: LuaRuntime;
  private readonly watchdog: Watchdog;
  private readonly L: number;
  private readonly ar: number;
  private readonly what: number;
  private readonly strings = new Map<number, string>();
  private readonly counts: LuaStackCounts;
  private h32: Int32Array<ArrayBufferLike> = new Int32Array(0);
  private route = "";

  private constructor(rt: LuaRuntime, L: number, names: ReadonlyMap<string, string>, watchdog: Watchdog) {
    this.rt = rt;
    this.watchdog = watchdog;
    this.L = L;
    this.counts = new LuaStackCounts(names);
    this.ar = rt.x.malloc(AR_SIZE);
    this.what = rt.cstr("Sln");
  }

  /** Starts the watchdog's interrupt every everyMs while a handler runs. */
  static async start(rt: LuaRuntime, L: number, names: ReadonlyMap<string, string>, watchdog: Watchdog, everyMs: number): Promise<LuaSampler> {
    const s = new LuaSampler(rt, L, names, watchdog);
    await watchdog.setSampling(everyMs);
    return s;
  }

  enter(route: string): void {
    this.route = route;
    this.watchdog.handlerRunning(true);
  }

  leave(): void {
    this.watchdog.handlerRunning(false);
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
    const t0 = performance.now();
    const { rt, L, ar, counts } = this;
    const x = rt.x;
    counts.begin();
    for (let level = 0; level < MAX_DEPTH && x.lua_getstack(L, level, ar) !== 0; level++) {
      if (x.lua_getinfo(L, this.what, ar) === 0) break;
      rt.refreshViews();
      if (this.h32.buffer !== rt.heap.buffer) this.h32 = new Int32Array(rt.heap.buffer);
      const base = ar >> 2;
      const h32 = this.h32;
      const linedefined = h32[base + (AR.linedefined >> 2)];
      const sourceP = h32[base + (AR.source >> 2)];
      const nameP = h32[base + (AR.name >> 2)];
      const whatP = h32[base + (AR.what >> 2)];
      const id = counts.frameId(sourceP + ":" + linedefined + ":" + nameP, () => ({
        name: this.cstring(nameP),
        source: this.cstring(sourceP),
        linedefined,
        what: this.cstring(whatP),
      }));
      counts.add(id, h32[base + (AR.currentline >> 2)]);
    }
    counts.end(this.route);
    counts.busyMs += performance.now() - t0;
  }

  /** The samples so far; resets the counts (frames are kept, their ids stay valid). */
  take(): LuaProfileData {
    return this.counts.take("interrupt");
  }

  async stop(): Promise<LuaProfileData> {
    await this.watchdog.setSampling(0);
    this.watchdog.handlerRunning(false);
    return this.take();
  }
}
