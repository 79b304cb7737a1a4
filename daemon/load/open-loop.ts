// Runs the fixed-rate generator (open-loop-main.ts, bundled as dist/daemon/open-loop.js) in its own process.
import { existsSync } from "node:fs";
import path from "node:path";
import { runGeneratorProcess } from "./generator-process";
import type { LoadOptions, LoadResult } from "./types";

const MARK = "MOONSCOPE_OPENLOOP ";

function script(): string {
  const candidates = [path.resolve(__dirname, "..", "daemon", "open-loop.js"), path.resolve(__dirname, "..", "..", "dist", "daemon", "open-loop.js")];
  const found = candidates.find((p) => existsSync(p));
  if (!found) throw Object.assign(new Error("the fixed-rate generator bundle is missing; run `npm run build`"), { code: "MS_ERR_LOAD_MISSING" });
  return found;
}

export async function runOpenLoop(opts: LoadOptions, signal?: AbortSignal): Promise<LoadResult> {
  if (!opts.rate) throw Object.assign(new Error("the fixed-rate generator needs --rate"), { code: "MS_ERR_USAGE" });
  return runGeneratorProcess<OpenLoopReport>(
    { name: "open-loop", command: process.execPath, args: [script()], env: { MOONSCOPE_LOAD: JSON.stringify(opts) }, mark: MARK, cpuSkipMs: 100 },
    signal,
    (r, cpuPercent) => {
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
    },
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
