// A run's call trees as a pprof profile (profile.proto, uncompressed: the caller gzips, since the
// ground has no zlib), for `go tool pprof`, Grafana Pyroscope, Parca and the like.
//
// Continuous profilers filter and group on sample labels, not on frames, so what Moonscope shows as
// a root frame of its own is a label here: the request stage ("[handler]" becomes stage=handler),
// the worker, and the run's route. The stacks start below the stage. Weights are the trees' µs:
// cpu/nanoseconds carries them exactly (summed with a carried rounding error, so the samples add up
// to the tree's total), samples/count is the same divided by the sampling interval.
import { Function as PFunction, Label, Line, Location, Mapping, Profile, Sample, StringTable, ValueType } from "pprof-format";
import type { CallNode, CallTree } from "./calltree";
import { frameKey, type Frame } from "./frames";

export interface PprofTree {
  tree: CallTree;
  /** The worker whose profilers saw it (absent: the trees were merged before they were stored). */
  worker?: number;
  pid?: number;
}

export interface PprofInput {
  /** One tree per worker (or one merged tree). */
  trees: readonly PprofTree[];
  /** "GET /users/:id": every sample's route label. */
  route: string;
  /** The CPU sampling interval, µs: the profile's period. */
  periodUs: number;
  /** When measuring started, ms since the epoch. */
  startMs?: number;
  /** The measured window, ms. */
  durationMs?: number;
  /** Free text kept in the profile (pprof shows comments with -comments). */
  comments?: readonly string[];
}

/** The label keys, once: the docs and the tests name them. */
export const PPROF_LABELS = { stage: "stage", worker: "worker", pid: "pid", route: "route" } as const;

/** The one mapping every location belongs to: no binary, symbolized already (so pprof looks nothing up). */
const MAPPING_ID = 1;

/** The root frame a stage turns into a label: "[handler]" → "handler", "[server: other]" → "server: other". */
function stageOf(f: Frame): string | null {
  return f.kind === "stage" && f.name.startsWith("[") && f.name.endsWith("]") ? f.name.slice(1, -1) : null;
}

/** Adds rounded parts of an exact running sum, so the parts always add up to the rounded sum. */
class Rounder {
  private exact = 0;
  private emitted = 0;
  take(x: number): number {
    this.exact += x;
    const target = Math.round(this.exact);
    const part = target - this.emitted;
    this.emitted = target;
    return part;
  }
}

export function toPprof(input: PprofInput): Profile {
  const strings = new StringTable();
  const str = (s: string): number => strings.dedup(s);
  const functions: PFunction[] = [];
  const locations: Location[] = [];
  const locationOf = new Map<string, number>();
  const functionOf = new Map<string, number>();

  /** A frame's location id (one per frame identity: name, file, line, kind). */
  const location = (f: Frame): number => {
    const key = frameKey(f);
    let id = locationOf.get(key);
    if (id !== undefined) return id;
    // The function is the frame without its kind (a Lua function and its C callee of the same name differ by file).
    const fkey = `${f.name}\u001f${f.file ?? ""}\u001f${f.line ?? ""}`;
    let fid = functionOf.get(fkey);
    if (fid === undefined) {
      fid = functions.length + 1;
      functions.push(new PFunction({ id: fid, name: str(f.name || "(anonymous)"), systemName: str(f.name || "(anonymous)"), filename: str(f.file ?? ""), startLine: f.line ?? 0 }));
      functionOf.set(fkey, fid);
    }
    id = locations.length + 1;
    locations.push(new Location({ id, mappingId: MAPPING_ID, line: [new Line({ functionId: fid, line: f.line ?? 0 })] }));
    locationOf.set(key, id);
    return id;
  };

  const periodNs = Math.max(1, Math.round(input.periodUs * 1000));
  const nanos = new Rounder();
  const counts = new Rounder();
  const samples: Sample[] = [];
  const routeLabel = new Label({ key: str(PPROF_LABELS.route), str: str(input.route) });
  const stageLabels = new Map<string, Label>();
  const stageLabel = (s: string): Label => {
    let l = stageLabels.get(s);
    if (!l) stageLabels.set(s, (l = new Label({ key: str(PPROF_LABELS.stage), str: str(s) })));
    return l;
  };

  for (const t of input.trees) {
    const common: Label[] = [routeLabel];
    if (t.worker !== undefined) common.push(new Label({ key: str(PPROF_LABELS.worker), str: str(String(t.worker)) }));
    if (t.pid !== undefined) common.push(new Label({ key: str(PPROF_LABELS.pid), num: t.pid }));
    // Depth-first with the stack of location ids (root-first) kept alongside; iterative, as Lua recursion runs deep.
    const work: { node: CallNode; depth: number; labels: Label[] }[] = [];
    for (const c of t.tree.root.children) {
      const stage = stageOf(c.frame);
      work.push({ node: c, depth: stage === null ? 0 : -1, labels: stage === null ? common : [...common, stageLabel(stage)] });
    }
    if (t.tree.root.self > 0) addSample([], t.tree.root.self, common);
    const stack: number[] = [];
    while (work.length) {
      const { node, depth, labels } = work.pop()!;
      if (depth >= 0) {
        stack.length = depth;
        stack.push(location(node.frame));
      } else stack.length = 0;
      if (node.self > 0) addSample(stack, node.self, labels);
      const childDepth = depth + 1;
      for (let i = node.children.length - 1; i >= 0; i--) work.push({ node: node.children[i], depth: childDepth, labels });
    }
  }

  function addSample(rootFirst: readonly number[], us: number, labels: Label[]): void {
    const ns = nanos.take(us * 1000);
    const n = counts.take(us / input.periodUs);
    if (ns <= 0 && n <= 0) return;
    samples.push(new Sample({ locationId: [...rootFirst].reverse(), value: [n, ns], label: labels }));
  }

  const profile = new Profile({
    sampleType: [new ValueType({ type: str("samples"), unit: str("count") }), new ValueType({ type: str("cpu"), unit: str("nanoseconds") })],
    sample: samples,
    mapping: [new Mapping({ id: MAPPING_ID, filename: str("moonscope"), hasFunctions: true, hasFilenames: true, hasLineNumbers: true })],
    location: locations,
    function: functions,
    stringTable: strings,
    periodType: new ValueType({ type: str("cpu"), unit: str("nanoseconds") }),
    period: periodNs,
    timeNanos: input.startMs !== undefined ? BigInt(Math.round(input.startMs)) * 1_000_000n : 0,
    durationNanos: input.durationMs !== undefined ? BigInt(Math.round(input.durationMs)) * 1_000_000n : 0,
    comment: (input.comments ?? []).map(str),
    defaultSampleType: str("cpu"),
  });
  return profile;
}

/** The encoded profile.proto (not yet gzipped). */
export function encodePprof(input: PprofInput): Uint8Array {
  return toPprof(input).encode();
}
