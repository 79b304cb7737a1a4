// What a worker process uses, for its stats snapshot: CPU (the share since the last snapshot, and
// in total), memory, event-loop delay and GC pauses.
import { monitorEventLoopDelay, PerformanceObserver } from "node:perf_hooks";
import { LogHistogram } from "../profile/histogram";
import type { WorkerResources } from "./ipc";

const now = performance.now.bind(performance);

export class ResourceStats {
  private readonly eld = monitorEventLoopDelay({ resolution: 10 });
  private readonly gc = new LogHistogram();
  private gcObserver: PerformanceObserver | null = null;
  private cpuAt = process.cpuUsage();
  private cpuWallAt = now();
  private readonly startedAt = now();

  /** Starts watching the event loop and the GC. */
  start(): void {
    this.eld.enable();
    try {
      this.gcObserver = new PerformanceObserver((list) => {
        for (const e of list.getEntries()) this.gc.record(e.duration * 1e6);
      });
      this.gcObserver.observe({ entryTypes: ["gc"] });
    } catch {
      this.gcObserver = null;
    }
  }

  stop(): void {
    this.eld.disable();
    this.gcObserver?.disconnect();
  }

  /** The resources now; cpuPercent covers the time since the previous call, which starts a new window. */
  read(worker: number, luaHeapBytes: number, connections: number): WorkerResources {
    const totalCpu = process.cpuUsage();
    const cpu = process.cpuUsage(this.cpuAt);
    const wall = now() - this.cpuWallAt;
    const eld = new LogHistogram();
    const pct = this.eld.percentiles;
    let prev = 0;
    const count = (this.eld as unknown as { count?: number }).count ?? 0;
    for (const [p, v] of pct) {
      if (count > 0) eld.recordN(v, Math.round(((p - prev) / 100) * count));
      prev = p;
    }
    const resources: WorkerResources = {
      worker,
      pid: process.pid,
      cpuPercent: wall > 0 ? ((cpu.user + cpu.system) / 1000 / wall) * 100 : 0,
      cpuUserMs: totalCpu.user / 1000,
      cpuSystemMs: totalCpu.system / 1000,
      rssBytes: process.memoryUsage.rss(),
      luaHeapBytes,
      eventLoopDelay: eld.toJSON(),
      gcPause: this.gc.toJSON(),
      connections,
      uptimeMs: now() - this.startedAt,
    };
    this.cpuAt = process.cpuUsage();
    this.cpuWallAt = now();
    return resources;
  }

  /** Forgets the event-loop delays and GC pauses seen so far. */
  reset(): void {
    this.eld.reset();
    this.gc.reset();
  }
}
