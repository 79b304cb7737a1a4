// The stored run (run.json): what `moonscope profile` measured, in a versioned, documented shape
// that the CLI, the daemon and the panel all read. Field names are stable; a reader that meets a
// newer version says so instead of guessing.
import type { HistogramData } from "./histogram";
import type { Frame } from "./frames";
import { MoonscopeError } from "./errors";

export const RUN_SCHEMA = "moonscope-run";

/**
 * The profilers' own CPU over a run's measured window, summed over workers: the Lua sampler (its
 * reader thread, or the worker's thread for the interrupt sampler) and V8's sampling thread. What
 * is not in it: V8's sampling signal on the worker's thread and the two shared-memory writes per
 * request. Null where the platform cannot tell (thread CPU comes from Linux's /proc).
 */
export interface SamplingCost {
  luaCpuMs: number | null;
  v8CpuMs: number | null;
  /** The known part of the two as a share of the workers' CPU time over the window (0.02 = 2 %). */
  share: number | null;
  /** How the Lua stacks were read: "heap" (a thread of its own, no interrupt), "interrupt", or null without Lua samples. */
  luaMethod: "heap" | "interrupt" | "mixed" | null;
  /** Why the interrupt sampler stood in for the heap reader, if it did. */
  fallback?: string;
}
export const RUN_VERSION = 1;

export type StageName = "parse" | "extract" | "queue" | "context" | "handler" | "serialize" | "write";
export const STAGE_NAMES: readonly StageName[] = ["parse", "extract", "queue", "context", "handler", "serialize", "write"];

/** The outside profilers `--mode` can run the app under (one process, no cluster). */
export const EXTERNAL_MODES = ["0x", "clinic-doctor", "clinic-flame", "clinic-bubbleprof", "clinic-heap"] as const;
export type ExternalMode = (typeof EXTERNAL_MODES)[number];
/** sample: our V8 + Lua samplers in every worker; none: timings only; the rest: an outside profiler on one process. */
export const RUN_MODES = ["sample", "none", ...EXTERNAL_MODES] as const;
export type RunMode = (typeof RUN_MODES)[number];

export function isRunMode(x: unknown): x is RunMode {
  return typeof x === "string" && (RUN_MODES as readonly string[]).includes(x);
}

/** The load generators Moonscope runs itself; open-loop is the fixed-rate one --rate picks. */
export const LOAD_GENERATORS = ["wrk", "autocannon", "open-loop"] as const;
export type LoadGeneratorName = (typeof LOAD_GENERATORS)[number];
/**
 * Where a run's load came from: a generator of ours, or "external": whatever arrived at the URL the
 * run printed (k6, Locust, wrk2 on another machine, real traffic), measured on the server's side.
 */
export const LOAD_SOURCES = [...LOAD_GENERATORS, "external"] as const;
export type LoadSource = (typeof LOAD_SOURCES)[number];
/** What --load (and a profile's options) may name; open-loop comes with --rate instead. */
export const LOAD_CHOICES = ["wrk", "autocannon", "external"] as const satisfies readonly LoadSource[];
export type LoadChoice = (typeof LOAD_CHOICES)[number];

export function isLoadChoice(x: unknown): x is LoadChoice {
  return typeof x === "string" && (LOAD_CHOICES as readonly string[]).includes(x);
}

export interface ExternalSummary {
  min: number;
  mean: number;
  max: number;
}

/** A route handler as the server found it. */
export interface RunRoute {
  method: string;
  path: string;
  name: string;
  /** The file that defines the handler, relative to the app's folder ("handlers/users.lua"); absent in runs from before modules (read it as the app file). */
  file?: string;
  line: number;
}

export type Priority = "CRITICAL" | "HIGH" | "MEDIUM" | "LOW";

/** A stage's priority from its share of the server time (the CLI report and the panel agree on it). */
export function priorityOf(share: number): Priority {
  if (share >= 0.4) return "CRITICAL";
  if (share >= 0.2) return "HIGH";
  if (share >= 0.08) return "MEDIUM";
  return "LOW";
}

export interface StageRow {
  stage: StageName;
  p50Us: number;
  p99Us: number;
  meanUs: number;
  /** Share of the server time of the route's requests (sum of the stage means), 0..1. */
  share: number;
  priority: Priority;
}

export interface LatencySummaryUs {
  min: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
}

export interface WorkerRow {
  worker: number;
  pid: number;
  requests: number;
  /** CPU% of one core over the measured window. */
  cpuPercent: number;
  rssBytes: number;
  luaHeapBytes: number;
  eventLoopDelayP99Us: number;
  gcPauseMs: number;
}

export type Bottleneck = "lua-handler" | "serialization" | "http-layer" | "queueing" | "context" | "load-generator" | "unknown";

