// What every load generator run shares: a child process, its CPU sampled from /proc, Ctrl-C passed
// on as SIGINT, and one marked line of JSON on stdout as its report.
import { spawn, type ChildProcess } from "node:child_process";
import { sampleCpu } from "./proc-cpu";
import { abortedResult, CONNECTED_MARK, type LoadGeneratorName, type LoadResult, type OnRelease } from "./types";

export interface GeneratorRun {
  name: LoadGeneratorName;
  command: string;
  args: string[];
  env?: Record<string, string>;
  /** Prefix of the stdout line that carries the JSON report. */
  mark: string;
  /** Start-up time left out of the CPU figure. */
  cpuSkipMs?: number;
}

/**
 * A watcher that kills pid once this process is gone, however it ends (SIGKILL included): a shell
 * reading a pipe from us, which reads end-of-file when we die. Without it a killed `moonscope
 * profile` left wrk loading the port until its --duration ran out. Killed when the generator exits.
 */
function tieToThisProcess(pid: number | undefined): ChildProcess | null {
  if (pid === undefined) return null;
  const watcher = spawn("/bin/sh", ["-c", 'while read -r _; do :; done; kill -TERM "$0" 2>/dev/null', String(pid)], { stdio: ["pipe", "ignore", "ignore"] });
  watcher.on("error", () => {});
  watcher.stdin.on("error", () => {});
  watcher.unref();
  return watcher;
}

/** Runs the generator; returns its parsed report and CPU%, or the aborted result when it was stopped before reporting. */
export async function runGeneratorProcess<T>(g: GeneratorRun, signal: AbortSignal | undefined, toResult: (report: T, cpuPercent: number) => LoadResult, onRelease?: OnRelease): Promise<LoadResult> {
  const child = spawn(g.command, g.args, { stdio: ["ignore", "pipe", "pipe"], env: g.env ? { ...process.env, ...g.env } : process.env });
  const tie = tieToThisProcess(child.pid);
  child.on("exit", () => tie?.kill());
  const spawnedAt = performance.now();
  const cpu = sampleCpu(child.pid!, 200, g.cpuSkipMs ?? 500);
  const onAbort = () => child.kill("SIGINT");
  signal?.addEventListener("abort", onAbort);
  let out = "";
  let err = "";
  let released = false;
  child.stdout.on("data", (d) => {
    out += d;
    if (released) return;
    const at = out.indexOf(CONNECTED_MARK);
    const end = at < 0 ? -1 : out.indexOf("\n", at);
    if (end < 0) return;
    released = true;
    const releaseInMs = Number(/"releaseInMs":\s*([\d.]+)/.exec(out.slice(at, end))?.[1]);
    if (!Number.isFinite(releaseInMs)) return;
    const releaseAt = performance.now() + releaseInMs;
    cpu.from(releaseAt);
    onRelease?.(releaseAt);
  });
  child.stderr.on("data", (d) => (err += d));
  const code = await new Promise<number | null>((resolve) => {
    child.on("close", resolve);
    child.on("error", () => resolve(null));
  });
  signal?.removeEventListener("abort", onAbort);
  const cpuPercent = cpu.stop();
  const line = out.split("\n").find((l) => l.startsWith(g.mark));
  if (!line && signal?.aborted) return abortedResult(g.name, performance.now() - spawnedAt, cpuPercent);
  if (!line) {
    throw Object.assign(new Error(`${g.name} failed (exit ${code}): ${(err || out).trim().split("\n").slice(-3).join(" ")}`), { code: "MS_ERR_LOAD_FAILED" });
  }
  return toResult(JSON.parse(line.slice(g.mark.length)) as T, cpuPercent);
}
