// Load with autocannon, run in its own process so it never shares an event loop with the session
// that measures (it needs a whole core at high rates on this machine).
import { runGeneratorProcess } from "./generator-process";
import type { LoadOptions, LoadResult } from "./types";

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
  return runGeneratorProcess<AutocannonReport>(
    { name: "autocannon", command: process.execPath, args: ["-e", CHILD], env: { MOONSCOPE_AUTOCANNON_PATH: modPath, MOONSCOPE_LOAD: JSON.stringify(opts) }, mark: MARK },
    signal,
    (r, cpuPercent) => {
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
    },
  );
}

// The fields of autocannon's result object that are read here (latencies in ms).
interface AutocannonReport {
  duration: number;
  requests: { total: number };
  throughput: { average: number };
  latency: Record<string, number>;
  non2xx: number;
  errors: number;
  timeouts: number;
}