export interface HotSpotRow {
  frame: Frame;
  selfUs: number;
  totalUs: number;
  /** Shares of the busy (non-idle) sampled time, 0..1. */
  selfShare: number;
  totalShare: number;
}

/**
 * One line of a Lua function of the app, from the Lua sampler's current line (`hotLines` in run.json).
 * self: time the line itself ran (with the C functions it called); total: time it was on the stack
 * (calls it made included). Shares are of the busy sampled time, as the hot spots'.
 */
export interface HotLineRow {
  /** Relative to the app's folder, as Lua frames name it ("app.lua", "lib/util.lua"). */
  file: string;
  line: number;
  /** The function the line belongs to: its name and the line it starts at (its frame in the trees). */
  fn: string;
  fnLine: number;
  selfUs: number;
  totalUs: number;
  selfShare: number;
  totalShare: number;
  /** The line's source as it was profiled (trimmed, cut at 120 characters), when the run kept the app's files. */
  text?: string;
  /**
   * The function's own first line (line === fnLine): Lua records where a running function is only
   * when it calls something or takes a slow path, so this is time in its body before its first such
   * step (a leaf call that returns at once, arithmetic and table reads before a call).
   */
  entry?: true;
}

export interface BudgetResult {
  metric: string;
  limit: number;
  actual: number;
  unit: string;
  ok: boolean;
  message: string;
}

/** One stretch of a run's measurement (profile/timeline.ts keeps them within a size budget). */
export interface TimelineChunk {
  /** Milliseconds after the measurement began (the live charts' clock). */
  startMs: number;
  endMs: number;
  /** The route's requests that ended in the chunk, their server p50/p99 and stage means. */
  requests: number;
  p50Us: number;
  p99Us: number;
  stageMeanUs: Record<StageName, number>;
  /** Its samples, frames under TIMELINE_PRUNE (timeline.ts) of it folded into their caller; null when nothing was sampled. */
  tree: StoredTree | null;
}

/** A call tree in compact form: frames table + nodes [frameIndex, self, parentIndex] in pre-order. */
export interface StoredTree {
  frames: Frame[];
  nodes: [number, number, number][];
  total: number;
}

/**
 * One measured round of a run (`profile --runs N`, and each side of `ab`): what the client saw and
 * the server measured in that window alone. Comparisons judge a metric across rounds, because the
 * noise that matters is between windows, not between the requests of one window.
 */
export interface RoundStats {
  /** When the round started, ms after the run's first round started (ab interleaves two runs' rounds). */
  startMs: number;
  windowMs: number;
  requests: number;
  /** Client side (the load generator's), as in `client`. */
  rps: number;
  latencyUs: LatencySummaryUs;
  errors: number;
  generatorCpuPercent: number;
  /** Server side, the route's requests of this round. */
  server: { meanUs: number; p50Us: number; p99Us: number };
  stageMeanUs: Record<StageName, number>;
  stageP99Us: Record<StageName, number>;
  /** The workers' CPU time (user + system) per request of the route, in µs: its cost, whatever the concurrency. */
  cpuUsPerRequest: number;
}

/** Where a run ran: a comparison names any difference. */
export interface MachineInfo {
  platform: string;
  arch: string;
  cpuModel: string;
  cores: number;
  node: string;
  /** The Node binary that ran the app and the load generator (absent in runs from before it was recorded). */
  execPath?: string;
  /**
   * Set when that Node was the one inside an editor's Electron (VS Code's, a run started from the
   * editor with no node of its own found): its figures may differ from a terminal run's.
   */
  electron?: string;
}

/** "v20.17.0", or "v20.18.1 (inside Electron 32.2.6)": how a comparison and the report name a run's Node. */
export function nodeLabel(m: Pick<MachineInfo, "node" | "electron">): string {
  return m.electron ? `${m.node} (inside Electron ${m.electron})` : m.node;
}

