// One worker process: a Lua state, a router, and the HTTP connections the master's shared listening
// socket hands it. Every request runs synchronously through the stages parse -> extract -> queue ->
// context -> handler -> serialize -> write, each timed with performance.now() into per-route histograms.
import net from "node:net";
import { monitorEventLoopDelay, PerformanceObserver } from "node:perf_hooks";
import path from "node:path";
import { LuaApp, ResponseKind, type AppServerConfig, type HandlerOutcome, type HandlerResult, type LuaRoute } from "./lua/app";
import { LuaSampler, type LuaProfileData } from "./lua/sampler";
import { LUA_MASKCOUNT } from "./lua/runtime";
import { Router } from "./router";
import { RouteStats, STAGE_COUNT, S_CONTEXT, S_EXTRACT, S_HANDLER, S_PARSE, S_QUEUE, S_SERIALIZE, S_WRITE } from "./stages";
import { HTTP_ERROR_CODES, RequestParser, type HttpParseError, type ParsedRequest } from "./http/parser";
import { parseQuery } from "./http/query";
import { CONN_CLOSE, CONN_KEEP_ALIVE, CT_HTML, CT_JSON, CT_TEXT, currentDateLine, errorBody, renderHeaders, statusLine } from "./http/response";
import { startWatchdog, type Watchdog } from "./watchdog";
import { ServerError } from "./errors";
import { LogHistogram } from "../profile/histogram";
import type { RouteInfo, WorkerResources, WorkerSnapshot } from "./ipc";

export interface WorkerOptions {
  worker: number;
  appFile: string;
  chunkName: string;
  host: string;
  port: number;
  stages: boolean;
  /** Answer GET /__moonscope/stats (aggregated over workers through the master). */
  statsEndpoint: boolean;
  handlerTimeoutMs: number;
  memoryLimitBytes: number;
  /** A request whose bytes are still arriving after this long gets 408 and a close (slowloris). */
  requestTimeoutMs: number;
  keepAliveTimeoutMs: number;
  maxBodyBytes: number;
  allow: { io?: boolean; os?: boolean };
  luaPath?: string;
  /** Options the command line gave; an app's rover.server {...} may set the others. */
  explicit: AppSettable[];
}

/** Serve options an app written for Rover can set in rover.server {...} (host, port, body_size_limit). */
export type AppSettable = "host" | "port" | "maxBodyBytes";

export interface WorkerHost {
  /** Sends a message to the master. */
  send(msg: unknown): void;
  /** Asks the master for merged stats of all workers (for /__moonscope/stats; ?reset=1 resets them after). */
  requestMergedStats(reset: boolean, cb: (json: string) => void): void;
  log(level: "info" | "warn" | "error", code: string, message: string): void;
}

const STATS_PATH = "/__moonscope/stats";

interface Failure {
  status: number;
  code: string;
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
}

export class ServerWorker {
  private readonly opts: WorkerOptions;
  private readonly host: WorkerHost;
  private app!: LuaApp;
  private router!: Router<LuaRoute>;
  private server!: net.Server;
  private watchdog: Watchdog | null = null;
  /** Present only while a profile runs. */
  private sampler: LuaSampler | null = null;
  private readonly conns = new Set<Conn>();
  private readonly stats = new Map<LuaRoute, RouteStats>();
  private readonly unmatched = new RouteStats("(unmatched)");
  private readonly durations = new Float64Array(STAGE_COUNT);
  private readonly eld = monitorEventLoopDelay({ resolution: 10 });
  private readonly gc = new LogHistogram();
  private gcObserver: PerformanceObserver | null = null;
  private cpuAt = process.cpuUsage();
  private cpuWallAt = now();
  private readonly startedAt = now();
  private sweepTimer: NodeJS.Timeout | undefined;
  private shuttingDown = false;
  private hookFn = 0;
  /** The address the server listens on (after start). */
  listeningHost = "";
  private readonly logDedup = new Map<string, { at: number; suppressed: number }>();

