// One worker process: a Lua state, a router, and the HTTP connections the master's shared listening
// socket hands it. Every request runs synchronously through the stages parse -> extract -> queue ->
// context -> handler -> serialize -> write, each timed with performance.now() into per-route histograms.
import net from "node:net";
import path from "node:path";
import type { WorkerOptions } from "./options";
import { LuaApp, ResponseKind, type AppServerConfig, type HandlerOutcome, type HandlerResult, type LuaRoute } from "./lua/app";
import type { ActiveLuaSampler } from "./lua/stack-counts";
import { Router } from "./router";
import { RouteStats, STAGE_COUNT, S_CONTEXT, S_EXTRACT, S_HANDLER, S_PARSE, S_QUEUE, S_SERIALIZE, S_WRITE } from "./stages";
import { RequestParser, type HttpParseError, type ParsedRequest } from "./http/parser";
import { parseQuery } from "./http/query";
import { CONN_CLOSE, CONN_KEEP_ALIVE, CONTINUE_HEAD, CT_HTML, CT_JSON, CT_TEXT, errorBody, renderHeaders, responseHead } from "./http/response";
import { startWatchdog, type Watchdog } from "./watchdog";
import { ProfilerControl } from "./profiler-control";
import { ResourceStats } from "./resource-stats";
import { LogOnce } from "./log-once";
import { MoonscopeError, statusOf, type ErrorCode } from "../profile/errors";
import type { RouteInfo, WorkerSnapshot } from "./ipc";
import { PROMETHEUS_CONTENT_TYPE } from "../profile/prometheus";

export type { WorkerOptions } from "./options";

export interface WorkerHost {
  /** Sends a message to the master. */
  send(msg: unknown): void;
  /** Asks the master for merged stats of all workers (for /__moonscope/stats; ?reset=1 resets them after). */
  requestMergedStats(reset: boolean, cb: (json: string) => void): void;
  /** Asks the master for the Prometheus exposition text of all workers (--metrics); null when it did not come in time. */
  requestMetrics(cb: (text: string | null) => void): void;
  log(level: "info" | "warn" | "error", code: ErrorCode, message: string): void;
  /** Tells the master the worker makes progress (requests end) while its event loop may be too busy to answer pings. */
  alive?(): void;
}

export const STATS_PATH = "/__moonscope/stats";
const CT_PROMETHEUS = `Content-Type: ${PROMETHEUS_CONTENT_TYPE}\r\n`;

/**
 * Backpressure. A connection gets at most PIPELINE_DEPTH of its pipelined requests answered in one
 * go; then the worker serves its other connections and comes back (the rest wait, none is refused).
 * Once HIGH_WATER_MARK bytes of responses wait for the client to read them, the connection is not
 * read (so no more of its requests are answered) until they are sent. A client that takes none of
 * its responses for --request-timeout is disconnected. Both checks run only after a response was
 * written: a counter and a comparison on the request path.
 */
export const PIPELINE_DEPTH = 16;
export const HIGH_WATER_MARK = 64 * 1024;

interface Failure {
  status: number;
  code: ErrorCode;
  message: string;
}
const now = performance.now.bind(performance);

interface Conn {
  socket: net.Socket;
  parser: RequestParser;
  /** performance.now() when the current data event began; parse of the next pipelined request starts no earlier. */
  mark: number;
  lastActivity: number;
  requestStartedAt: number;
  closing: boolean;
  busy: boolean;
  /** Requests answered since the connection was last read (see PIPELINE_DEPTH). */
  answered: number;
  /** Not read, and its queued requests not answered, until release (see hold()). */
  held: boolean;
  /** While held for its write buffer: when the client last took some of it (0: held for its turn only). */
  heldSince: number;
  /** The write buffer's size when the client last took some of it. */
  heldBytes: number;
  release: () => void;
}

