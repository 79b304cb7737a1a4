// V8's tick log (`node --prof`, preprocessed by `node --prof-process --preprocess`, which is what 0x
// leaves beside its flamegraph as isolate-*.log.json) → a .cpuprofile, so every importer and view
// that reads .cpuprofile reads 0x's data too.
import type { CpuCallFrame, CpuProfile, CpuProfileNode } from "./cpuprofile";

export interface V8TickLog {
  code: { name: string; type: string; kind?: string }[];
  /** s: [codeIndex, offset, codeIndex, offset, ...] leaf first; -1 = unknown code. vm: V8 state tag. */
  ticks: { tm: number; vm: number; s: number[] }[];
}

// V8 StateTag values of the tick's vm field.
const VM_GC = 1;
const VM_IDLE = 8;

/** "runHandler /app/dist/cli/moonscope.js:3240:13" → name, url, 0-based line and column. */
function parseJsName(name: string): CpuCallFrame {
  const sp = name.lastIndexOf(" ");
  const fn = sp >= 0 ? name.slice(0, sp) : "";
  const loc = sp >= 0 ? name.slice(sp + 1) : name;
  const m = /^(.*?):(\d+)(?::(\d+))?$/.exec(loc);
  if (!m) return { functionName: name, scriptId: "0", url: "", lineNumber: -1, columnNumber: -1 };
  return { functionName: fn, scriptId: "0", url: m[1], lineNumber: Number(m[2]) - 1, columnNumber: m[3] ? Number(m[3]) - 1 : -1 };
}

function frameOf(entry: V8TickLog["code"][number]): CpuCallFrame {
  if (entry.type === "JS") {
    // wasm functions and trampolines are logged as JS without a location
    if (/^(wasm-function\[|js-to-wasm|wasm-to-js)/.test(entry.name)) return { functionName: entry.name, scriptId: "0", url: "wasm://wasm", lineNumber: -1, columnNumber: -1 };
    return parseJsName(entry.name);
  }
  return { functionName: entry.name, scriptId: "0", url: "", lineNumber: -1, columnNumber: -1 };
}

export function ticksToCpuProfile(log: V8TickLog): CpuProfile {
  const frames = log.code.map(frameOf);
  const root: CpuProfileNode = { id: 1, callFrame: { functionName: "(root)", scriptId: "0", url: "", lineNumber: -1, columnNumber: -1 }, children: [] };
  const nodes: CpuProfileNode[] = [root];
  const childIndex = new Map<CpuProfileNode, Map<string, CpuProfileNode>>();
  const special = (name: string): CpuCallFrame => ({ functionName: name, scriptId: "0", url: "", lineNumber: -1, columnNumber: -1 });
  const child = (parent: CpuProfileNode, cf: CpuCallFrame): CpuProfileNode => {
    let idx = childIndex.get(parent);
    if (!idx) childIndex.set(parent, (idx = new Map()));
    const key = cf.functionName + "\u001f" + cf.url + "\u001f" + cf.lineNumber;
    let n = idx.get(key);
    if (!n) {
      n = { id: nodes.length + 1, callFrame: cf, children: [] };
      nodes.push(n);
      parent.children!.push(n.id);
      idx.set(key, n);
    }
    return n;
  };
  const ticks = [...log.ticks].sort((a, b) => a.tm - b.tm);
  const samples: number[] = [];
  const timeDeltas: number[] = [];
  let prev = ticks.length ? ticks[0].tm : 0;
  for (const t of ticks) {
    let n: CpuProfileNode = root;
    if (t.vm === VM_GC) n = child(root, special("(garbage collector)"));
    else if (t.vm === VM_IDLE) n = child(root, special("(idle)"));
    else {
      const stack: CpuCallFrame[] = [];
      for (let i = t.s.length - 2; i >= 0; i -= 2) {
        const ci = t.s[i];
        if (ci >= 0 && ci < frames.length) stack.push(frames[ci]);
      }
      if (stack.length === 0) n = child(root, special("(program)"));
      else for (const cf of stack) n = child(n, cf);
    }
    samples.push(n.id);
    timeDeltas.push(t.tm - prev);
    prev = t.tm;
  }
  return { nodes, startTime: ticks.length ? ticks[0].tm : 0, endTime: prev + (ticks.length > 1 ? (prev - ticks[0].tm) / (ticks.length - 1) : 1000), samples, timeDeltas };
}

/**
 * Clinic Flame's samples file (`<pid>.clinic-flame-samples`): one stack per tick, root first, each
 * frame a code entry of the tick log; no timestamps, so every tick weighs intervalUs. Empty stacks
 * (nothing resolvable) count as "(program)".
 */
export function flameSamplesToCpuProfile(samples: V8TickLog["code"][], intervalUs = 1000): CpuProfile {
  const code: V8TickLog["code"] = [];
  const index = new Map<string, number>();
  const ticks: V8TickLog["ticks"] = [];
  samples.forEach((stack, i) => {
    const s: number[] = [];
    for (let k = stack.length - 1; k >= 0; k--) {
      const e = stack[k];
      const key = e.type + "\u001f" + e.name;
      let ci = index.get(key);
      if (ci === undefined) {
        ci = code.length;
        code.push({ name: e.name, type: e.type, kind: e.kind });
        index.set(key, ci);
      }
      s.push(ci, 0);
    }
    ticks.push({ tm: (i + 1) * intervalUs, vm: 0, s });
  });
  return ticksToCpuProfile({ code, ticks });
}
