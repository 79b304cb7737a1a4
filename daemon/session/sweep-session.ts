// `moonscope sweep`: one short measured step per (workers, connections), each after its own warm-up,
// with sweep.json rewritten after every step so an interrupted sweep keeps what it measured.
import path from "node:path";
import { analyzeSweep, sweepSvg, SWEEP_SCHEMA, SWEEP_VERSION, type SweepFile, type SweepStep } from "../../profile/sweep";
import { chooseGenerator, runLoad, runMeasuredLoad, type LoadGeneratorName } from "../load";
import { verdict, workerRows } from "../report/analyze";
import { ensureDir, writeFileAtomic } from "../runs/store";
import { parseRouteSpec, resolveRoute } from "./route-spec";
import { ServerProcess } from "./server-process";
import { MoonscopeError } from "../../profile/errors";

export interface SweepOptions {
  appFile: string;
  route: string;
  workers: number[];
  connections: number[];
  durationMs: number;
  warmupMs: number;
  load?: LoadGeneratorName;
  out: string;
  /** --lua-path for the app's require (absolute entries). */
  luaPath?: string;
  cliPath?: string;
  signal?: AbortSignal;
  onStep?: (done: number, total: number, step: SweepStep | null, label: string) => void;
}

/** Rough wall time per step: warm-up, measurement, and about a second to start and stop the app. */
export function estimateMs(o: Pick<SweepOptions, "workers" | "connections" | "durationMs" | "warmupMs">): { steps: number; perStepMs: number; totalMs: number } {
  const steps = o.workers.length * o.connections.length;
  const perStepMs = o.durationMs + o.warmupMs + 1000;
  return { steps, perStepMs, totalMs: steps * perStepMs };
}

export async function runSweep(o: SweepOptions): Promise<{ file: SweepFile; dir: string }> {
  const spec = parseRouteSpec(o.route);
  if (o.workers.length === 0 || o.connections.length === 0) throw new MoonscopeError("MS_ERR_USAGE", "a sweep needs at least one worker count and one connection count");
  const generator = chooseGenerator(o.load);
  const dir = path.resolve(o.out);
  ensureDir(dir);
  const file: SweepFile = {
    $schema: SWEEP_SCHEMA,
    version: SWEEP_VERSION,
    createdAt: new Date().toISOString(),
    app: path.basename(o.appFile),
    route: `${spec.method} ${spec.path}`,
    plan: { workers: o.workers, connections: o.connections, durationMs: o.durationMs, warmupMs: o.warmupMs, load: generator },
    complete: false,
    steps: [],
    knees: [],
    efficiency: [],
    notes: [],
  };
  const save = () => {
    Object.assign(file, analyzeSweep(file.steps));
    writeFileAtomic(path.join(dir, "sweep.json"), JSON.stringify(file, null, 2));
    writeFileAtomic(path.join(dir, "sweep.svg"), sweepSvg(file));
  };
  const total = o.workers.length * o.connections.length;
  let done = 0;
  outer: for (const workers of o.workers) {
    for (const connections of o.connections) {
      if (o.signal?.aborted) break outer;
      o.onStep?.(done, total, null, `${workers} worker(s), ${connections} connections`);
      // A fresh server per step: every step starts from the same state, with its own warm-up.
      const server = await ServerProcess.start({ appFile: o.appFile, workers, luaPath: o.luaPath, cliPath: o.cliPath });
      try {
        const route = resolveRoute(spec, server.routes, file.app);
        const routeKey = `${route.method} ${route.path}`;
        const url = `http://127.0.0.1:${server.port}${spec.requestPath}`;
        const idle = await server.stats();
        const idleRss = idle.workers.reduce((a, w) => a + w.resources.rssBytes, 0);
        if (o.warmupMs > 0) await runLoad(generator, { url, method: spec.method, connections, durationMs: o.warmupMs }, o.signal);
        if (o.signal?.aborted) break outer;
        const first = await server.stats(true);
        const { load, from } = await runMeasuredLoad(generator, { url, method: spec.method, connections, durationMs: o.durationMs }, o.signal);
        const windowMs = Math.max(0, performance.now() - from);
        const last = await server.stats();
        if (o.signal?.aborted || load.aborted) break outer;
        const rows = workerRows(first, last, routeKey, windowMs);
        const v = verdict([], { name: generator, cpuPercent: load.cpuPercent, cores: 1 }, rows);
        const rss = last.workers.reduce((a, w) => a + w.resources.rssBytes, 0);
        const step: SweepStep = {
          workers,
          connections,
          rps: load.rps,
          latencyUs: { p50: load.latencyUs.p50, p90: load.latencyUs.p90, p99: load.latencyUs.p99, max: load.latencyUs.max },
          errors: load.errors,
          non2xx: load.non2xx,
          serverCpuPercent: rows.reduce((a, r) => a + r.cpuPercent, 0),
          loadGenCpuPercent: load.cpuPercent,
          loadGenSaturated: v.loadGenSaturated,
          rssPerWorkerBytes: rss / Math.max(1, last.workers.length),
          rssPerConnectionBytes: connections > 0 ? Math.max(0, rss - idleRss) / connections : null,
          durationMs: load.durationMs,
        };
        file.steps.push(step);
        done++;
        save();
        o.onStep?.(done, total, step, `${workers} worker(s), ${connections} connections`);
      } finally {
        await server.stop(2000);
      }
    }
  }
  file.complete = done === total;
  save();
  return { file, dir };
}