export class ServerWorker {
  private readonly opts: WorkerOptions;
  private readonly host: WorkerHost;
  private app!: LuaApp;
  private router!: Router<LuaRoute>;
  private server!: net.Server;
  private watchdog: Watchdog | null = null;
  /** Present only while a profile runs (set by the profiler control). */
  private sampler: ActiveLuaSampler | null = null;
  private readonly conns = new Set<Conn>();
  private readonly stats = new Map<LuaRoute, RouteStats>();
  private readonly unmatched = new RouteStats("(unmatched)");
  private readonly durations = new Float64Array(STAGE_COUNT);
  private readonly resources = new ResourceStats();
  private sweepTimer: NodeJS.Timeout | undefined;
  private shuttingDown = false;
  /** The address the server listens on (after start). */
  listeningHost = "";
  private readonly logOnce: LogOnce;
  /** The V8 CPU profiler and the Lua sampler of this worker. */
  readonly profiler: ProfilerControl;

  constructor(opts: WorkerOptions, host: WorkerHost) {
    this.opts = opts;
    this.host = host;
    this.logOnce = new LogOnce((level, code, message) => host.log(level, code, message));
    this.profiler = new ProfilerControl({
      app: () => this.app,
      watchdog: () => this.ensureWatchdog(),
      routeKeys: () => [...this.stats.values()].map((s) => s.route),
      setSampler: (sampler) => {
        this.sampler = sampler;
      },
    });
  }

  async start(source: Buffer): Promise<{ port: number; routes: RouteInfo[] }> {
    const o = this.opts;
    this.app = await LuaApp.load(source, {
      chunkName: o.chunkName,
      appDir: path.dirname(o.appFile),
      luaPath: o.luaPath,
      memoryLimitBytes: o.memoryLimitBytes,
      allow: o.allow,
      worker: o.worker,
    });
    if (this.app.routes.length === 0) {
      throw new MoonscopeError("MS_ERR_APP_NO_ROUTES", `${o.chunkName} defines no route handlers. Define one like: function api.hello.get(ctx) return api.json { ok = true } end`);
    }
    this.applyAppConfig(this.app.serverConfig);
    this.router = new Router(this.app.routes);
    this.checkMetricsPath();
    for (const r of this.app.routes) this.stats.set(r, new RouteStats(`${r.method} ${r.path}`));
    if (o.handlerTimeoutMs > 0) this.watchdog = await startWatchdog(o.handlerTimeoutMs, this.watchdogHooks());
    this.resources.start();
    // allowHalfOpen: a client that half-closes after pipelining still gets the responses held back for it (see hold()).
    this.server = net.createServer({ noDelay: true, allowHalfOpen: true }, (s) => this.onConnection(s));
    const port = await new Promise<number>((resolve, reject) => {
      this.server.once("error", (e: NodeJS.ErrnoException) => {
        if (e.code === "EADDRINUSE") {
          reject(new MoonscopeError("MS_ERR_PORT_IN_USE", `port ${o.port} on ${o.host} is already in use; stop the other server or pass --port 0 for a free port`));
        } else if (e.code === "EACCES") {
          reject(new MoonscopeError("MS_ERR_LISTEN", `not allowed to listen on ${o.host}:${o.port}; use a port above 1023`));
        } else {
          reject(new MoonscopeError("MS_ERR_LISTEN", `cannot listen on ${o.host}:${o.port}: ${e.message}`));
        }
      });
      this.server.listen({ port: o.port, host: o.host }, () => resolve((this.server.address() as net.AddressInfo).port));
    });
    this.server.on("error", (e) => this.host.log("error", "MS_ERR_LISTEN", `listening socket error: ${e.message}`));
    this.listeningHost = (this.server.address() as net.AddressInfo).address;
    this.sweepTimer = setInterval(() => this.sweep(), Math.max(50, Math.min(1000, o.requestTimeoutMs / 4)));
    this.sweepTimer.unref();
    const routes = this.app.routes.map((r) => ({ method: r.method, path: r.path, name: r.name, file: r.file, line: r.line }));
    return { port, routes };
  }

