// The options every measuring command shares (`profile`, `ab`): how long, how hard, how many
// rounds, which profiler, what request. Declared, documented and read in one place.
import { strings } from "./command";
import { absoluteLuaPath, parseDuration, parseIntArg } from "./args";
import { isLoadChoice, isRunMode, LOAD_CHOICES, RUN_MODES, type LoadChoice, type RunMode } from "../profile/run";
import { AUTO_WORKERS_TEXT, PROFILE_DEFAULTS } from "../protocol/types";
import { MoonscopeError } from "../profile/errors";

export const MEASURE_OPTIONS = {
  ...strings("route", "duration", "warmup", "connections", "rate", "workers", "mode", "load", "body", "runs", "cpu-interval", "lua-interval", "lua-path"),
  header: { type: "string", multiple: true },
} as const;

/** The shared options' help, with the command's own defaults for a round's length and the rounds. */
export const measureHelp = (defaults: { durationMs: number; runs: number } = { durationMs: PROFILE_DEFAULTS.durationMs, runs: 1 }) => `  --route "METHOD /path"  the route to load (a concrete path like /users/42, or /users/:id)
  --duration T            measured time of each round (default ${defaults.durationMs / 1000}s)
  --runs N                measured rounds (default ${defaults.runs}); comparisons judge each metric across rounds
  --warmup T              load before measuring, not recorded (default ${PROFILE_DEFAULTS.warmupMs / 1000}s)
  --connections N         concurrent connections, closed loop (default ${PROFILE_DEFAULTS.connections})
  --rate N                fixed rate in req/s instead, through Moonscope's own open-loop generator
  --workers N             server workers (default: ${AUTO_WORKERS_TEXT}: a core for the load
                          generator and the samplers)
  --mode MODE             sample: V8 CPU profile + Lua sampler in every worker (default);
                          none: timings only; 0x, clinic-doctor, clinic-flame, clinic-bubbleprof,
                          clinic-heap: the app under that tool as one process (no cluster), its
                          HTML report kept in the run folder
  --load ${LOAD_CHOICES.join("|")}
                          load generator (default: wrk when installed); external: none of ours, the
                          app waits at a URL it prints and measures whatever arrives (profile only)
  --body TEXT             request body (for POST/PUT routes)
  --header "Name: value"  request header (repeatable)
  --cpu-interval US       V8 sampling interval in microseconds (default ${PROFILE_DEFAULTS.cpuIntervalUs})
  --lua-interval MS       Lua sampling interval in milliseconds (default ${PROFILE_DEFAULTS.luaIntervalMs}; 0 turns the Lua sampler off)
  --lua-path PATHS        more places for require after the app's folder ("vendor/?.lua;;")
`;

type MeasureValues = { [K in keyof typeof MEASURE_OPTIONS]?: (typeof MEASURE_OPTIONS)[K] extends { multiple: true } ? string[] : string };

export interface MeasureSettings {
  route?: string;
  durationMs: number;
  runs: number;
  warmupMs: number;
  connections: number;
  rate?: number;
  workers: number;
  mode: RunMode;
  load?: LoadChoice;
  body?: string;
  headers: Record<string, string>;
  cpuIntervalUs?: number;
  luaIntervalMs?: number;
  luaPath?: string;
}

/** The shared options, checked, with the defaults filled in. */
export function measureSettings(values: MeasureValues): MeasureSettings {
  const mode = values.mode ?? PROFILE_DEFAULTS.mode;
  if (!isRunMode(mode)) throw new MoonscopeError("MS_ERR_USAGE", `--mode is one of ${RUN_MODES.join(", ")}; got "${mode}"`);
  const load = values.load;
  if (load !== undefined && !isLoadChoice(load)) throw new MoonscopeError("MS_ERR_USAGE", `--load is one of ${LOAD_CHOICES.join(", ")}, got "${load}"`);
  const headers: Record<string, string> = {};
  for (const h of values.header ?? []) {
    const i = h.indexOf(":");
    if (i <= 0) throw new MoonscopeError("MS_ERR_USAGE", `--header takes "Name: value", got "${h}"`);
    headers[h.slice(0, i).trim()] = h.slice(i + 1).trim();
  }
  const durationMs = values.duration !== undefined ? parseDuration("--duration", values.duration) : PROFILE_DEFAULTS.durationMs;
  if (durationMs < 1000) throw new MoonscopeError("MS_ERR_USAGE", "--duration must be at least 1s");
  return {
    route: values.route,
    durationMs,
    runs: values.runs !== undefined ? parseIntArg("--runs", values.runs, 1, 100) : 1,
    warmupMs: values.warmup !== undefined ? parseDuration("--warmup", values.warmup) : PROFILE_DEFAULTS.warmupMs,
    connections: values.connections !== undefined ? parseIntArg("--connections", values.connections, 1, 10000) : PROFILE_DEFAULTS.connections,
    rate: values.rate !== undefined ? parseIntArg("--rate", values.rate, 1, 10_000_000) : undefined,
    workers: values.workers !== undefined ? parseIntArg("--workers", values.workers, 1, 256) : PROFILE_DEFAULTS.workers,
    mode,
    load,
    body: values.body,
    headers,
    cpuIntervalUs: values["cpu-interval"] !== undefined ? parseIntArg("--cpu-interval", values["cpu-interval"], 50, 100000) : undefined,
    luaIntervalMs: values["lua-interval"] !== undefined ? parseIntArg("--lua-interval", values["lua-interval"], 0, 1000) : undefined,
    luaPath: values["lua-path"] !== undefined ? absoluteLuaPath(values["lua-path"]) : undefined,
  };
}
