// One sample from the heap, taken on the stack reader's thread: walk L's stack (heap-walk.ts) and
// count it (stack-counts.ts), or count it as missed if the read was torn.
import type { HeapWalker, ProtoInfo } from "./heap-walk";
import type { LuaStackCounts } from "./stack-counts";

/** Scratch: each frame's Proto, read once per sample. */
const infos: (ProtoInfo | null)[] = [];

/** The frame ids of the stack the walker just read, deepest first, with their current lines; false if the read was torn. */
export function recordHeapSample(walker: HeapWalker, counts: LuaStackCounts, L: number, route: string): boolean {
  const n = walker.walk(L);
  counts.begin();
  // Every Proto is read before anything is counted: a line counted for a sample then dropped would stay counted.
  let torn = n < 0;
  for (let i = 0; i < n && !torn; i++) {
    infos[i] = walker.frames[i].lua ? walker.proto(walker.frames[i].fn) : null;
    torn = walker.frames[i].lua && infos[i] === null;
  }
  if (torn) {
    counts.end(route);
    return false;
  }
  for (let i = 0; i < n; i++) {
    const f = walker.frames[i];
    const name = walker.frameName(i, n);
    if (f.lua) {
      const info = infos[i]!;
      const id = counts.frameId(`L${f.fn}:${info.linedefined}:${name ?? ""}`, () => ({ name: name ?? "", source: info.source, linedefined: info.linedefined, what: info.linedefined === 0 ? "main" : "Lua" }));
      counts.add(id, walker.line(f.fn, f.pc));
    } else {
      const id = counts.frameId(`C${f.fn}:${name ?? ""}`, () => ({ name: name ?? "", source: "=[C]", linedefined: -1, what: "C" }));
      counts.add(id, 0);
    }
  }
  counts.end(route);
  return true;
}
