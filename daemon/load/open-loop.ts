// Runs the fixed-rate generator (open-loop-main.ts, bundled as dist/daemon/open-loop.js) in its own process.
import { bundledScript } from "./bundled";
import { runGeneratorProcess } from "./generator-process";
import { REPORT_MARK, type LoadOptions, type LoadResult, type OnRelease } from "./types";

export async function runOpenLoop(opts: LoadOptions, signal?: AbortSignal, onRelease?: OnRelease): Promise<LoadResult> {
  if (!opts.rate) throw Object.assign(new Error("the fixed-rate generator needs --rate"), { code: "MS_ERR_USAGE" });
  return runGeneratorProcess<OpenLoopReport>(
    { name: "open-loop", command: process.execPath, args: [bundledScript("open-loop", "the fixed-rate generator")], env: { MOONSCOPE_LOAD: JSON.stringify(opts) }, mark: REPORT_MARK["open-loop"], cpuSkipMs: 100 },
    signal,
    (r, cpuPercent) => {
      const warnings: string[] = [];
      if (r.behind > 0) warnings.push(`${r.behind} scheduled requests never got a connection: the server (or ${opts.connections} connections) could not keep up with ${opts.rate} req/s`);
      return {
        generator: "open-loop",
        requests: r.requests,
        durationMs: r.durationMs,
        rps: r.durationMs > 0 ? r.requests / (r.durationMs / 1000) : 0,
        bytesPerSec: 0,
        latencyUs: r.latencyUs,
        non2xx: r.non2xx,
        errors: r.errors,
        cpuPercent,
        warnings,
      };
    },
    onRelease,
  );
}

interface OpenLoopReport {
  requests: number;
  sent: number;
  behind: number;
  durationMs: number;
  latencyUs: LoadResult["latencyUs"];
  non2xx: number;
  errors: number;
}
