// Per-request stage timing: the stage names, and the per-route, per-worker statistics they feed.
import { LogHistogram, type HistogramData } from "../profile/histogram";
import { STAGE_NAMES, type StageName } from "../profile/run";

export type { StageName } from "../profile/run";
/** In request order. "total" is first byte received -> response handed to the socket. */
export const STAGES = STAGE_NAMES;
export const STAGE_COUNT = STAGES.length;
export const S_PARSE = 0, S_EXTRACT = 1, S_QUEUE = 2, S_CONTEXT = 3, S_HANDLER = 4, S_SERIALIZE = 5, S_WRITE = 6;

/** Where a stage function is defined: a class (its prototype holds the method) or a module of server-core. */
export type StageFunctionHolder = "ServerWorker" | "RequestParser" | "Router" | "LuaApp" | "LuaJson" | "http/query" | "http/response";

/**
 * Server-core functions that mark a stage in a CPU profile, which knows functions only by name: the
 * deepest one on a stack decides the stage (daemon/profile-build.ts). Besides the stage methods of
 * worker.ts, the functions they call are listed too, because a profiler that does not report inlined
 * frames (V8's --prof, which 0x uses) shows onRequest calling them directly. A renamed function
 * would silently mis-root every flamegraph, so stages.test.ts checks each name where it is held.
 */
export const STAGE_FUNCTION_LIST: readonly { name: string; stage: StageName; holder: StageFunctionHolder }[] = [
  { name: "execute", stage: "parse", holder: "RequestParser" },
  { name: "extract", stage: "extract", holder: "ServerWorker" },
  { name: "match", stage: "extract", holder: "Router" },
  { name: "parseQuery", stage: "extract", holder: "http/query" },
  { name: "pushContext", stage: "context", holder: "ServerWorker" },
  { name: "runHandler", stage: "handler", holder: "ServerWorker" },
  { name: "call", stage: "handler", holder: "LuaApp" },
  { name: "serialize", stage: "serialize", holder: "ServerWorker" },
  { name: "readResult", stage: "serialize", holder: "LuaApp" },
  { name: "toJs", stage: "serialize", holder: "LuaJson" },
  { name: "tableToJs", stage: "serialize", holder: "LuaJson" },
  { name: "renderHeaders", stage: "serialize", holder: "http/response" },
  { name: "handlerFailure", stage: "serialize", holder: "ServerWorker" },
  { name: "writeResponse", stage: "write", holder: "ServerWorker" },
  { name: "writeError", stage: "write", holder: "ServerWorker" },
];

/**
 * The server-core functions the Lua VM runs under in a CPU profile: `call` enters it, and when
 * `call` (or runHandler) is inlined the VM's frames hang straight off one of the others. The
 * profile builder hangs the sampled Lua stacks there (checked by stages.test.ts like the list above).
 */
export const LUA_ENTRY_FUNCTION = { name: "call", holder: "LuaApp" } as const satisfies { name: string; holder: StageFunctionHolder };
export const LUA_CALLER_FUNCTIONS: readonly { name: string; holder: StageFunctionHolder }[] = [
  LUA_ENTRY_FUNCTION,
  { name: "runHandler", holder: "ServerWorker" },
  { name: "onRequest", holder: "ServerWorker" },
];

/** STAGE_FUNCTION_LIST by function name. */
export const STAGE_FUNCTIONS: ReadonlyMap<string, StageName> = new Map(STAGE_FUNCTION_LIST.map((f) => [f.name, f.stage]));

export interface RouteStatsData {
  route: string; // "GET /users/:id", or "(unmatched)" for 404/405 and protocol errors
  requests: number;
  errors: number; // 5xx answered by the server
  statuses: Record<string, number>; // "2xx" | "3xx" | "4xx" | "5xx" -> count
  total: HistogramData;
  stages: Record<StageName, HistogramData>;
}

export class RouteStats {
  readonly route: string;
  requests = 0;
  errors = 0;
  readonly statuses = [0, 0, 0, 0, 0, 0];
  readonly total = new LogHistogram();
  readonly stages: LogHistogram[] = STAGES.map(() => new LogHistogram());

  constructor(route: string) {
    this.route = route;
  }

  /** d holds the 7 stage durations in ms (performance.now() differences); total is their sum by construction. */
  record(d: Float64Array, status: number): void {
    this.requests++;
    this.statuses[(status / 100) | 0]++;
    if (status >= 500) this.errors++;
    const st = this.stages;
    let total = 0;
    for (let i = 0; i < STAGE_COUNT; i++) {
      const v = d[i] > 0 ? d[i] : 0;
      total += v;
      st[i].record(v * 1e6);
    }
    this.total.record(total * 1e6);
  }

  /** Counts a request without stage timing (--no-stages). */
  count(status: number): void {
    this.requests++;
    this.statuses[(status / 100) | 0]++;
    if (status >= 500) this.errors++;
  }

  toJSON(): RouteStatsData {
    const stages = {} as Record<StageName, HistogramData>;
    STAGES.forEach((s, i) => (stages[s] = this.stages[i].toJSON()));
    return {
      route: this.route,
      requests: this.requests,
      errors: this.errors,
      statuses: { "1xx": this.statuses[1], "2xx": this.statuses[2], "3xx": this.statuses[3], "4xx": this.statuses[4], "5xx": this.statuses[5] },
      total: this.total.toJSON(),
      stages,
    };
  }

  reset(): void {
    this.requests = 0;
    this.errors = 0;
    this.statuses.fill(0);
    this.total.reset();
    for (const h of this.stages) h.reset();
  }
}
