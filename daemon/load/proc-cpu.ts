// CPU time of a process read from /proc, so a run can say how busy the load generator was.
import { readFileSync } from "node:fs";

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

/**
 * Samples a process's CPU time until stop() is called; returns CPU% of one core over the sampled
 * span. The first skipMs are left out: a generator's start-up (loading its code) is not load. So is
 * everything before from(at): a generator that settles sends nothing until then.
 */
export function sampleCpu(pid: number, everyMs = 200, skipMs = 500): { stop(): number; from(at: number): void } {
  let startAt = performance.now() + skipMs;
  let start: { cpu: number; wall: number } | null = null;
  let last: { cpu: number; wall: number } | null = null;
  const read = () => {
    const v = cpuMsOf(pid);
    if (v === null) return;
    const wall = performance.now();
    if (start === null) {
      if (wall >= startAt) start = { cpu: v, wall };
      return;
    }
    last = { cpu: v, wall };
  };
  const timer = setInterval(read, everyMs);
  timer.unref();
  return {
    from(at) {
      if (at <= startAt) return;
      startAt = at;
      start = null;
      last = null;
    },
    stop() {
      clearInterval(timer);
      read();
      const s = start as { cpu: number; wall: number } | null;
      const l = last as { cpu: number; wall: number } | null;
      if (!s || !l || l.wall <= s.wall) return 0;
      return ((l.cpu - s.cpu) / (l.wall - s.wall)) * 100;
    },
  };
}