  /**
   * The scrape path is answered only where no route matches (so checking it costs the app's
   * requests nothing), and an app route there would silently win over the metrics: refused at start.
   */
  private checkMetricsPath(): void {
    const o = this.opts;
    if (!o.metrics) return;
    const m = this.router.match("GET", o.metricsPath);
    const clash = m.kind === "ok" ? `${m.route.method} ${m.route.path} (${m.route.name} at ${m.route.file}:${m.route.line})` : m.kind === "method" ? `${m.allow.join(", ")} ${o.metricsPath}` : null;
    if (clash !== null) {
      throw new MoonscopeError("MS_ERR_METRICS_PATH", `--metrics answers GET ${o.metricsPath}, but the app's route ${clash} matches that path; pass --metrics-path with a path no route matches, e.g. --metrics-path /__moonscope/metrics`);
    }
  }

  /**
   * What rover.server {...} asked for: host, port and body size limit apply unless the command
   * line gave them; the rest has no meaning here and is named once (the master logs a warning once).
   */
  private applyAppConfig(c: AppServerConfig): void {
    const o = this.opts;
    const given = new Set(o.explicit);
    if (c.host !== undefined && !given.has("host")) o.host = c.host;
    if (c.port !== undefined && !given.has("port")) o.port = c.port;
    if (c.maxBodyBytes !== undefined && !given.has("maxBodyBytes")) o.maxBodyBytes = c.maxBodyBytes;
    if (c.ignored.length > 0) {
      this.host.log("warn", "MS_WARN_ROVER_OPTIONS", `rover.server options that Moonscope ignores: ${c.ignored.join(", ")} (it honours host, port and body_size_limit)`);
    }
  }

  // ---- Lua interruption (see watchdog.ts and lua/stop.ts) ----
  private watchdogHooks() {
    return { onTimeout: () => this.interruptLua(), onSample: () => this.sampler?.sample?.(), onProgress: () => this.host.alive?.() };
  }

  /** The handler timeout's watchdog thread, or one without a time budget when the sampler needs it alone. */
  private async ensureWatchdog(): Promise<Watchdog> {
    if (!this.watchdog) this.watchdog = await startWatchdog(0, this.watchdogHooks());
    return this.watchdog;
  }

  private interruptLua(): void {
    this.app.stop.request();
  }

  // ---- connections ----
  private onConnection(socket: net.Socket): void {
    if (this.shuttingDown) {
      socket.destroy();
      return;
    }
    const onRequest = (req: ParsedRequest) => this.onRequest(conn, req);
    const onError = (e: HttpParseError) => this.onParseError(conn, e);
    const conn: Conn = {
      socket,
      parser: new RequestParser({ maxBodyBytes: this.opts.maxBodyBytes }),
      mark: 0,
      lastActivity: now(),
      requestStartedAt: 0,
      closing: false,
      busy: false,
      answered: 0,
      held: false,
      heldSince: 0,
      heldBytes: 0,
      release: () => this.release(conn, onRequest, onError),
    };
    this.conns.add(conn);
    conn.parser.onContinue = () => socket.write(CONTINUE_HEAD);
    socket.on("data", (chunk: Buffer) => {
      const t = now();
      conn.mark = t;
      conn.lastActivity = t;
      if (conn.closing) return;
      if (!conn.parser.inRequest) conn.requestStartedAt = t;
      conn.answered = 0;
      conn.parser.execute(chunk, t, onRequest, onError);
    });
    socket.on("error", () => {
      // ECONNRESET and friends: the peer went away; nothing to answer.
    });
    socket.on("close", () => this.conns.delete(conn));
    socket.on("end", () => {
      // Half-close from the client: finish what we have (held requests included), then close our side.
      if (!conn.busy && !conn.held) socket.end();
      conn.closing = true;
    });
  }

  /** Stops reading and answering conn: its turn is over (setImmediate), or the client must read first ('drain'). */
  private hold(conn: Conn): void {
    conn.held = true;
    conn.parser.pause();
    conn.socket.pause();
    const waiting = conn.socket.writableLength;
    if (waiting >= HIGH_WATER_MARK) {
      conn.heldSince = now();
      conn.heldBytes = waiting;
      conn.socket.once("drain", conn.release);
    } else {
      conn.heldSince = 0;
      setImmediate(conn.release);
    }
  }

