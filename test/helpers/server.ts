// Starts `moonscope serve` as a real child process on port 0 and waits for its ready message over IPC.
import { fork, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { FromMaster, StatsSnapshot, ToMaster } from "../../server-core/ipc";
import { findWrk } from "../../daemon/load/wrk";

export const ROOT = path.resolve(__dirname, "..", "..");
export const BIN = path.join(ROOT, "bin", "moonscope.js");

/** The closed-loop generators installed here: autocannon always (a dependency), wrk where apt put it. */
export function closedLoopGenerators(): ("wrk" | "autocannon")[] {
  return findWrk() ? ["wrk", "autocannon"] : ["autocannon"];
}

export interface RunningServer {
  port: number;
  pids: number[];
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  /** Resolves when a line matching re appears on stderr or stdout. */
  waitForOutput(re: RegExp, timeoutMs?: number): Promise<string>;
  stats(reset?: boolean): Promise<StatsSnapshot>;
  /** Waits for the next IPC message matching pred. */
  waitForMessage(pred: (m: FromMaster) => boolean, timeoutMs?: number): Promise<FromMaster>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

const running = new Set<ChildProcess>();
process.on("exit", () => {
  for (const c of running) killGroup(c);
});

export function killGroup(c: ChildProcess, sig: NodeJS.Signals = "SIGKILL"): void {
  if (c.pid && c.exitCode === null && c.signalCode === null) {
    try {
      process.kill(-c.pid, sig);
    } catch {
      /* already gone */
    }
  }
}

/** Writes a Lua app into a fresh temp folder and returns its path. */
export function writeApp(source: string, name = "app.lua"): string {
  const dir = mkdtempSync(path.join(tmpdir(), "moonscope-test-"));
  const file = path.join(dir, name);
  writeFileSync(file, source);
  return file;
}

/** Writes an app of several files (paths relative to its folder, e.g. "lib/util.lua") into a fresh temp folder; returns the entry's path. */
export function writeAppTree(files: Record<string, string>, entry = "app.lua"): string {
  const dir = mkdtempSync(path.join(tmpdir(), "moonscope-test-"));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), text);
  }
  return path.join(dir, entry);
}

export function startServer(appFile: string, args: string[] = [], opts: { env?: NodeJS.ProcessEnv } = {}): Promise<RunningServer> {
  return startProcess(["serve", appFile, "--port", "0", "--workers", "1", ...args], opts).then((p) => p.ready);
}

export interface StartedProcess {
  child: ChildProcess;
  ready: Promise<RunningServer>;
  exited: Promise<{ code: number | null; stdout: string; stderr: string }>;
}

export function startProcess(argv: string[], opts: { env?: NodeJS.ProcessEnv } = {}): Promise<StartedProcess> {
  const child = fork(BIN, argv, { execArgv: [], detached: true, stdio: ["ignore", "pipe", "pipe", "ipc"], cwd: ROOT, env: opts.env ?? process.env });
  running.add(child);
  let out = "";
  let err = "";
  const outputWaiters: { re: RegExp; resolve: (s: string) => void }[] = [];
  const checkOutput = () => {
    for (const w of [...outputWaiters]) {
      const m = (out + "\n" + err).split("\n").find((l) => w.re.test(l));
      if (m !== undefined) {
        outputWaiters.splice(outputWaiters.indexOf(w), 1);
        w.resolve(m);
      }
    }
  };
  child.stdout!.on("data", (d) => {
    out += d;
    checkOutput();
  });
  child.stderr!.on("data", (d) => {
    err += d;
    checkOutput();
  });
  const messages: FromMaster[] = [];
  const msgWaiters: { pred: (m: FromMaster) => boolean; resolve: (m: FromMaster) => void }[] = [];
  child.on("message", (m: FromMaster) => {
    messages.push(m);
    for (const w of [...msgWaiters]) {
      if (w.pred(m)) {
        msgWaiters.splice(msgWaiters.indexOf(w), 1);
        w.resolve(m);
      }
    }
  });
  const exited = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    child.on("exit", (code) => {
      running.delete(child);
      resolve({ code, stdout: out, stderr: err });
    });
  });
  const waitForMessage = (pred: (m: FromMaster) => boolean, timeoutMs = 15000) =>
    new Promise<FromMaster>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no matching IPC message within ${timeoutMs} ms; stderr: ${err}`)), timeoutMs);
      t.unref();
      msgWaiters.push({
        pred,
        resolve: (m) => {
          clearTimeout(t);
          resolve(m);
        },
      });
    });
  let statsSeq = 0;
  const ready = new Promise<RunningServer>((resolve, reject) => {
    const onExit = (r: { code: number | null; stderr: string }) => reject(new Error(`server exited (${r.code}) before ready: ${r.stderr}`));
    void exited.then(onExit);
    waitForMessage((m) => m.type === "ready" || m.type === "start-error", 30000).then((m) => {
      if (m.type === "start-error") return reject(Object.assign(new Error(m.message), { code: m.code }));
      if (m.type !== "ready") return;
      resolve({
        port: m.port,
        pids: m.pids,
        child,
        stdout: () => out,
        stderr: () => err,
        waitForOutput: (re, timeoutMs = 10000) =>
          new Promise<string>((res, rej) => {
            const t = setTimeout(() => rej(new Error(`no output matching ${re} within ${timeoutMs} ms; got:\n${out}\n${err}`)), timeoutMs);
            outputWaiters.push({
              re,
              resolve: (s) => {
                clearTimeout(t);
                res(s);
              },
            });
            checkOutput();
          }),
        stats(reset = false) {
          const id = ++statsSeq;
          child.send({ type: "stats", id, reset } satisfies ToMaster);
          return waitForMessage((x) => x.type === "stats" && x.id === id).then((x) => (x as { snapshot: StatsSnapshot }).snapshot);
        },
        waitForMessage,
        async stop(signal: NodeJS.Signals = "SIGTERM") {
          if (child.exitCode !== null) return child.exitCode;
          child.kill(signal);
          const r = await exited;
          return r.code;
        },
      });
    }, reject);
  });
  // Callers that only wait for the exit never look at ready; keep its rejection from going unhandled.
  ready.catch(() => {});
  return Promise.resolve({ child, ready, exited });
}

/** True while a process with this pid exists. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
