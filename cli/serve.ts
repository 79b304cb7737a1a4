// `moonscope serve <app.lua>`: runs the app on the multi-worker server until SIGINT/SIGTERM.
import { flags, readArgs, strings } from "./command";
import { DEFAULT_SERVE, Master, type ServeOptions } from "../server-core/master";
import { MoonscopeError } from "../profile/errors";
import { absoluteLuaPath, parseBytes, parseDuration, parseIntArg } from "./args";
import { runSingle, type SingleOptions } from "../server-core/single";
import type { RouteInfo } from "../server-core/ipc";
import { STATS_PATH } from "../server-core/worker";

export const SERVE_HELP = `Usage: moonscope serve <app.lua> [options]

Runs a Lua app on Moonscope's multi-worker HTTP/1.1 server.

Options:
  --port N               port to listen on (default 8080; 0 picks a free one)
  --host ADDR            address to bind (default 127.0.0.1)
  --workers N            worker processes (default: number of CPUs)
  --no-stages            turn per-stage timing off (to measure its cost)
  --stats                answer GET /__moonscope/stats with merged statistics
  --metrics              answer GET /metrics with Prometheus metrics (see "Beyond one machine")
  --metrics-path PATH    where --metrics answers (default /metrics; no app route may match it)
  --handler-timeout T    stop a handler after T (default 1s; 0 turns the watchdog off)
  --memory-limit SIZE    Lua heap limit per worker (default 256MB)
  --request-timeout T    408 for a request still arriving after T (default 10s)
  --keep-alive-timeout T close idle keep-alive connections after T (default 5s)
  --max-body SIZE        413 for bodies over SIZE (default 1MB)
  --allow LIBS           give handlers io and/or os (comma list; off by default; see "The Lua sandbox")
  --lua-path PATHS       more places for require, as in package.path ("vendor/?.lua;;"),
                         searched after the app's folder and before LUA_PATH
  --json-log             log lines as JSON
  --single               one process, no cluster (what 0x and clinic need; implies one worker)
  --lua-interval MS      with --single: sample the Lua stack every MS ms from start to exit
  --lua-samples FILE     with --single: write the Lua samples to FILE at exit
`;

export function serveOptionsFrom(argv: string[]): ServeOptions & { single: SingleOptions | null } {
  const args = readArgs(
    argv,
    {
      ...strings("port", "host", "workers", "handler-timeout", "memory-limit", "request-timeout", "keep-alive-timeout", "max-body", "allow", "lua-path", "lua-interval", "lua-samples", "metrics-path"),
      ...flags("no-stages", "stats", "metrics", "json-log", "single"),
    },
    SERVE_HELP,
  );
  if (!args) process.exit(0);
  const { values, positionals } = args;
  if (positionals.length !== 1) throw new MoonscopeError("MS_ERR_USAGE", "serve needs exactly one app file, e.g. moonscope serve examples/hello/app.lua");
  const allow: ServeOptions["allow"] = {};
  for (const lib of (values.allow ?? "").split(",").filter(Boolean)) {
    // require was once behind --allow; it is always on now, and the old flag still parses.
    if (lib === "require") continue;
    if (lib !== "io" && lib !== "os") throw new MoonscopeError("MS_ERR_USAGE", `--allow takes io and os, not ${lib} (require of Lua modules needs no flag)`);
    allow[lib] = true;
  }
  const explicit: ServeOptions["explicit"] = [];
  if (values.port !== undefined) explicit.push("port");
  if (values.host !== undefined) explicit.push("host");
  if (values["max-body"] !== undefined) explicit.push("maxBodyBytes");
  return {
    ...DEFAULT_SERVE,
    appFile: positionals[0],
    port: values.port !== undefined ? parseIntArg("--port", values.port, 0, 65535) : DEFAULT_SERVE.port,
    host: values.host ?? DEFAULT_SERVE.host,
    workers: values.workers !== undefined ? parseIntArg("--workers", values.workers, 1, 256) : DEFAULT_SERVE.workers,
    stages: !values["no-stages"],
    statsEndpoint: !!values.stats,
    metrics: !!values.metrics || values["metrics-path"] !== undefined,
    metricsPath: values["metrics-path"] !== undefined ? metricsPathArg(values["metrics-path"]) : DEFAULT_SERVE.metricsPath,
    handlerTimeoutMs: values["handler-timeout"] !== undefined ? parseDuration("--handler-timeout", values["handler-timeout"]) : DEFAULT_SERVE.handlerTimeoutMs,
    memoryLimitBytes: values["memory-limit"] !== undefined ? parseBytes("--memory-limit", values["memory-limit"]) : DEFAULT_SERVE.memoryLimitBytes,
    requestTimeoutMs: values["request-timeout"] !== undefined ? parseDuration("--request-timeout", values["request-timeout"]) : DEFAULT_SERVE.requestTimeoutMs,
    keepAliveTimeoutMs: values["keep-alive-timeout"] !== undefined ? parseDuration("--keep-alive-timeout", values["keep-alive-timeout"]) : DEFAULT_SERVE.keepAliveTimeoutMs,
    maxBodyBytes: values["max-body"] !== undefined ? parseBytes("--max-body", values["max-body"]) : DEFAULT_SERVE.maxBodyBytes,
    allow,
    explicit,
    luaPath: values["lua-path"] !== undefined ? absoluteLuaPath(values["lua-path"]) : undefined,
    single: values.single
      ? { luaIntervalMs: values["lua-interval"] !== undefined ? parseIntArg("--lua-interval", values["lua-interval"], 0, 1000) : 0, luaSamplesFile: values["lua-samples"] ?? null }
      : null,
  };
}

