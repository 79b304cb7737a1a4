// Runs the fixed-rate generator (open-loop-main.ts, bundled as dist/daemon/open-loop.js) in its own process.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { sampleCpu } from "./proc-cpu";
import { abortedResult, type LoadOptions, type LoadResult } from "./types";

const MARK = "MOONSCOPE_OPENLOOP ";

function script(): string {
  const candidates = [path.resolve(__dirname, "..", "daemon", "open-loop.js"), path.resolve(__dirname, "..", "..", "dist", "daemon", "open-loop.js")];
  const found = candidates.find((p) => existsSync(p));
  if (!found) throw Object.assign(new Error("the fixed-rate generator bundle is missing; run `npm run build`"), { code: "MS_ERR_LOAD_MISSING" });
  return found;
}

export async function runOpenLoop(opts: LoadOptions, signal?: AbortSignal): Promise<LoadResult> {
  if (!opts.rate) throw Object.assign(new Error("the fixed-rate generator needs --rate"), { code: "MS_ERR_USAGE" });
  const child = spawn(process.execPath, [script()], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, MOONSCOPE_LOAD: JSON.stringify(opts) } });
  const spawnedAt = performance.now();
  const cpu = sampleCpu(child.pid!, 200, 100);
  const onAbort = () => child.kill("SIGINT");
  signal?.addEventListener("abort", onAbort);
  let out = "";
  let err = "";
  child.stdout.on("data", (d) => (out += d));
  child.stderr.on("data", (d) => (err += d));
  const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
  signal?.removeEventListener("abort", onAbort);
  const cpuPercent = cpu.stop();
  const line = out.split("\n").find((l) => l.startsWith(MARK));
  if (!line && signal?.aborted) return abortedResult("open-loop", performance.now() - spawnedAt, cpuPercent);
  if (!line) throw Object.assign(new Error(`the fixed-rate generator failed (exit ${code}): ${err.trim().split("\n").slice(-3).join(" ")}`), { code: "MS_ERR_LOAD_FAILED" });
  const r = JSON.parse(line.slice(MARK.length));
  const warnings: string[] = [];
  if (r.behind > 0) warnings.push(`${r.behind} scheduled requests never got a connection: the server (or ${opts.connections} connections) could not keep up with ${opts.rate} req/s`);
  return {
    generator: "open-loop",
    requests: r.requests,
    durationMs: r.durationMs,
    rps: r.requests / (r.durationMs / 1000),
    bytesPerSec: 0,
    latencyUs: r.latencyUs,
    non2xx: r.non2xx,
    errors: r.errors,
    cpuPercent,
    warnings,
  };
}
