// The app run under an outside profiler (0x, Clinic.js) as one process with no cluster: both tools
// refuse clustered processes. The tool owns the process, so there is no IPC: readiness and the pid
// come from the server's "serving" line, statistics from its /__moonscope/stats endpoint, and the Lua
// samples from a file the server writes when it exits.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import http from "node:http";
import path from "node:path";
import type { RouteInfo, StatsSnapshot, LuaProfileData } from "../../server-core/ipc";
import { killProcessGroup } from "./process-group";
import type { ProfiledTarget, ProfileHandIn } from "./profiled-target";
import { defaultCliPath } from "./server-process";
import { asErrorCode, MoonscopeError } from "../../profile/errors";

export interface ToolLaunch {
  /** The tool's command line up to (not including) the node command it profiles. */
  command: string[];
  env?: Record<string, string>;
  cwd: string;
}

export interface ToolProcessOptions {
  appFile: string;
  luaIntervalMs: number;
  /** --lua-path for the app's require. */
  luaPath?: string;
  luaSamplesFile: string;
  cliPath?: string;
  launch: ToolLaunch;
  /** A name for messages ("0x", "clinic doctor"). */
  tool: string;
  /**
   * Reads back the stacks the tool wrote (the app's main thread as a .cpuprofile), null when it left
   * none to import; null instead of a reader for a tool that records no stacks.
   */
  readStacks: (() => unknown) | null;
  /** How long the tool may take to write its report once the app has stopped. */
  reportTimeoutMs: number;
  startTimeoutMs?: number;
  onLog?: (line: string) => void;
}

