// Load with wrk (the lighter generator on a 2-core machine); results read from a Lua `done` hook.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { runGeneratorProcess } from "./generator-process";
import { CONNECTED_MARK, REPORT_MARK, wholeSecondSettle, type LoadOptions, type LoadResult, type OnRelease } from "./types";

let cachedPath: string | null | undefined;
/** Path of wrk when installed, else null. */
export function findWrk(): string | null {
  if (cachedPath !== undefined) return cachedPath;
  const r = spawnSync("sh", ["-c", "command -v wrk"], { encoding: "utf8" });
  cachedPath = r.status === 0 && r.stdout.trim() ? r.stdout.trim() : null;
  return cachedPath;
}

const MARK = REPORT_MARK.wrk;

function script(opts: LoadOptions, threads: number, settleMs: number): string {
  const lines: string[] = [];
  lines.push(`wrk.method = ${JSON.stringify(opts.method ?? "GET")}`);
  if (opts.body !== undefined) lines.push(`wrk.body = ${luaString(opts.body)}`);
  for (const [k, v] of Object.entries(opts.headers ?? {})) lines.push(`wrk.headers[${luaString(k)}] = ${luaString(v)}`);
  if (settleMs > 0) {
    // wrk asks delay() before every request, a connection's first one included; each thread's
    // first connections-per-thread calls are its connections' first requests (none has been
    // answered yet). Their wait is not in the latency: wrk starts the clock when it writes.
    // wrk gives each thread connections / threads of them (rounded down).
    const perThread = Math.floor(opts.connections / threads);
    lines.push(`
local unsent = ${perThread}
delay = function()
  if unsent == 0 then return 0 end
  if unsent == ${perThread} then
    io.write('${CONNECTED_MARK}{"releaseInMs":${settleMs}}\\n')
    io.flush()
  end
  unsent = unsent - 1
  return ${settleMs}
end`);
  }
  lines.push(`
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('${MARK}{"requests":%d,"duration_us":%d,"bytes":%d,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,"min":%d,"mean":%f,"max":%d,"p50":%d,"p90":%d,"p99":%d,"p999":%d}\\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency.min, latency.mean, latency.max, latency:percentile(50), latency:percentile(90), latency:percentile(99), latency:percentile(99.9)))
end`);
  return lines.join("\n");
}

function luaString(s: string): string {
  return '"' + s.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n").replace(/\r/g, "\\r") + '"';
}

export async function runWrk(opts: LoadOptions, signal?: AbortSignal, onRelease?: OnRelease): Promise<LoadResult> {
  const bin = findWrk();
  if (!bin) throw Object.assign(new Error("wrk is not installed (apt-get install wrk), or use --load autocannon"), { code: "MS_ERR_LOAD_MISSING" });
  const dir = mkdtempSync(path.join(tmpdir(), "moonscope-wrk-"));
  const file = path.join(dir, "report.lua");
  const threads = Math.max(1, Math.min(opts.threads ?? 1, opts.connections));
  const settleMs = wholeSecondSettle(opts);
  writeFileSync(file, script(opts, threads, settleMs));
  const seconds = Math.max(1, Math.round((opts.durationMs + settleMs) / 1000));
  try {
    return await runGeneratorProcess<WrkReport>(
      { name: "wrk", command: bin, args: ["-t", String(threads), "-c", String(opts.connections), "-d", `${seconds}s`, "--timeout", "10s", "-s", file, opts.url], mark: MARK },
      signal,
      (r, cpuPercent) => {
        const durationMs = Math.max(1, r.duration_us / 1000 - settleMs);
        return {
          generator: "wrk",
          requests: r.requests,
          durationMs,
          rps: r.requests / (durationMs / 1000),
          bytesPerSec: r.bytes / (durationMs / 1000),
          latencyUs: { min: r.min, mean: r.mean, p50: r.p50, p90: r.p90, p99: r.p99, p999: r.p999, max: r.max },
          non2xx: r.status,
          errors: r.connect + r.read + r.write + r.timeout,
          cpuPercent,
        };
      },
      onRelease,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

interface WrkReport {
  requests: number;
  duration_us: number;
  bytes: number;
  connect: number;
  read: number;
  write: number;
  status: number;
  timeout: number;
  min: number;
  mean: number;
  max: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
}
