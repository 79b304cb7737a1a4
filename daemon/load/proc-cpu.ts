// CPU time of a process read from /proc, so a run can say how busy the load generator was.
import { readFileSync } from "node:fs";
import os from "node:os";

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** utime+stime in ms of pid (and its waited-for children), or null when /proc is unavailable. */
export function cpuMsOf(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // fields[11..14] = utime, stime, cutime, cstime (after the state field at index 0)
    const ticks = Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]);
    return (ticks * 1000) / TICKS_PER_SECOND;
  } catch {
    return null;
  }
}

/** Samples a process's CPU time until stop() is called; returns CPU% of one core over the sampled span. */
export function sampleCpu(pid: number, everyMs = 200): { stop(): number } {
  const startWall = performance.now();
  const start = cpuMsOf(pid) ?? 0;
  let last = start;
  let lastWall = startWall;
  const timer = setInterval(() => {
    const v = cpuMsOf(pid);
    if (v !== null) {
      last = v;
      lastWall = performance.now();
    }
  }, everyMs);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      const v = cpuMsOf(pid);
      if (v !== null) {
        last = v;
        lastWall = performance.now();
      }
      const wall = lastWall - startWall;
      return wall > 0 ? ((last - start) / wall) * 100 : 0;
    },
  };
}

export const CPU_COUNT = Math.max(1, os.availableParallelism?.() ?? os.cpus().length);