  constructor(opts: WorkerOptions, host: WorkerHost) {
    this.opts = opts;
    this.host = host;
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
      throw new ServerError("MS_ERR_APP_NO_ROUTES", `${o.chunkName} defines no route handlers. Define one like: function api.hello.get(ctx) return api.json { ok = true } end`);
    }
    this.applyAppConfig(this.app.serverConfig);
    this.router = new Router(this.app.routes);
    for (const r of this.app.routes) this.stats.set(r, new RouteStats(`${r.method} ${r.path}`));
    this.installInterrupt();
    if (o.handlerTimeoutMs > 0) this.watchdog = await startWatchdog(o.handlerTimeoutMs, this.watchdogHooks());
    this.eld.enable();
    try {
      this.gcObserver = new PerformanceObserver((list) => {
        for (const e of list.getEntries()) this.gc.record(e.duration * 1e6);
      });
      this.gcObserver.observe({ entryTypes: ["gc"] });
    } catch {
      this.gcObserver = null;
    }
    this.server = net.createServer({ noDelay: true }, (s) => this.onConnection(s));
    const port = await new Promise<number>((resolve, reject) => {
      this.server.once("error", (e: NodeJS.ErrnoException) => {
        if (e.code === "EADDRINUSE") {
          reject(new ServerError("MS_ERR_PORT_IN_USE", `port ${o.port} on ${o.host} is already in use; stop the other server or pass --port 0 for a free port`));
        } else if (e.code === "EACCES") {
          reject(new ServerError("MS_ERR_LISTEN", `not allowed to listen on ${o.host}:${o.port}; use a port above 1023`));
        } else {
          reject(new ServerError("MS_ERR_LISTEN", `cannot listen on ${o.host}:${o.port}: ${e.message}`));
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

  // ---- Lua interruption (see watchdog.ts) ----
  private installInterrupt(): void {
    const { rt } = this.app;
    this.hookFn = rt.addHookFunction((l) => {
      rt.x.lua_sethook(l, 0, 0, 0);
      this.app.raiseStop(l);
    });
  }

  private watchdogHooks() {
    return { onTimeout: () => this.interruptLua(), onSample: () => this.sampler?.sample() };
  }

  // ---- profiling (on only while a profile runs) ----
  private cpuSession: import("node:inspector").Session | null = null;

  /** Starts the V8 CPU profiler and the Lua sampler. */
  async startProfile(opts: { cpuIntervalUs: number; luaIntervalMs: number }): Promise<void> {
    if (this.cpuSession) await this.stopProfile();
    const inspector = await import("node:inspector");
    const session = new inspector.Session();
    session.connect();
    const post = (method: string, params?: object) =>
      new Promise<unknown>((resolve, reject) => session.post(method, params ?? {}, (err, res) => (err ? reject(err) : resolve(res))));
    await post("Profiler.enable");
    await post("Profiler.setSamplingInterval", { interval: opts.cpuIntervalUs });
    await startCpuProfiler(post);
    this.cpuSession = session;
    if (opts.luaIntervalMs > 0) await this.startLuaSampler(opts.luaIntervalMs);
  }

  /** Stops both profilers and returns what they saw (a V8 .cpuprofile object and the Lua stacks). */
  async stopProfile(): Promise<{ cpuprofile: unknown; lua: LuaProfileData | null }> {
    const session = this.cpuSession;
    this.cpuSession = null;
    const lua = await this.stopLuaSampler();
    if (!session) return { cpuprofile: null, lua };
    const res = await new Promise<{ profile: unknown }>((resolve, reject) =>
      session.post("Profiler.stop", (err, r) => (err ? reject(err) : resolve(r as { profile: unknown }))),
    );
    session.disconnect();
    return { cpuprofile: res.profile, lua };
  }

  /**
   * What both profilers saw since the last call, and they go on sampling: the V8 profiler is stopped
   * and started again on the same session (a gap of well under a millisecond), the Lua sampler hands
   * over its counts.
   */
  async rotateProfile(): Promise<{ cpuprofile: unknown; lua: LuaProfileData | null }> {
    const session = this.cpuSession;
    const lua = this.takeLuaSamples();
    if (!session) return { cpuprofile: null, lua };
    const post = (method: string, params?: object) => new Promise<unknown>((resolve, reject) => session.post(method, params ?? {}, (err, r) => (err ? reject(err) : resolve(r))));
    const res = (await post("Profiler.stop")) as { profile: unknown };
    await startCpuProfiler(post);
    return { cpuprofile: res.profile, lua };
  }

  /** The Lua sampler alone (the 0x and clinic modes bring their own CPU profiler). */
  async startLuaSampler(everyMs: number): Promise<void> {
    if (!this.watchdog) this.watchdog = await startWatchdog(0, this.watchdogHooks());
    this.sampler = new LuaSampler(this.app.rt, this.app.L, this.app.functionNames);
    await this.watchdog.setSampling(everyMs);
  }

  /** The Lua samples so far, without stopping the sampler (synchronous, for exit hooks). */
  takeLuaSamples(): LuaProfileData | null {
    return this.sampler ? this.sampler.take() : null;
  }

  async stopLuaSampler(): Promise<LuaProfileData | null> {
    let lua: LuaProfileData | null = null;
    if (this.sampler && this.watchdog) {
      await this.watchdog.setSampling(0);
      lua = this.sampler.take();
    }
    this.sampler = null;
    return lua;
  }

  private interruptLua(): void {
    this.app.timedOut = true;
    this.app.rt.x.lua_sethook(this.app.L, this.hookFn, LUA_MASKCOUNT, 1);
  }

  // ---- connections ----
  private onConnection(socket: net.Socket): void {
    if (this.shuttingDown) {
      socket.destroy();
      return;
    }
    const conn: Conn = {
      socket,
      parser: new RequestParser({ maxBodyBytes: this.opts.maxBodyBytes }),
      mark: 0,
      lastActivity: now(),
      requestStartedAt: 0,
      closing: false,
      busy: false,
    };
    this.conns.add(conn);
    conn.parser.onContinue = () => socket.write("HTTP/1.1 100 Continue\r\n\r\n");
    const onRequest = (req: ParsedRequest) => this.onRequest(conn, req);
    const onError = (e: HttpParseError) => this.onParseError(conn, e);
    socket.on("data", (chunk: Buffer) => {
      const t = now();
      conn.mark = t;
      conn.lastActivity = t;
      if (conn.closing) return;
      if (!conn.parser.inRequest) conn.requestStartedAt = t;
      conn.parser.execute(chunk, t, onRequest, onError);
    });
    socket.on("error", () => {
      // ECONNRESET and friends: the peer went away; nothing to answer.
    });
    socket.on("close", () => this.conns.delete(conn));
    socket.on("end", () => {
      // Half-close from the client: finish what we have, then close our side.
      if (!conn.busy) socket.end();
      conn.closing = true;
    });
  }

  private onParseError(conn: Conn, e: HttpParseError): void {
    this.unmatched.count(e.status);
    this.writeError(conn, e.status, e.code, e.message, false, null);
    conn.closing = true;
  }

  // The request pipeline. Each stage is its own method so a CPU profile attributes samples to stages
  // by function name (see STAGE_FUNCTIONS in the daemon's profile builder).
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
        this.answerStats(conn, keepAlive, head, /(^|&)reset=1(&|$)/.test(req.rawQuery));
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

  /** Stage "handler": the Lua call, under the watchdog, visible to the sampler. */
  private runHandler(routeKey: string): HandlerOutcome {
    const wd = this.watchdog;
    const sampler = this.sampler;
    if (sampler !== null) sampler.route = routeKey;
    if (wd !== null) wd.enter();
    const outcome = this.app.call();
    if (wd !== null) wd.leave();
    return outcome;
  }

  private handlerFailure(outcome: Exclude<HandlerOutcome, { ok: true }>, route: LuaRoute, routeKey: string): Failure {
    if (outcome.kind === "timeout") {
      this.logOnce("warn", "MS_ERR_LUA_TIMEOUT", `${routeKey}: ${outcome.message} (handler ${route.name} at ${route.file}:${route.line})`);
      return { status: 503, code: "MS_ERR_LUA_TIMEOUT", message: outcome.message };
    }
    if (outcome.kind === "memory") {
      this.logOnce("warn", "MS_ERR_LUA_MEMORY", `${routeKey}: ${outcome.message}`);
      return { status: 503, code: "MS_ERR_LUA_MEMORY", message: outcome.message };
    }
    this.logOnce("error", "MS_ERR_LUA_RUNTIME", `${routeKey}: ${outcome.traceback}`);
    return { status: 500, code: "MS_ERR_LUA_RUNTIME", message: outcome.message };
  }

  /** Stage "serialize": the handler's value read back, encoded, and the response head built. */
  private serialize(failure: Failure | null, routeKey: string, httpMinor: 0 | 1, keepAlive: boolean, head: boolean): { status: number; out: string; body: Buffer | null } {
    if (failure === null) {
      let result: HandlerResult;
      try {
        result = this.app.readResult();
      } catch (e) {
        const err = e as ServerError;
        failure = { status: 500, code: err.code ?? "MS_ERR_LUA_RESULT", message: err.message };
        this.logOnce("error", failure.code, `${routeKey}: ${err.message}`);
        return this.serialize(failure, routeKey, httpMinor, keepAlive, head);
      }
      const status = result.status;
      let extra = "";
      let contentType = CONTENT_TYPE[result.kind] ?? "";
      if (result.headers !== null) {
        const h = renderHeaders(result.headers);
        if ("error" in h) {
          this.logOnce("error", "MS_ERR_LUA_RESULT", `${routeKey}: ${h.error}`);
          return this.serialize({ status: 500, code: "MS_ERR_LUA_RESULT", message: h.error }, routeKey, httpMinor, keepAlive, head);
        }
        extra = h.text;
        if (h.hasContentType) contentType = "";
      }
      const connHeader = keepAlive ? (httpMinor === 0 ? CONN_KEEP_ALIVE : "") : CONN_CLOSE;
      const noBody = status === 204 || status === 304 || (status >= 100 && status < 200);
      if (typeof result.body === "string") {
        const len = Buffer.byteLength(result.body);
        return { status, out: statusLine(status) + contentType + "Content-Length: " + len + "\r\n" + currentDateLine() + connHeader + extra + "\r\n" + (head ? "" : result.body), body: null };
      }
      if (result.body !== null && !noBody) {
        return { status, out: statusLine(status) + contentType + "Content-Length: " + result.body.length + "\r\n" + currentDateLine() + connHeader + extra + "\r\n", body: head ? null : result.body };
      }
      return { status, out: statusLine(status) + (noBody ? "" : "Content-Length: 0\r\n") + currentDateLine() + connHeader + extra + "\r\n", body: null };
    }
    const errText = errorBody(failure.code, failure.message);
    const out = statusLine(failure.status) + CT_JSON + "Content-Length: " + Buffer.byteLength(errText) + "\r\n" + currentDateLine() + (keepAlive ? "" : CONN_CLOSE) + "\r\n" + (head ? "" : errText);
    return { status: failure.status, out, body: null };
  }

  /** Stage "write": the response handed to the socket (one write; head and body corked together). */
  private writeResponse(socket: net.Socket, out: string, body: Buffer | null): void {
    if (body === null) socket.write(out);
    else {
      socket.cork();
      socket.write(out, "latin1");
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
    }
  }

  private writeError(conn: Conn, status: number, code: string, message: string, keepAlive: boolean, extraHeaders: string | null, head = false): void {
    if (conn.socket.destroyed) return;
    const body = errorBody(code, message);
    conn.socket.write(
      statusLine(status) +
        CT_JSON +
        "Content-Length: " +
        Buffer.byteLength(body) +
        "\r\n" +
        currentDateLine() +
        (keepAlive ? "" : CONN_CLOSE) +
        (extraHeaders ?? "") +
        "\r\n" +
        (head ? "" : body),
    );
    if (!keepAlive) conn.socket.end();
  }

  private answerStats(conn: Conn, keepAlive: boolean, head: boolean, reset: boolean): void {
    conn.busy = true;
    conn.parser.pause();
    this.host.requestMergedStats(reset, (json) => {
      conn.busy = false;
      if (conn.socket.destroyed) return;
      conn.socket.write(
        statusLine(200) + CT_JSON + "Content-Length: " + Buffer.byteLength(json) + "\r\n" + currentDateLine() + (keepAlive ? "" : CONN_CLOSE) + "Cache-Control: no-store\r\n\r\n" + (head ? "" : json),
      );
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
      if (c.parser.inRequest) {
        if (c.requestStartedAt !== 0 && t - c.requestStartedAt > this.opts.requestTimeoutMs) {
          this.unmatched.count(408);
          this.writeError(c, 408, HTTP_ERROR_CODES.REQUEST_TIMEOUT, `the request was not received completely within ${this.opts.requestTimeoutMs} ms`, false, null);
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
    const totalCpu = process.cpuUsage();
    const cpu = process.cpuUsage(this.cpuAt);
    const wall = now() - this.cpuWallAt;
    const eld = new LogHistogram();
    const pct = this.eld.percentiles;
    let prev = 0;
    const count = (this.eld as unknown as { count?: number }).count ?? 0;
    for (const [p, v] of pct) {
      if (count > 0) eld.recordN(v, Math.round(((p - prev) / 100) * count));
      prev = p;
    }
    const resources: WorkerResources = {
      worker: this.opts.worker,
      pid: process.pid,
      cpuPercent: wall > 0 ? ((cpu.user + cpu.system) / 1000 / wall) * 100 : 0,
      cpuUserMs: totalCpu.user / 1000,
      cpuSystemMs: totalCpu.system / 1000,
      rssBytes: process.memoryUsage.rss(),
      luaHeapBytes: this.app.rt.heapBytes,
      eventLoopDelay: eld.toJSON(),
      gcPause: this.gc.toJSON(),
      connections: this.conns.size,
      uptimeMs: now() - this.startedAt,
    };
    this.cpuAt = process.cpuUsage();
    this.cpuWallAt = now();
    if (reset) {
      for (const s of this.stats.values()) s.reset();
      this.unmatched.reset();
      this.eld.reset();
      this.gc.reset();
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
        if (!c.parser.inRequest && !c.busy) c.socket.end();
      }
    });
    clearInterval(this.sweepTimer);
    this.eld.disable();
    this.gcObserver?.disconnect();
    if (this.watchdog) await Promise.race([this.watchdog.stop(), new Promise((r) => setTimeout(r, 1000).unref())]);
  }

  private logOnce(level: "info" | "warn" | "error", code: string, message: string): void {
    const key = code + message.split("\n")[0];
    const t = now();
    const seen = this.logDedup.get(key);
    if (seen && t - seen.at < 5000) {
      seen.suppressed++;
      return;
    }
    const suffix = seen && seen.suppressed > 0 ? ` (and ${seen.suppressed} more like it in the last 5 s)` : "";
    this.logDedup.set(key, { at: t, suppressed: 0 });
    if (this.logDedup.size > 1000) this.logDedup.clear();
    this.host.log(level, code, message + suffix);
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

/**
 * Profiler.start with a full GC just before it. V8 (Node 20's 11.3) can deadlock here: starting
 * the CPU profiler logs every compiled function, computing script line ends allocates, and a
 * mark-compact GC triggered by that allocation waits on a lock the logging holds (seen with gdb:
 * CpuProfiler::EnableLogging → LogCompiledFunctions → Script::InitLineEnds → Heap::MarkCompact →
 * pthread_mutex_lock, forever). A fresh GC leaves room, so that allocation rarely needs one.
 */
async function startCpuProfiler(post: (method: string, params?: object) => Promise<unknown>): Promise<void> {
  await post("HeapProfiler.collectGarbage");
  await post("Profiler.start");
}
