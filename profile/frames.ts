// Frames: what one entry of a stack is. A frame's identity (frameKey) is its kind, name, file and
// line, so the same Lua function reached through different routes merges, and a Lua function and
// a JS function that happen to share a name do not.

export type FrameKind =
  | "stage" // a request stage root: "[parse]", "[handler]", ...
  | "lua" // a Lua function
  | "lua-c" // a C function called from Lua (string.rep, table.concat, ...)
  | "js-app" // JavaScript of the profiled application or of moonscope's glue
  | "server-core" // moonscope's own server code
  | "node" // Node.js internals (node:net, ...)
  | "native" // V8 builtins, wasm, C++ without a script
  | "gc"
  | "idle"
  | "program";

/** What a person calls each kind: the flamegraph SVG's tooltip, the panel's legend and tooltip. */
export const KIND_LABELS: Record<FrameKind, string> = {
  stage: "request stage",
  lua: "Lua",
  "lua-c": "Lua C function",
  "js-app": "app JavaScript",
  "server-core": "Moonscope server",
  node: "Node internals",
  native: "V8 / native",
  gc: "GC",
  idle: "idle",
  program: "program",
};

export interface Frame {
  name: string;
  file?: string;
  /** 1-based. */
  line?: number;
  kind: FrameKind;
}

/** The synthetic root of every CallTree. */
export const ROOT_FRAME: Frame = Object.freeze({ name: "(root)", kind: "program" }) as Frame;

const SEP = "\u001f";

/** Stable identity of a frame: kind + name + file + line (an absent line differs from any line). */
export function frameKey(f: Frame): string {
  return f.kind + SEP + f.name + SEP + (f.file ?? "") + SEP + (f.line ?? "");
}

/** "churn_numbers (app.lua:9)", "[handler]", "gsub (app.lua)" when the line is unknown. */
export function frameLabel(f: Frame): string {
  const name = f.name === "" ? "(anonymous)" : f.name;
  if (f.file === undefined || f.file === "") return name;
  return f.line !== undefined ? `${name} (${f.file}:${f.line})` : `${name} (${f.file})`;
}

const LABEL_RE = /^(.*\S) \(([^()]*?)(?::(\d+))?\)$/;

/**
 * The inverse of frameLabel, guessing the kind that a label lost: "[x]" is a stage, "(idle)",
 * "(garbage collector)", "(program)" and "(root)" are themselves, a .lua file is "lua", a
 * "node:" file is "node", another file is "js-app", and no file at all is "native". The default
 * classifier of fromFolded.
 */
export function parseFrameLabel(label: string): Frame {
  const m = LABEL_RE.exec(label);
  if (m) {
    const name = m[1];
    const file = m[2];
    const line = m[3] !== undefined ? Number(m[3]) : undefined;
    const f: Frame = { name, file, kind: kindOfFile(file) };
    if (line !== undefined) f.line = line;
    return f;
  }
  return { name: label, kind: kindOfName(label) };
}

function kindOfFile(file: string): FrameKind {
  if (/\.lua$/i.test(file)) return "lua";
  if (file.startsWith("node:")) return "node";
  if (file === "[C]" || file === "=[C]") return "lua-c";
  return "js-app";
}

function kindOfName(name: string): FrameKind {
  if (/^\[[^\]]*\]$/.test(name)) return "stage";
  switch (name) {
    case "(garbage collector)":
    case "(gc)":
      return "gc";
    case "(idle)":
      return "idle";
    case "(program)":
    case "(root)":
      return "program";
  }
  return "native";
}
