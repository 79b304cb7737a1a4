// Load with autocannon, run in its own process (autocannon-main.ts, bundled with autocannon as
// dist/daemon/autocannon.js) so it never shares an event loop with the session that measures.
import { bundledScript } from "./bundled";
import { runGeneratorProcess } from "./generator-process";
import { REPORT_MARK, wholeSecondSettle, type LoadOptions, type LoadResult, type OnRelease } from "./types";

export async function runAutocannon(opts: LoadOptions, signal?: AbortSignal, onRelease?: OnRelease): Promise<LoadResult> {
  return runGeneratorProcess<AutocannonReport>(
    { name: "autocannon", command: process.execPath, args: [bundledScript("autocannon", "the autocannon load generator")], env: { MOONSCOPE_LOAD: JSON.stringify(opts) }, mark: REPORT_MARK.autocannon },
    signal,
    (r, cpuPercent) => {
      // Its duration counts the settling too (when nothing was sent).
      const durationMs = Math.max(1, r.duration * 1000 - wholeSecondSettle(opts));
      const l = r.latency;
      // autocannon reports latency in ms
      const us = (v: number | undefined) => Math.round((v ?? 0) * 1000);
      return {
        generator: "autocannon",
        requests: r.requests.total,
        durationMs,
        rps: r.requests.total / (durationMs / 1000),
        bytesPerSec: r.throughput.total / (durationMs / 1000),
        latencyUs: { min: us(l.min), mean: us(l.mean ?? l.average), p50: us(l.p50), p90: us(l.p90), p99: us(l.p99), p999: us(l.p99_9), max: us(l.max) },
        non2xx: r.non2xx,
        errors: r.errors + r.timeouts,
        cpuPercent,
      };
    },
    onRelease,
  );
}

// The fields of autocannon's result object that are read here (latencies in ms).
interface AutocannonReport {
  duration: number;
  requests: { total: number };
  throughput: { total: number };
  latency: Record<string, number>;
  non2xx: number;
  errors: number;
  timeouts: number;
}
