// Load with autocannon, run in its own process (autocannon-main.ts, bundled with autocannon as
// dist/daemon/autocannon.js) so it never shares an event loop with the session that measures.
import { bundledScript } from "./bundled";
import { runGeneratorProcess } from "./generator-process";
import { REPORT_MARK, type LoadOptions, type LoadResult } from "./types";

export async function runAutocannon(opts: LoadOptions, signal?: AbortSignal): Promise<LoadResult> {
  return runGeneratorProcess<AutocannonReport>(
    { name: "autocannon", command: process.execPath, args: [bundledScript("autocannon", "the autocannon load generator")], env: { MOONSCOPE_LOAD: JSON.stringify(opts) }, mark: REPORT_MARK.autocannon },
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
