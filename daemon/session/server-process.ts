// `moonscope serve` as a child process in its own process group, driven over its IPC channel.
// Killing the group at the end guarantees no worker outlives a session, whatever happened.
import { fork, type ChildProcess } from "node:child_process";
import path from "node:path";
import type { FromMaster, ProfileStartOptions, RouteInfo, StatsSnapshot, ToMaster } from "../../server-core/ipc";
import { killProcessGroup } from "./process-group";
import type { ProfiledTarget, ProfileHandIn } from "./profiled-target";
import { asErrorCode, MoonscopeError } from "../../profile/errors";

export interface ServerStartOptions {
  appFile: string;
  workers: number;
  port?: number;
  stages?: boolean;
  /** --lua-path for the app's require. */
  luaPath?: string;
  extraArgs?: string[];
  /** Where the moonscope CLI bundle is (dist/cli/moonscope.js). */
  cliPath?: string;
  startTimeoutMs?: number;
  onLog?: (line: string) => void;
}

export function defaultCliPath(): string {
  // Bundled code lives in dist/<folder>/; the CLI bundle is dist/cli/moonscope.js.
  return path.resolve(__dirname, "..", "cli", "moonscope.js");
}

export class ServerProcess implements ProfiledTarget {
  readonly child: ChildProcess;
  port = 0;
  pids: number[] = [];
  routes: RouteInfo[] = [];
  private seq = 0;
  private readonly waiters: { pred: (m: FromMaster) => boolean; resolve: (m: FromMaster) => void }[] = [];
  private stderrTail = "";
  private exited: Promise<number | null>;
  exitCode: number | null | undefined = undefined;

  private constructor(child: ChildProcess, onLog?: (line: string) => void) {
    this.child = child;
    const take = (d: Buffer) => {
      const s = d.toString();
      this.stderrTail = (this.stderrTail + s).slice(-4000);
      if (onLog) for (const line of s.split("\n")) if (line.trim()) onLog(line);
    };
    child.stdout?.on("data", take);
    child.stderr?.on("data", take);
    child.on("message", (m: FromMaster) => {
      for (const w of [...this.waiters]) {
        if (w.pred(m)) {
          this.waiters.splice(this.waiters.indexOf(w), 1);
          w.resolve(m);
        }
      }
    });
    this.exited = new Promise((resolve) =>
      child.on("exit", (code, signal) => {
        this.exitCode = code ?? (signal ? 128 : null);
        resolve(code);
      }),
    );
  }

  static async start(o: ServerStartOptions): Promise<ServerProcess> {
    const args = ["serve", o.appFile, "--port", String(o.port ?? 0), "--workers", String(o.workers), ...(o.stages === false ? ["--no-stages"] : []), ...(o.luaPath ? ["--lua-path", o.luaPath] : []), ...(o.extraArgs ?? [])];
    const child = fork(o.cliPath ?? defaultCliPath(), args, { execArgv: [], detached: true, stdio: ["ignore", "pipe", "pipe", "ipc"] });
    const sp = new ServerProcess(child, o.onLog);
    const timeoutMs = o.startTimeoutMs ?? 30_000;
    const first = await Promise.race([
      sp.waitFor((m) => m.type === "ready" || m.type === "start-error", timeoutMs),
      sp.exited.then((code) => ({ type: "exit", code }) as const),
    ]);
    if (first.type === "ready") {
      sp.port = first.port;
      sp.pids = first.pids;
      sp.routes = first.routes;
      return sp;
    }
    sp.kill();
    if (first.type === "start-error") throw new MoonscopeError(asErrorCode(first.code, "MS_ERR_APP_START"), first.message);
    if (first.type === "exit") throw new MoonscopeError("MS_ERR_APP_START", `the app server exited (code ${first.code}) before it was ready: ${sp.stderrTail.trim().split("\n").slice(-3).join(" ")}`);
    throw new MoonscopeError("MS_ERR_APP_START", `the app server did not become ready within ${timeoutMs} ms`);
  }

  get alive(): boolean {
    return this.exitCode === undefined;
  }

  get lastOutput(): string {
    return this.stderrTail;
  }

  private waitFor(pred: (m: FromMaster) => boolean, timeoutMs: number): Promise<FromMaster> {
    return new Promise((resolve, reject) => {
      const w = {
        pred,
        resolve: (m: FromMaster) => {
          clearTimeout(t);
          resolve(m);
        },
      };
      const t = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        reject(new MoonscopeError("MS_ERR_APP_TIMEOUT", `the app server did not answer within ${timeoutMs} ms`));
      }, timeoutMs);
      t.unref();
      this.waiters.push(w);
    });
  }

  private request<T extends FromMaster["type"]>(msg: ToMaster, type: T, timeoutMs: number): Promise<Extract<FromMaster, { type: T }>> {
    if (!this.alive || !this.child.connected) return Promise.reject(new MoonscopeError("MS_ERR_APP_CRASHED", `the app server is not running: ${this.lastOutput.trim().split("\n").slice(-2).join(" ")}`));
    const id = (msg as { id: number }).id;
    const p = this.waitFor((m) => m.type === type && (m as { id?: number }).id === id, timeoutMs) as Promise<Extract<FromMaster, { type: T }>>;
    this.child.send(msg);
    return Promise.race([
      p,
      this.exited.then(() => {
        throw new MoonscopeError("MS_ERR_APP_CRASHED", `the app server exited during the session: ${this.lastOutput.trim().split("\n").slice(-3).join(" ")}`);
      }),
    ]);
  }

  async stats(reset = false): Promise<StatsSnapshot> {
    const m = await this.request({ type: "stats", id: ++this.seq, reset }, "stats", 5000);
    return m.snapshot;
  }

  async startProfiling(o: ProfileStartOptions): Promise<{ workers: number[]; errors: string[] }> {
    const m = await this.request({ type: "profile-start", id: ++this.seq, ...o }, "profile-started", 15_000);
    return { workers: m.workers, errors: m.errors };
  }

  /** What the profilers saw since the last rotation; they keep running. */
  async rotateProfiling(): Promise<ProfileHandIn> {
    const m = await this.request({ type: "profile-stop", id: ++this.seq, rotate: true }, "profiles", 8000);
    return { profiles: m.profiles, missing: m.missing, warnings: [] };
  }

  async stopProfiling(): Promise<ProfileHandIn> {
    const m = await this.request({ type: "profile-stop", id: ++this.seq }, "profiles", 60_000);
    return { profiles: m.profiles, missing: m.missing, warnings: [] };
  }

  /** Graceful stop over IPC, then SIGKILL to the whole group after graceMs: nothing survives. */
  async stop(graceMs = 5000): Promise<void> {
    if (this.alive && this.child.connected) this.child.send({ type: "shutdown" } satisfies ToMaster);
    else if (this.alive) this.child.kill("SIGTERM");
    const t = setTimeout(() => this.kill(), graceMs);
    t.unref();
    await this.exited;
    clearTimeout(t);
    this.kill();
  }

  /** SIGKILL to the process group (the master and every worker). */
  kill(): void {
    killProcessGroup(this.child.pid);
  }

}