  /** Reads conn again and answers the requests it queued meanwhile. */
  private release(conn: Conn, onRequest: (req: ParsedRequest) => void, onError: (e: HttpParseError) => void): void {
    if (!conn.held) return;
    conn.held = false;
    conn.heldSince = 0;
    if (conn.socket.destroyed) return;
    conn.socket.resume();
    if (conn.busy) return; // a stats answer holds the parser itself and resumes it when done
    conn.parser.resume();
    conn.answered = 0;
    conn.mark = now();
    conn.parser.execute(EMPTY, conn.mark, onRequest, onError);
    // The client half-closed while we held its requests: all answered now, close our side.
    if (conn.closing && !conn.held && !conn.busy) conn.socket.end();
  }

  private onParseError(conn: Conn, e: HttpParseError): void {
    this.unmatched.count(e.status);
    this.writeError(conn, e.status, e.code, e.message, false, null);
    conn.closing = true;
  }

  // The request pipeline. Each stage is its own method so a CPU profile attributes samples to stages
  // by function name (see STAGE_FUNCTIONS in stages.ts).
  private onRequest(conn: Conn, req: ParsedRequest): void {
    const d = this.durations;
    const timed = this.opts.stages;
    let t = 0;
    if (timed) {
      t = now();
      const parseStart = req.firstByteAt > conn.mark ? req.firstByteAt : conn.mark;
      // Waiting behind earlier pipelined requests of this connection is queueing, not parsing.
      d[S_QUEUE] = parseStart - req.firstByteAt > 0 ? parseStart - req.firstByteAt : 0;
      d[S_PARSE] = t - parseStart;
    }
    // Whatever follows in this chunk is a new request that started arriving now.
    conn.requestStartedAt = conn.mark;
    const keepAlive = req.keepAlive && !this.shuttingDown;
    const head = req.method === "HEAD";

    const ex = this.extract(conn, req, keepAlive, head);
    if (ex === null) return;
    const stats = this.stats.get(ex.route)!;
    if (timed) {
      const t2 = now();
      d[S_EXTRACT] = t2 - t;
      t = t2;
    }

    // The time budget covers all Lua work of the request: building ctx (a __gc finalizer may run
    // there), the handler, and reading its value back (serialize walks are stopped too).
    const wd = this.watchdog;
    if (wd !== null) wd.enter();
    let failure = this.pushContext(ex.route, req, ex.params, ex.query);
    if (timed) {
      const t2 = now();
      d[S_CONTEXT] = t2 - t;
      t = t2;
    }
    let outcome: HandlerOutcome | null = null;
    if (failure === null) outcome = this.runHandler(stats.route);
    if (timed) {
      const t2 = now();
      d[S_HANDLER] = t2 - t;
      t = t2;
    }
    if (outcome !== null && !outcome.ok) failure = this.handlerFailure(outcome, ex.route, stats.route);

    const res = this.serialize(failure, stats.route, req.httpMinor, keepAlive, head);
    if (wd !== null) wd.leave();
    if (this.app.stop.requested) this.app.stop.clear();
    if (timed) {
      const t2 = now();
      d[S_SERIALIZE] = t2 - t;
      t = t2;
    }
    this.writeResponse(conn.socket, res.out, res.body);
    if (timed) {
      const t2 = now();
      d[S_WRITE] = t2 - t;
      conn.mark = t2;
      stats.record(d, res.status);
    } else stats.count(res.status);
    this.finish(conn, keepAlive);
  }

