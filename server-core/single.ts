// `moonscope serve --single`: the whole server in one process, no cluster. The 0x and clinic modes
// need it: both refuse clustered processes. The Lua sampler can run from start to exit and leave
// its samples in a file, since those tools own the process and there is no IPC channel to ask.
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { ServerWorker } from "./worker";
import { workerOptionsFor, type ServeOptions } from "./master";
import type { RouteInfo } from "./ipc";
import { renderMetrics } from "./metrics";

export interface SingleOptions {
  /** Sample the Lua stack every N ms for the whole life of the process (0: off). */
  luaIntervalMs: number;
  /** Where the Lua samples go at exit (JSON LuaProfileData). */
  luaSamplesFile: string | null;
}

export async function runSingle(
  opts: ServeOptions,
  single: SingleOptions,
  log: (level: "info" | "warn" | "error", message: string) => void,
): Promise<{ port: number; host: string; routes: RouteInfo[]; stop: () => Promise<void> }> {
  const worker = new ServerWorker(
    workerOptionsFor(opts, 1),
    {
      send: () => {},
      requestMergedStats: (reset, cb) => cb(JSON.stringify({ time: Date.now(), workers: [worker.snapshot(reset)], missing: [], restarts: 0 })),
      requestMetrics: (cb) => cb(renderMetrics({ snapshot: { time: Date.now(), workers: [worker.snapshot(false)], missing: [], restarts: 0 }, retired: [], workers: 1 })),
      log: (level, code, message) => log(level, `${code}: ${message}`),
    },
  );
  const { port, routes } = await worker.start(readFileSync(opts.appFile));
  if (single.luaIntervalMs > 0) await worker.profiler.startLuaSampler(single.luaIntervalMs);
  // Profilers that own this process (0x's soft-exit preload) call process.exit() on SIGINT before
  // any async shutdown can run, so the samples are written synchronously on the way out.
  let written = false;
  const writeSamples = () => {
    if (written || !single.luaSamplesFile) return;
    written = true;
    const lua = worker.profiler.takeLuaSamples();
    if (!lua) return;
    const tmp = `${single.luaSamplesFile}.tmp-${process.pid}`;
    writeFileSync(tmp, JSON.stringify(lua));
    renameSync(tmp, single.luaSamplesFile);
  };
  process.on("exit", writeSamples);
  let stopped = false;
  return {
    port,
    host: worker.listeningHost,
    routes,
    async stop() {
      if (stopped) return;
      stopped = true;
      // The samples are on disk now; do not wait for the sampler thread, which a profiler's
      // instrumentation (bubbleprof's async hooks) was seen to leave without an answer.
      writeSamples();
      await worker.shutdown(opts.shutdownGraceMs);
    },
  };
}