/** A --metrics-path: an absolute path, no query, and not the stats endpoint's. */
function metricsPathArg(p: string): string {
  if (!/^\/[^?#\s]*$/.test(p)) throw new MoonscopeError("MS_ERR_USAGE", `--metrics-path takes a path starting with / (no query, no spaces), e.g. /metrics; got ${JSON.stringify(p)}`);
  if (p === STATS_PATH) throw new MoonscopeError("MS_ERR_USAGE", `--metrics-path cannot be ${STATS_PATH}, which --stats answers; pick another path, e.g. /metrics`);
  return p;
}

export async function serveCommand(argv: string[]): Promise<number> {
  const opts = serveOptionsFrom(argv);
  const jsonLog = argv.includes("--json-log");
  const log = (level: "info" | "warn" | "error", message: string) => {
    const line = jsonLog ? JSON.stringify({ time: new Date().toISOString(), level, message }) : `${level === "info" ? "" : level + ": "}${message}`;
    (level === "info" ? process.stdout : process.stderr).write(line + "\n");
  };
  if (opts.single) return serveSingle(opts, opts.single, log);
  const master = new Master(opts, { log });
  master.attachParent(() => {
    master.toParent({ type: "exit", code: 0 });
    process.exit(0);
  });
  let stopping = false;
  const stop = (sig: string) => {
    if (stopping) {
      log("warn", `${sig} again: killing the workers now`);
      process.exit(130);
    }
    stopping = true;
    log("info", `${sig}: finishing in-flight requests and stopping`);
    void master.stop().then(() => {
      master.toParent({ type: "exit", code: 0 });
      process.exit(0);
    });
  };
  process.on("SIGINT", () => stop("SIGINT"));
  process.on("SIGTERM", () => stop("SIGTERM"));
  try {
    const { port, host, routes, pids } = await master.start();
    log("info", `Moonscope serving ${opts.appFile} at ${urlOf(host, port)} with ${opts.workers} worker${opts.workers > 1 ? "s" : ""} (stages ${opts.stages ? "on" : "off"})`);
    logRoutes(routes, log);
    if (opts.metrics) log("info", `Prometheus metrics at ${urlOf(host, port)}${opts.metricsPath}`);
    log("info", "Press Ctrl-C to stop.");
    master.toParent({ type: "ready", port, host, workers: opts.workers, pids, routes });
    return await new Promise<number>(() => {});
  } catch (e) {
    const err = e instanceof MoonscopeError ? e : new MoonscopeError("MS_ERR_WORKER_START", (e as Error).message);
    master.toParent({ type: "start-error", code: err.code, message: err.message, details: err.details });
    throw err;
  }
}

async function serveSingle(opts: ServeOptions, single: SingleOptions, log: (level: "info" | "warn" | "error", message: string) => void): Promise<number> {
  const server = await runSingle(opts, single, log);
  log("info", `Moonscope serving ${opts.appFile} at ${urlOf(server.host, server.port)} in a single process (pid ${process.pid}, stages ${opts.stages ? "on" : "off"})`);
  logRoutes(server.routes, log);
  if (opts.metrics) log("info", `Prometheus metrics at ${urlOf(server.host, server.port)}${opts.metricsPath}`);
  log("info", "Press Ctrl-C to stop.");
  let stopping = false;
  const stop = (sig: string) => {
    if (stopping) process.exit(130);
    stopping = true;
    log("info", `${sig}: finishing in-flight requests and stopping`);
    // However shutdown goes (a profiler's hooks can stall a thread), the process ends after the grace period.
    setTimeout(() => process.exit(0), opts.shutdownGraceMs + 1000).unref();
    void server.stop().then(() => process.exit(0));
  };
  process.on("SIGINT", () => stop("SIGINT"));
  process.on("SIGTERM", () => stop("SIGTERM"));
  return new Promise<number>(() => {});
}

function urlOf(host: string, port: number): string {
  return `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
}

/** One line per route: "GET /users/:id  api.users.p_id.get  (handlers/users.lua:12)". */
function logRoutes(routes: RouteInfo[], log: (level: "info", message: string) => void): void {
  const w = Math.max(...routes.map((r) => r.method.length + r.path.length + 1));
  for (const r of routes) log("info", `  ${(r.method + " " + r.path).padEnd(w)}  ${r.name}  (${r.file}:${r.line})`);
}