const SERVING = /at http:\/\/127\.0\.0\.1:(\d+) in a single process \(pid (\d+)/;
const ROUTE_LINE = /^\s{2}([A-Z]+) (\S+)\s+(\S+)\s+\((.*):(\d+)\)\s*$/;

export class ToolProcess implements ProfiledTarget {
  readonly child: ChildProcess;
  readonly tool: string;
  port = 0;
  /** The profiled node process (signals go to it, never to the tool: 0x hangs otherwise). */
  appPid = 0;
  routes: RouteInfo[] = [];
  private output = "";
  private readonly exited: Promise<number | null>;
  exitCode: number | null | undefined = undefined;
  private readonly luaSamplesFile: string;
  private readonly readStacks: (() => unknown) | null;
  private readonly reportTimeoutMs: number;

  private constructor(child: ChildProcess, o: ToolProcessOptions) {
    this.child = child;
    this.tool = o.tool;
    this.luaSamplesFile = o.luaSamplesFile;
    this.readStacks = o.readStacks;
    this.reportTimeoutMs = o.reportTimeoutMs;
    const take = (d: Buffer) => {
      const s = d.toString();
      this.output = (this.output + s).slice(-20000);
      if (o.onLog) for (const line of s.split("\n")) if (line.trim()) o.onLog(line);
    };
    child.stdout?.on("data", take);
    child.stderr?.on("data", take);
    this.exited = new Promise((resolve) =>
      child.on("exit", (code, signal) => {
        this.exitCode = code ?? (signal ? 128 : null);
        resolve(code);
      }),
    );
  }

  static async start(o: ToolProcessOptions): Promise<ToolProcess> {
    const cli = o.cliPath ?? defaultCliPath();
    const app = [process.execPath, cli, "serve", path.resolve(o.appFile), "--single", "--port", "0", "--stats", "--lua-interval", String(o.luaIntervalMs), "--lua-samples", o.luaSamplesFile, ...(o.luaPath ? ["--lua-path", o.luaPath] : [])];
    const [cmd, ...args] = [...o.launch.command, ...app];
    const child = spawn(cmd, args, { cwd: o.launch.cwd, detached: true, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...o.launch.env } });
    const tp = new ToolProcess(child, o);
    const timeoutMs = o.startTimeoutMs ?? 60_000;
    const ready = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      const check = () => {
        const m = SERVING.exec(tp.output);
        // The route lines come between the serving line and this one.
        if (m && /Press Ctrl-C to stop\./.test(tp.output)) {
          tp.port = Number(m[1]);
          tp.appPid = Number(m[2]);
          tp.routes = tp.output
            .split("\n")
            .map((l) => ROUTE_LINE.exec(l))
            .filter((x): x is RegExpExecArray => x !== null)
            .map((x) => ({ method: x[1], path: x[2], name: x[3], file: x[4], line: Number(x[5]) }));
          clearTimeout(timer);
          resolve(true);
        }
      };
      child.stdout?.on("data", check);
      child.stderr?.on("data", check);
      void tp.exited.then(() => {
        clearTimeout(timer);
        resolve(false);
      });
    });
    if (!ready) {
      tp.kill();
      const tail = tp.output.trim().split("\n").slice(-4).join(" | ");
      const load = /MS_ERR_[A-Z_]+: .*/.exec(tp.output);
      if (load) throw new MoonscopeError(asErrorCode(load[0].split(":")[0], "MS_ERR_PROFILER_FAILED"), load[0].slice(load[0].indexOf(":") + 2));
      throw new MoonscopeError("MS_ERR_PROFILER_FAILED", `${o.tool} did not start the app${tp.exitCode !== undefined ? ` (it exited with code ${tp.exitCode})` : ` within ${timeoutMs / 1000} s`}: ${tail}`);
    }
    return tp;
  }

  get alive(): boolean {
    return this.exitCode === undefined;
  }

  get lastOutput(): string {
    return this.output;
  }

  stats(reset = false): Promise<StatsSnapshot> {
    return new Promise((resolve, reject) => {
      const req = http.get({ host: "127.0.0.1", port: this.port, path: `/__moonscope/stats${reset ? "?reset=1" : ""}`, agent: false }, (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (d) => (body += d));
        res.on("end", () => {
          try {
            resolve(JSON.parse(body) as StatsSnapshot);
          } catch {
            reject(new MoonscopeError("MS_ERR_APP_CRASHED", `the app's statistics could not be read (HTTP ${res.statusCode})`));
          }
        });
      });
      req.setTimeout(5000, () => req.destroy(new Error("timeout")));
      req.on("error", (e) => reject(new MoonscopeError("MS_ERR_APP_CRASHED", `the app under ${this.tool} stopped answering: ${e.message}`)));
    });
  }

  /** The profilers run from the start of the process (their intervals were set then); nothing to switch on. */
  async startProfiling(): Promise<{ workers: number[]; errors: string[] }> {
    return { workers: [1], errors: [] };
  }

  /**
   * The tool writes what it saw only when the profiled process ends, so stopping the profilers ends
   * the app. There are no rotations: nothing can be handed in before that.
   */
  async stopProfiling(): Promise<ProfileHandIn> {
    const { lua } = await this.finish(this.reportTimeoutMs);
    const cpuprofile = this.readStacks ? this.readStacks() : null;
    const warnings: string[] = [];
    if (this.readStacks && cpuprofile === null) {
      warnings.push(`${this.tool} left no stacks of the app's main thread to import (it can pick a helper thread's); its own report is kept, and the flamegraph here is built from the Lua samples alone`);
    }
    return { profiles: [{ worker: 1, pid: this.appPid, cpuprofile, lua }], missing: [], warnings };
  }

  /**
   * Ends the profiled process with SIGINT (to the app, not the tool) and waits for the tool to write
   * its report; stopProfiling turns the tool's data into a profile.
   */
  private async finish(timeoutMs: number): Promise<{ lua: LuaProfileData | null }> {
    try {
      process.kill(this.appPid, "SIGINT");
    } catch {
      /* already gone */
    }
    const done = await Promise.race([this.exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), timeoutMs).unref())]);
    if (!done) {
      this.kill();
      throw new MoonscopeError("MS_ERR_PROFILER_HUNG", `${this.tool} did not finish its report within ${timeoutMs / 1000} s after the app stopped; it was killed. Its last output: ${this.output.trim().split("\n").slice(-2).join(" | ")}`);
    }
    let lua: LuaProfileData | null = null;
    if (existsSync(this.luaSamplesFile)) {
      try {
        lua = JSON.parse(readFileSync(this.luaSamplesFile, "utf8")) as LuaProfileData;
      } catch {
        lua = null;
      }
    }
    return { lua };
  }

  async stop(graceMs = 5000): Promise<void> {
    if (!this.alive) return this.kill();
    try {
      process.kill(this.appPid, "SIGINT");
    } catch {
      /* gone */
    }
    await Promise.race([this.exited, new Promise((r) => setTimeout(r, graceMs).unref())]);
    this.kill();
  }

  /** SIGKILL to the tool's whole process group. */
  kill(): void {
    killProcessGroup(this.child.pid);
  }

}
