// The profilers' own threads: found by name, run at a lower priority than the threads they measure,
// and their CPU time read (what a run reports as its sampling cost).
//
// Priority: on a machine whose
// cores the server already fills, a sampler thread that wakes every few milliseconds otherwise takes
// the core from a worker's thread (or the load generator's) at each wake-up, and the requests queued
// behind that worker wait: that, not CPU time, is what the samplers cost the client's p99. A lower
// priority lets the scheduler finish the running thread's slice first; a sample taken a little later
// is still a sample of the same handler. Linux only (setpriority and /proc on a thread id); elsewhere
// the priority stays and the CPU time is unknown (null).
import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import os from "node:os";

/** The nice value the profilers' threads get (0 is normal, 19 the lowest). */
export const PROFILER_THREAD_NICE = 10;

/** This thread's id (Linux), or null. */
export function ownThreadId(): number | null {
  try {
    const m = /task\/(\d+)$/.exec(readlinkSync("/proc/thread-self"));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

/** Ids of this process's threads with the given name (Linux), e.g. V8's "v8:ProfEvntProc". */
export function threadsNamed(name: string): number[] {
  try {
    return readdirSync("/proc/self/task")
      .filter((tid) => {
        try {
          return readFileSync(`/proc/self/task/${tid}/comm`, "utf8").trim() === name;
        } catch {
          return false;
        }
      })
      .map(Number);
  } catch {
    return [];
  }
}

/** Lowers one thread's priority to PROFILER_THREAD_NICE; false where that is not possible. */
export function lowerThreadPriority(tid: number | null): boolean {
  if (tid === null) return false;
  try {
    os.setPriority(tid, PROFILER_THREAD_NICE);
    return true;
  } catch {
    return false;
  }
}

/** Linux's clock ticks per second for /proc's utime and stime (USER_HZ, 100 on every Linux Node runs on). */
const TICKS_PER_S = 100;

/** CPU milliseconds a thread of this process has used (user + system), or null where /proc cannot tell. */
export function threadCpuMs(tid: number | null): number | null {
  if (tid === null) return null;
  try {
    const stat = readFileSync(`/proc/self/task/${tid}/stat`, "utf8");
    // Fields after the command name (which may hold spaces): state is field 3, utime 14, stime 15.
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return ((Number(f[11]) + Number(f[12])) * 1000) / TICKS_PER_S;
  } catch {
    return null;
  }
}