  /** Stage "extract": route, path parameters, query. Answers 404/405/400 itself and returns null. */
  private extract(conn: Conn, req: ParsedRequest, keepAlive: boolean, head: boolean): { route: LuaRoute; params: string[] | null; query: string[] | null } | null {
    const m = this.router.match(req.method, req.path);
    if (m.kind !== "ok") {
      if (req.path === STATS_PATH && this.opts.statsEndpoint && (req.method === "GET" || req.method === "HEAD")) {
        const reset = /(^|&)reset=1(&|$)/.test(req.rawQuery);
        this.answerFromMaster(conn, keepAlive, head, (done) => this.host.requestMergedStats(reset, (json) => done(200, CT_JSON, json)));
        return null;
      }
      if (req.path === this.opts.metricsPath && this.opts.metrics && (req.method === "GET" || req.method === "HEAD")) {
        this.answerFromMaster(conn, keepAlive, head, (done) =>
          this.host.requestMetrics((text) => {
            if (text !== null) done(200, CT_PROMETHEUS, text);
            else done(503, CT_JSON, errorBody("MS_ERR_METRICS_TIMEOUT", "the master did not hand over the merged metrics in time; the next scrape will try again"));
          }),
        );
        return null;
      }
      if (m.kind === "method") {
        this.unmatched.count(405);
        this.writeError(conn, 405, "MS_ERR_METHOD_NOT_ALLOWED", `${req.method} is not allowed on ${req.path}; allowed: ${m.allow.join(", ")}`, keepAlive, "Allow: " + m.allow.join(", ") + "\r\n", head);
      } else {
        this.unmatched.count(404);
        this.writeError(conn, 404, "MS_ERR_NOT_FOUND", `no route for ${req.method} ${req.path}`, keepAlive, null, head);
      }
      this.finish(conn, keepAlive);
      return null;
    }
    let query: string[] | null = null;
    if (req.rawQuery !== "") {
      query = parseQuery(req.rawQuery);
      if (query === null) {
        this.stats.get(m.route)!.count(400);
        this.writeError(conn, 400, "MS_ERR_HTTP_BAD_ENCODING", "the query string has invalid percent-encoding", false, null, head);
        this.finish(conn, false);
        return null;
      }
    }
    return { route: m.route, params: m.params, query };
  }

  /** Stage "context": the handler and a fresh ctx on the Lua stack. */
  private pushContext(route: LuaRoute, req: ParsedRequest, params: string[] | null, query: string[] | null): Failure | null {
    try {
      this.app.pushContext(route, req.method, req.path, params, query, req.headers, req.body);
      return null;
    } catch (e) {
      this.app.rt.x.lua_settop(this.app.L, 2);
      return { status: 500, code: "MS_ERR_LUA_STATE", message: `could not build ctx: ${(e as Error).message}` };
    }
  }

  /** Stage "handler": the Lua call (under the watchdog since the context stage), visible to the sampler. */
  private runHandler(routeKey: string): HandlerOutcome {
    const sampler = this.sampler;
    if (sampler === null) return this.app.call();
    sampler.enter(routeKey);
    const outcome = this.app.call();
    sampler.leave();
    return outcome;
  }

  private handlerFailure(outcome: Exclude<HandlerOutcome, { ok: true }>, route: LuaRoute, routeKey: string): Failure {
    if (outcome.kind === "timeout") {
      this.logOnce.write("warn", "MS_ERR_LUA_TIMEOUT", `${routeKey}: ${outcome.message} (handler ${route.name} at ${route.file}:${route.line})`);
      return { status: 503, code: "MS_ERR_LUA_TIMEOUT", message: outcome.message };
    }
    if (outcome.kind === "memory") {
      this.logOnce.write("warn", "MS_ERR_LUA_MEMORY", `${routeKey}: ${outcome.message}`);
      return { status: 503, code: "MS_ERR_LUA_MEMORY", message: outcome.message };
    }
    this.logOnce.write("error", "MS_ERR_LUA_RUNTIME", `${routeKey}: ${outcome.traceback}`);
    return { status: 500, code: "MS_ERR_LUA_RUNTIME", message: outcome.message };
  }

