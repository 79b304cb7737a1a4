// Every error code Moonscope reports, in one catalog: what it means and what to do (the README's
// table is checked against it), the HTTP status when it answers a request, and whether a person
// can meet it. One error class carries a code of this catalog; an undeclared code does not compile.
// (It lives in profile/, the pure folder every other folder may import.)

export interface ErrorInfo {
  /** HTTP status when the error answers a request. */
  status?: number;
  /** Where it shows: answering an app's HTTP client, starting or running the server, a profiling
   * session or a CLI command, the daemon's stream and panel; "internal" ones never reach a person. */
  area: "http" | "server" | "session" | "runs" | "daemon" | "internal";
  /** What it means and what to do, in one line. */
  about: string;
}

export const ERRORS = {
  // answered to the app's HTTP clients
  MS_ERR_NOT_FOUND: { status: 404, area: "http", about: "no route for this method and path (also: a daemon URL that serves nothing)" },
  MS_ERR_METHOD_NOT_ALLOWED: { status: 405, area: "http", about: "the path has routes, not for this method; `Allow` lists the methods" },
  MS_ERR_LUA_RUNTIME: { status: 500, area: "http", about: "the handler raised an error; the message has its file:line, the server log the traceback" },
  MS_ERR_LUA_RESULT: { status: 500, area: "http", about: "the handler returned what cannot be sent (a function, a table nested too deep, a header the server sets, a status outside 200-599, a response larger than --memory-limit once serialised)" },
  MS_ERR_LUA_STATE: { status: 500, area: "http", about: "the server could not set up the Lua state or build ctx; a bug: report it with the log" },
  MS_ERR_LUA_TIMEOUT: { status: 503, area: "http", about: "the request's Lua work (ctx, handler, serialising its result) ran past --handler-timeout and was stopped; the worker goes on" },
  MS_ERR_LUA_MEMORY: { status: 503, area: "http", about: "the handler needed more than --memory-limit of Lua heap; the state stays usable" },
  MS_ERR_HTTP_BAD_REQUEST_LINE: { status: 400, area: "http", about: "malformed request line" },
  MS_ERR_HTTP_BAD_METHOD: { status: 400, area: "http", about: "the method is not an HTTP token" },
  MS_ERR_HTTP_BAD_TARGET: { status: 400, area: "http", about: "the request target is not an origin-form path (or, on the daemon's HTTP API, not a URL)" },
  MS_ERR_HTTP_BAD_VERSION: { status: 400, area: "http", about: "malformed HTTP version" },
  MS_ERR_HTTP_UNSUPPORTED_VERSION: { status: 505, area: "http", about: "an HTTP version other than 1.0 and 1.1" },
  MS_ERR_HTTP_URI_TOO_LONG: { status: 414, area: "http", about: "request line over 8 KiB" },
  MS_ERR_HTTP_BAD_HEADER: { status: 400, area: "http", about: "a malformed header line, or a control byte in it" },
  MS_ERR_HTTP_OBS_FOLD: { status: 400, area: "http", about: "a folded header line (obs-fold)" },
  MS_ERR_HTTP_BARE_CR: { status: 400, area: "http", about: "a CR not followed by LF" },
  MS_ERR_HTTP_BARE_LF: { status: 400, area: "http", about: "a LF without CR" },
  MS_ERR_HTTP_HEADERS_TOO_LARGE: { status: 431, area: "http", about: "headers over 16 KiB or more than 100 of them" },
  MS_ERR_HTTP_MISSING_HOST: { status: 400, area: "http", about: "an HTTP/1.1 request without Host" },
  MS_ERR_HTTP_DUP_HOST: { status: 400, area: "http", about: "more than one Host" },
  MS_ERR_HTTP_BAD_HOST: { status: 400, area: "http", about: "a malformed Host" },
  MS_ERR_HTTP_BAD_CONTENT_LENGTH: { status: 400, area: "http", about: "a Content-Length that is not one non-negative number" },
  MS_ERR_HTTP_DUP_CONTENT_LENGTH: { status: 400, area: "http", about: "more than one Content-Length" },
  MS_ERR_HTTP_CL_TE: { status: 400, area: "http", about: "Content-Length together with Transfer-Encoding (request smuggling)" },
  MS_ERR_HTTP_BAD_TRANSFER_ENCODING: { status: 400, area: "http", about: "a malformed Transfer-Encoding" },
  MS_ERR_HTTP_DUP_TRANSFER_ENCODING: { status: 400, area: "http", about: "more than one Transfer-Encoding" },
  MS_ERR_HTTP_UNSUPPORTED_TE: { status: 501, area: "http", about: "a Transfer-Encoding other than chunked" },
  MS_ERR_HTTP_BAD_CHUNK: { status: 400, area: "http", about: "a bad chunk size or chunk extension" },
  MS_ERR_HTTP_BODY_TOO_LARGE: { status: 413, area: "http", about: "a body over --max-body, refused as soon as the headers say so" },
  MS_ERR_HTTP_BAD_ENCODING: { status: 400, area: "http", about: "bad percent-encoding or invalid UTF-8 in the path or query (also in a daemon API path)" },
  MS_ERR_METRICS_TIMEOUT: { status: 503, area: "http", about: "a Prometheus scrape (--metrics) got no merged metrics from the master within 5 s; the next scrape tries again" },
  MS_ERR_HTTP_REQUEST_TIMEOUT: { status: 408, area: "http", about: "the request was still arriving after --request-timeout (a slow client)" },

  // starting and running the server
  MS_ERR_APP_NOT_FOUND: { area: "server", about: "no Lua app at the path given; pass the app file" },
  MS_ERR_APP_NO_ROUTES: { area: "server", about: "the app defines no route handler; define one like function api.hello.get(ctx) ... end" },
  MS_ERR_LUA_LOAD: { area: "server", about: "the app (or a module it requires) does not load: a syntax error, an error while it runs, a module not found or a C module; the message names the file and line" },
  MS_ERR_PORT_IN_USE: { area: "server", about: "the port is taken; stop the other server or pass --port 0" },
  MS_ERR_LISTEN: { area: "server", about: "the server cannot listen on that address (a port under 1024, an address not on this machine)" },
  MS_ERR_WORKER_START: { area: "server", about: "a worker process did not start; run with --workers 1 to see its output" },
  MS_ERR_METRICS_PATH: { area: "server", about: "an app route matches the --metrics path, which would hide the metrics; pass --metrics-path with a path no route matches" },
  MS_WARN_ROVER_OPTIONS: { area: "server", about: "rover.server options that have no meaning under Moonscope were ignored (host, port and body_size_limit are honoured)" },
  MS_WARN_WORKER_RESTART: { area: "server", about: "a worker died or stopped answering (the log says why) and a new one was started" },

  // profiling sessions and commands
  MS_ERR_USAGE: { area: "session", about: "a command or request was called wrongly; the message shows the right form (exit code 2)" },
  MS_ERR_ROUTE_NOT_FOUND: { area: "session", about: "the app has no such route; the message lists its routes" },
  MS_ERR_APP_START: { area: "session", about: "the app did not start for the session; the message has the end of its output" },
  MS_ERR_APP_CRASHED: { area: "session", about: "the app died during the session; nothing is left running" },
  MS_ERR_APP_CHANGED: { area: "session", about: "an app's files changed while `ab` measured it, so its rounds would mix two versions; run ab again when the files are saved, or pass a run folder as that side" },
  MS_ERR_APP_TIMEOUT: { area: "session", about: "the app stopped answering during the session; its processes were killed" },
  MS_ERR_CANCELLED: { area: "session", about: "the session was stopped (Ctrl-C, Stop Profiling); what was measured is kept" },
  MS_ERR_BUSY: { area: "session", about: "a session is already running in this daemon; wait for it or stop it" },
  MS_ERR_SESSION: { area: "session", about: "the session failed; the message says why" },
  MS_ERR_LOAD_MISSING: { area: "session", about: "the load generator is not installed (wrk: apt-get install wrk; or --load autocannon)" },
  MS_ERR_LOAD_FAILED: { area: "session", about: "the load generator failed; the message has its output" },
  MS_ERR_PROFILER_MISSING: { area: "session", about: "0x or Clinic.js is not installed; the message gives the command that installs it (`moonscope install 0x`), or add --yes" },
  MS_ERR_PROFILER_INSTALL: { area: "session", about: "npm could not install 0x or Clinic.js into the profiler cache; the message has npm's last lines" },
  MS_ERR_PROFILER_UNSUPPORTED: { area: "session", about: "Clinic.js does not run on this Node version (it needs Node < 21.7)" },
  MS_ERR_PROFILER_FAILED: { area: "session", about: "the outside profiler did not start the app; the message has its output" },
  MS_ERR_PROFILER_HUNG: { area: "session", about: "the outside profiler did not finish its report in time and was killed" },
  MS_ERR_NO_PROFILE: { area: "session", about: "the run has no CPU profile (it ran with --mode none); profile again with --mode sample" },
  MS_ERR_LUARC: { area: "session", about: "`moonscope init` found a .luarc.json that is not a JSON object (or whose library is not a list) and left it as it was; fix it, or add the path it names yourself" },

  // stored runs
  MS_ERR_RUN_NOT_FOUND: { area: "runs", about: "no run with that id or at that path" },
  MS_ERR_RUN_CORRUPT: { area: "runs", about: "the run file is damaged or not a Moonscope run; profile the route again" },
  MS_ERR_RUN_NEWER: { area: "runs", about: "the run was written by a newer Moonscope; update Moonscope to read it" },
  MS_ERR_RUN_EMPTY: { area: "runs", about: "a compared run served no request of its route (load from elsewhere that sent none), so there is nothing to compare; profile the route again" },
  MS_ERR_RUN_IN_USE: { area: "runs", about: "the run folder is still being written by a living process (its lock names it), so it cannot be deleted; wait for that run to end" },

  // the daemon's stream, dashboard and panel
  MS_ERR_TOKEN: { status: 401, area: "daemon", about: "missing or wrong token; open the URL the daemon printed" },
  MS_ERR_FORBIDDEN: { status: 403, area: "daemon", about: "a Host or Origin that is not the daemon's own (DNS rebinding is refused)" },
  MS_ERR_METHOD: { status: 405, area: "daemon", about: "the daemon's HTTP API is read-only: GET only" },
  MS_ERR_NO_DASHBOARD: { status: 404, area: "daemon", about: "the dashboard bundle (dist/webview) is missing; run npm run build" },
  MS_ERR_BAD_MESSAGE: { area: "daemon", about: "a message the daemon or the panel does not understand (not JSON, an unknown type or request)" },
  MS_ERR_READ_ONLY: { area: "daemon", about: "this stream only reports; it cannot start sessions" },
  MS_ERR_DISCONNECTED: { area: "daemon", about: "the panel lost its connection to the daemon; it retries, or start the daemon again" },
  MS_ERR_REQUEST: { area: "internal", about: "a request failed without a code of its own (the message says why)" },
} as const satisfies Record<string, ErrorInfo>;

export type ErrorCode = keyof typeof ERRORS;

export function isErrorCode(x: unknown): x is ErrorCode {
  return typeof x === "string" && Object.prototype.hasOwnProperty.call(ERRORS, x);
}

/** A code that came from another process or a thrown value, as a catalog code (`fallback` when it is not one). */
export function asErrorCode(x: unknown, fallback: ErrorCode): ErrorCode {
  return isErrorCode(x) ? x : fallback;
}

/** HTTP status of an error that answers a request (500 for one that has none). */
export function statusOf(code: ErrorCode): number {
  return (ERRORS[code] as ErrorInfo).status ?? 500;
}

/** An error a person reads: a catalog code, a message that says what went wrong and what to do, and details for tools. */
export class MoonscopeError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown>;
  constructor(code: ErrorCode, message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.name = "MoonscopeError";
    this.code = code;
    this.details = details;
  }
}

/** "error MS_ERR_X: message" for a terminal (no stack: the message says what to do). */
export function describeError(e: unknown): string {
  const code = (e as { code?: unknown })?.code;
  if (e instanceof Error && typeof code === "string") return `error ${code}: ${e.message}`;
  return `error: ${e instanceof Error ? e.message : String(e)}`;
}
