// Load with autocannon, run in its own process so it never shares an event loop with the session
// that measures (it needs a whole core at high rates on this machine).
import { spawn } from "node:child_process";
import { sampleCpu } from "./proc-cpu";
import { abortedResult, type LoadOptions, type LoadResult } from "./types";

const MARK = "MOONSCOPE_AUTOCANNON ";

const CHILD = String.raw`
const autocannon = require(process.env.MOONSCOPE_AUTOCANNON_PATH);
const o = JSON.parse(process.env.MOONSCOPE_LOAD);
const inst = autocannon({
  url: o.url, method: o.method || "GET", body: o.body, headers: o.headers,
  connections: o.connections, duration: o.durationMs / 1000,
  timeout: 10, pipelining: 1,
}, (err, r) => {
  if (err) { process.stderr.write(String(err && err.message || err) + "\n"); process.exit(1); }
  process.stdout.write("${MARK}" + JSON.stringify(r) + "\n");
  process.exit(0);
});
process.on("SIGINT", () => inst.stop());
`;

export function autocannonPath(): string | null {
  try {
    return require.resolve("autocannon");
  } catch {
    return null;
  }
}

export async function runAutocannon(opts: LoadOptions, signal?: AbortSignal): Promise<LoadResult> {
  const modPath = autocannonPath();
  if (!modPath) throw Object.assign(new Error("autocannon is not installed; run npm install in the Moonscope folder"), { code: "MS_ERR_LOAD_MISSING" });
  const child = spawn(process.execPath, ["-e", CHILD], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, MOONSCOPE_AUTOCANNON_PATH: modPath, MOONSCOPE_LOAD: JSON.stringify(opts) },
  });
  const spawnedAt = performance.now();
  const cpu = sampleCpu(child.pid!);
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
  if (!line && signal?.aborted) return abortedResult("autocannon", performance.now() - spawnedAt, cpuPercent);
  if (!line) throw Object.assign(new Error(`autocannon failed (exit ${code}): ${err.trim().split("\n").slice(-3).join(" ")}`), { code: "MS_ERR_LOAD_FAILED" });
  const r = JSON.parse(line.slice(MARK.length));
  const durationMs = r.duration * 1000;
  const l = r.latency;
  // autocannon reports latency in ms
  const us = (v: number | undefined) => Math.round((v ?? 0) * 1000);
  return {
    generator: "autocannon",
    requests: r.requests.total,
    durationMs,
    rps: r.requests.total / r.duration,
    bytesPerSec: r.throughput.average,
    latencyUs: { min: us(l.min), mean: us(l.mean ?? l.average), p50: us(l.p50), p90: us(l.p90), p99: us(l.p99), p999: us(l.p99_9), max: us(l.max) },
    non2xx: r.non2xx,
    errors: r.errors + r.timeouts,
    cpuPercent,
  };
}