  /** Stage "serialize": the handler's value read back, encoded, and the response head built. */
  private serialize(failure: Failure | null, routeKey: string, httpMinor: 0 | 1, keepAlive: boolean, head: boolean): { status: number; out: string; body: Buffer | null } {
    if (failure === null) {
      let result: HandlerResult;
      try {
        result = this.app.readResult();
      } catch (e) {
        const err = e as MoonscopeError;
        const code = err.code ?? "MS_ERR_LUA_RESULT";
        failure = { status: statusOf(code), code, message: err.message };
        this.logOnce.write(code === "MS_ERR_LUA_TIMEOUT" ? "warn" : "error", failure.code, `${routeKey}: ${err.message}`);
        return this.serialize(failure, routeKey, httpMinor, keepAlive, head);
      }
      const status = result.status;
      // The builders check statuses where they are called; this catches one written into the response table directly.
      if (!(status >= 200 && status <= 599 && status % 1 === 0)) {
        const message = `the handler's response has status ${status}; a status is an integer from 200 to 599`;
        this.logOnce.write("error", "MS_ERR_LUA_RESULT", `${routeKey}: ${message}`);
        return this.serialize({ status: 500, code: "MS_ERR_LUA_RESULT", message }, routeKey, httpMinor, keepAlive, head);
      }
      let extra = "";
      let contentType = CONTENT_TYPE[result.kind] ?? "";
      if (result.headers !== null) {
        const h = renderHeaders(result.headers);
        if ("error" in h) {
          this.logOnce.write("error", "MS_ERR_LUA_RESULT", `${routeKey}: ${h.error}`);
          return this.serialize({ status: 500, code: "MS_ERR_LUA_RESULT", message: h.error }, routeKey, httpMinor, keepAlive, head);
        }
        extra = h.text;
        if (h.hasContentType) contentType = "";
      }
      const connHeader = keepAlive ? (httpMinor === 0 ? CONN_KEEP_ALIVE : "") : CONN_CLOSE;
      // 204 and 304 have no body by definition (a client would read one as the next response): whatever the handler gave is dropped.
      const noBody = status === 204 || status === 304;
      if (noBody || result.body === null) return { status, out: responseHead(status, "", noBody ? null : 0, connHeader, extra), body: null };
      if (typeof result.body === "string") {
        return { status, out: responseHead(status, contentType, Buffer.byteLength(result.body), connHeader, extra) + (head ? "" : result.body), body: null };
      }
      return { status, out: responseHead(status, contentType, result.body.length, connHeader, extra), body: head ? null : result.body };
    }
    const errText = errorBody(failure.code, failure.message);
    const out = responseHead(failure.status, CT_JSON, Buffer.byteLength(errText), keepAlive ? "" : CONN_CLOSE, "") + (head ? "" : errText);
    return { status: failure.status, out, body: null };
  }

  /**
   * Stage "write": the response handed to the socket (one write; head and body corked together).
   * Heads are always written as UTF-8: header values are UTF-8 text read from Lua strings, and
   * written as such their bytes never include CR, LF or NUL unless the text does (which
   * renderHeaders refuses). Written as latin1, U+010D U+010A would reach the wire as CR LF.
   */
  private writeResponse(socket: net.Socket, out: string, body: Buffer | null): void {
    if (body === null) socket.write(out);
    else {
      socket.cork();
      socket.write(out);
      socket.write(body);
      socket.uncork();
    }
  }

  private finish(conn: Conn, keepAlive: boolean): void {
    if (!keepAlive) {
      conn.closing = true;
      // Bytes after a response with "Connection: close" are never requests: stop the parser before it
      // dispatches the next pipelined request of the same chunk (or asks for its 100 Continue).
      conn.parser.pause();
      conn.socket.end();
      return;
    }
    if (++conn.answered >= PIPELINE_DEPTH || conn.socket.writableLength >= HIGH_WATER_MARK) this.hold(conn);
  }

  private writeError(conn: Conn, status: number, code: ErrorCode, message: string, keepAlive: boolean, extraHeaders: string | null, head = false): void {
    if (conn.socket.destroyed) return;
    const body = errorBody(code, message);
    conn.socket.write(responseHead(status, CT_JSON, Buffer.byteLength(body), keepAlive ? "" : CONN_CLOSE, extraHeaders ?? "") + (head ? "" : body));
    if (!keepAlive) conn.socket.end();
  }

