/** utime+stime in ms of pid (and its waited-for children), or null when /proc is unavailable. */
export declare function cpuMsOf(pid: number): number | null;
/** Samples a process's CPU time until stop() is called; returns CPU% of one core over the sampled span. */
export declare function sampleCpu(pid: number, everyMs?: number): {
    stop(): number;
};
export declare const CPU_COUNT: number;
