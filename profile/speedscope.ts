// speedscope's file format (https://www.speedscope.app/file-format-schema.json).
import { type CallNode, type CallTree, CallTreeBuilder } from "./calltree";
import { type Frame, frameKey, parseFrameLabel } from "./frames";

export const SPEEDSCOPE_SCHEMA = "https://www.speedscope.app/file-format-schema.json";

export interface SpeedscopeFrame {
  name: string;
  file?: string;
  line?: number;
  col?: number;
}

export interface SpeedscopeSampledProfile {
  type: "sampled";
  name: string;
  unit: SpeedscopeUnit;
  startValue: number;
  endValue: number;
  samples: number[][];
  weights: number[];
}

export interface SpeedscopeEventedProfile {
  type: "evented";
  name: string;
  unit: SpeedscopeUnit;
  startValue: number;
  endValue: number;
  events: { type: "O" | "C"; at: number; frame: number }[];
}

export type SpeedscopeUnit = "none" | "nanoseconds" | "microseconds" | "milliseconds" | "seconds" | "bytes";

export interface SpeedscopeFile {
  $schema: typeof SPEEDSCOPE_SCHEMA;
  shared: { frames: SpeedscopeFrame[] };
  profiles: (SpeedscopeSampledProfile | SpeedscopeEventedProfile)[];
  name?: string;
  activeProfileIndex?: number;
  exporter?: string;
}

/**
 * One "sampled" profile in microseconds: a sample (root-first frame indices) per node with self
 * weight, in pre-order. Frames carry name, file and 1-based line; the kind is not stored.
 */
export function toSpeedscope(t: CallTree, name: string): SpeedscopeFile {
  const frames: SpeedscopeFrame[] = [];
  const indexOf = new Map<string, number>();
  const frameIndex = (f: Frame): number => {
    const key = frameKey(f);
    let i = indexOf.get(key);
    if (i === undefined) {
      i = frames.length;
      const sf: SpeedscopeFrame = { name: f.name };
      if (f.file !== undefined) sf.file = f.file;
      if (f.line !== undefined) sf.line = f.line;
      frames.push(sf);
      indexOf.set(key, i);
    }
    return i;
  };
  const samples: number[][] = [];
  const weights: number[] = [];
  const work: [CallNode, number[]][] = [];
  for (let i = t.root.children.length - 1; i >= 0; i--) work.push([t.root.children[i], []]);
  while (work.length) {
    const [n, prefix] = work.pop()!;
    const stack = prefix.concat(frameIndex(n.frame));
    if (n.self > 0) {
      samples.push(stack);
      weights.push(n.self);
    }
    for (let i = n.children.length - 1; i >= 0; i--) work.push([n.children[i], stack]);
  }
  // Root self (empty stacks) cannot be a speedscope sample; it is left out like in toFolded.
  let total = 0;
  for (const w of weights) total += w;
  return {
    $schema: SPEEDSCOPE_SCHEMA,
    shared: { frames },
    profiles: [{ type: "sampled", name, unit: "microseconds", startValue: 0, endValue: total, samples, weights }],
    name,
    activeProfileIndex: 0,
    exporter: "moonscope",
  };
}

const UNIT_TO_US: Record<string, number> = { nanoseconds: 1e-3, microseconds: 1, milliseconds: 1e3, seconds: 1e6 };

/** Default classification of a speedscope frame: frameLabel's guesses (see parseFrameLabel). */
export function classifySpeedscopeFrame(f: SpeedscopeFrame): Frame {
  const guess = parseFrameLabel(f.file ? `${f.name} (${f.file})` : f.name);
  const out: Frame = { name: f.name, kind: guess.kind };
  if (f.file) out.file = f.file;
  if (typeof f.line === "number") out.line = f.line;
  return out;
}

/**
 * Reads a speedscope file: every sampled and evented profile, merged into one tree. Time units
 * become microseconds; "none" and "bytes" weights are taken as they are.
 */
export function fromSpeedscope(obj: unknown, classify: (f: SpeedscopeFrame) => Frame = classifySpeedscopeFrame): CallTree {
  const file = obj as Partial<SpeedscopeFile>;
  if (!file || typeof file !== "object" || !file.shared || !Array.isArray(file.shared.frames) || !Array.isArray(file.profiles)) {
    throw new Error("not a speedscope file: shared.frames and profiles are required");
  }
  const frames = file.shared.frames.map((f) => classify(f));
  const b = new CallTreeBuilder();
  for (const p of file.profiles) {
    const k = UNIT_TO_US[p.unit] ?? 1;
    if (p.type === "sampled") {
      for (let i = 0; i < p.samples.length; i++) {
        const w = (p.weights[i] ?? 0) * k;
        b.add(
          p.samples[i].map((fi) => frames[fi]),
          w,
        );
      }
    } else if (p.type === "evented") {
      const stack: Frame[] = [];
      let last = p.startValue;
      for (const e of p.events) {
        if (stack.length && e.at > last) b.add(stack, (e.at - last) * k);
        last = Math.max(last, e.at);
        if (e.type === "O") stack.push(frames[e.frame]);
        else if (e.type === "C") {
          // Close the matching frame (speedscope requires proper nesting; tolerate a mismatch by searching down).
          const target = frames[e.frame];
          let j = stack.length - 1;
          while (j >= 0 && stack[j] !== target) j--;
          if (j >= 0) stack.length = j;
        }
      }
    }
  }
  return b.build();
}