  /**
   * Answers a request whose body only the master has (the merged stats, the metrics). Only this
   * connection waits for it: its parser is paused and the worker serves the others meanwhile.
   */
  private answerFromMaster(conn: Conn, keepAlive: boolean, head: boolean, ask: (done: (status: number, contentType: string, body: string) => void) => void): void {
    conn.busy = true;
    conn.parser.pause();
    ask((status, contentType, body) => {
      conn.busy = false;
      if (conn.socket.destroyed) return;
      conn.socket.write(responseHead(status, contentType, Buffer.byteLength(body), keepAlive ? "" : CONN_CLOSE, "Cache-Control: no-store\r\n") + (head ? "" : body));
      if (!keepAlive || conn.closing) {
        conn.closing = true;
        conn.socket.end();
        return;
      }
      conn.parser.resume();
      conn.mark = now();
      conn.parser.execute(EMPTY, conn.mark, (r) => this.onRequest(conn, r), (e) => this.onParseError(conn, e));
    });
  }

  /** 408 for requests whose bytes stopped arriving; close idle keep-alive connections. */
  private sweep(): void {
    const t = now();
    for (const c of this.conns) {
      if (c.busy || c.socket.destroyed) continue;
      if (c.held) {
        if (c.heldSince === 0) continue;
        const waiting = c.socket.writableLength;
        if (waiting < c.heldBytes) {
          c.heldBytes = waiting;
          c.heldSince = t;
        } else if (t - c.heldSince > this.opts.requestTimeoutMs) {
          // It reads none of its responses: what it asked for stays unanswered, and its memory is freed.
          c.closing = true;
          c.socket.destroy();
        }
        continue;
      }
      if (c.parser.inRequest) {
        if (c.requestStartedAt !== 0 && t - c.requestStartedAt > this.opts.requestTimeoutMs) {
          this.unmatched.count(408);
          this.writeError(c, 408, "MS_ERR_HTTP_REQUEST_TIMEOUT", `the request was not received completely within ${this.opts.requestTimeoutMs} ms`, false, null);
          c.closing = true;
          c.socket.destroySoon();
        }
      } else if (t - c.lastActivity > this.opts.keepAliveTimeoutMs) {
        c.socket.end();
        c.socket.destroySoon();
      }
    }
  }

  // ---- stats ----
  snapshot(reset: boolean): WorkerSnapshot {
    const routes = [...this.stats.values(), this.unmatched].filter((s) => s.requests > 0).map((s) => s.toJSON());
    const resources = this.resources.read(this.opts.worker, this.app.rt.heapBytes, this.conns.size);
    if (reset) {
      for (const s of this.stats.values()) s.reset();
      this.unmatched.reset();
      this.resources.reset();
    }
    return { worker: this.opts.worker, pid: process.pid, routes, resources };
  }

  /** Stops accepting, lets in-flight responses go out, closes idle connections; resolves when all are closed. */
  async shutdown(graceMs: number): Promise<void> {
    this.shuttingDown = true;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        for (const c of this.conns) c.socket.destroy();
        resolve();
      }, graceMs);
      timer.unref();
      this.server.close(() => {
        clearTimeout(timer);
        resolve();
      });
      for (const c of this.conns) {
        if (!c.parser.inRequest && !c.busy && !c.held) c.socket.end();
      }
    });
    clearInterval(this.sweepTimer);
    this.resources.stop();
    if (this.watchdog) await Promise.race([this.watchdog.stop(), new Promise((r) => setTimeout(r, 1000).unref())]);
  }
}

const EMPTY = Buffer.alloc(0);

/** The Content-Type header of each response kind (api.raw and empty responses have none). */
const CONTENT_TYPE: Record<ResponseKind, string> = {
  [ResponseKind.Json]: CT_JSON,
  [ResponseKind.Text]: CT_TEXT,
  [ResponseKind.Html]: CT_HTML,
  [ResponseKind.Raw]: "",
  [ResponseKind.Empty]: "",
};