export interface RunFile {
  $schema: typeof RUN_SCHEMA;
  version: number;
  tool: { name: "moonscope"; version: string; node: string };
  id: string;
  createdAt: string;
  app: {
    file: string;
    routes: RunRoute[];
    /** A hash (sha256, 16 hex digits) of each Lua file of the app (the entry and what it requires), by path relative to the app's folder. */
    files?: Record<string, string>;
    /** A copy of those files as they were profiled, relative to the run folder ("app/"): `moonscope ab` can run them again. */
    snapshot?: string;
  };
  route: RunRoute;
  /** Absent in runs from before it was recorded. */
  machine?: MachineInfo;
  /** The measured rounds, in order (absent in runs from before rounds: read the run as one round). */
  rounds?: RoundStats[];
  /** Set when the run is one side of `moonscope ab`: the other side's id, and the order the rounds ran in ("ABBA..."). */
  ab?: { side: "A" | "B"; other: string; order: string };
  options: {
    /** Measured rounds (absent: 1); durationMs is each round's. */
    runs?: number;
    /** --lua-path as given (absolute entries), when there was one. */
    luaPath?: string;
    durationMs: number;
    warmupMs: number;
    connections: number;
    rate: number | null;
    workers: number;
    mode: RunMode;
    load: LoadSource;
    cpuIntervalUs: number;
    luaIntervalMs: number;
  };
  /** What the client saw (the load generator); with generator "external", the server's own measurements stand in (no client of ours saw anything). */
  client: {
    generator: LoadSource;
    requests: number;
    durationMs: number;
    rps: number;
    latencyUs: LatencySummaryUs;
    non2xx: number;
    errors: number;
    cpuPercent: number;
    saturated: boolean;
  };
  /** What the server measured for the profiled route, merged over workers. */
  server: {
    requests: number;
    errors: number;
    statuses: Record<string, number>;
    latencyUs: { p50: number; p99: number; mean: number };
    /** Sum of the stage means against the measured server-time mean; the difference is shown, not hidden. */
    stageSumUs: number;
    unaccountedUs: number;
    stages: StageRow[];
    histograms: { total: HistogramData; stages: Record<StageName, HistogramData> };
    /** The same per worker (added in 0.1: absent in older runs; readers must cope). */
    perWorker?: { worker: number; pid: number; requests: number; latencyUs: { p50: number; p99: number }; stages: StageRow[] }[];
  };
  workers: WorkerRow[];
  verdict: { bottleneck: Bottleneck; message: string };
  hotSpots: HotSpotRow[];
  /** The app's hottest Lua lines (at most 300, by self time; absent in runs from before lines were sampled, empty without a Lua profile). */
  hotLines?: HotLineRow[];
  profile: {
    mode: RunMode;
    luaSamples: number;
    /** What the sampling itself cost over the measured window (absent in runs from before it was measured). */
    samplingCost?: SamplingCost;
    /** Merged over workers; null with --mode none. */
    merged: StoredTree | null;
    perWorker: { worker: number; pid: number; tree: StoredTree }[];
    /** Files written beside run.json. */
    files: Record<string, string>;
    /** The measurement in stretches of about 2 s, oldest first (runs the daemon measured with a live profile; absent otherwise). */
    timeline?: TimelineChunk[];
  };
  budgets: BudgetResult[];
  warnings: string[];
  /** How the session went: the measured window, and when the first merged live snapshot arrived after the load started. */
  session: { windowMs: number; firstSnapshotMs: number | null };
  /** The outside profiler's part (0x, clinic), null for sample/none. */
  external: {
    tool: RunMode;
    /** Its own HTML report, relative to the run folder. */
    report: string | null;
    /** Clinic Doctor's process samples over the run: CPU %, event-loop delay, memory, handles. */
    doctor: {
      samples: number;
      cpuPercent: ExternalSummary;
      delayMs: ExternalSummary;
      rssBytes: ExternalSummary;
      heapUsedBytes: ExternalSummary;
      handles: ExternalSummary;
      /** Doctor's diagnosis: "none" (no issue), "gc", "event-loop", "io", "data" (not enough data), ... */
      issueCategory: string | null;
      issues: unknown;
    } | null;
    /** The tool profiled the whole process life, not just the measured window. */
    wholeProcess: boolean;
  } | null;
}

/** Validates the envelope of a parsed run.json; throws a MoonscopeError (MS_ERR_RUN_*) that says what is wrong. */
export function checkRun(v: unknown, where: string): RunFile {
  if (typeof v !== "object" || v === null) throw new MoonscopeError("MS_ERR_RUN_CORRUPT", `${where} is not a Moonscope run (not a JSON object)`);
  const r = v as Partial<RunFile>;
  if (r.$schema !== RUN_SCHEMA) throw new MoonscopeError("MS_ERR_RUN_CORRUPT", `${where} is not a Moonscope run ($schema is ${JSON.stringify(r.$schema)})`);
  if (typeof r.version !== "number") throw new MoonscopeError("MS_ERR_RUN_CORRUPT", `${where} has no version`);
  if (r.version > RUN_VERSION) {
    throw new MoonscopeError("MS_ERR_RUN_NEWER", `${where} was written by a newer Moonscope (run format ${r.version}, this one reads up to ${RUN_VERSION}); update Moonscope to read it`);
  }
  if (!r.route || !r.server || !r.client) throw new MoonscopeError("MS_ERR_RUN_CORRUPT", `${where} is incomplete (missing route, server or client section)`);
  return r as RunFile;
}
