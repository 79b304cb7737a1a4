export type LoadGeneratorName = "wrk" | "autocannon";
export interface LoadOptions {
    url: string;
    method?: string;
    body?: string;
    headers?: Record<string, string>;
    connections: number;
    durationMs: number;
    /** Fixed request rate (req/s) for open-loop load; closed loop when absent. */
    rate?: number;
    /** Threads (wrk only). */
    threads?: number;
}
export interface LoadResult {
    generator: LoadGeneratorName;
    requests: number;
    durationMs: number;
    rps: number;
    bytesPerSec: number;
    latencyUs: {
        min: number;
        mean: number;
        p50: number;
        p90: number;
        p99: number;
        p999: number;
        max: number;
    };
    /** Responses with a status outside 2xx/3xx. */
    non2xx: number;
    /** Connect/read/write errors and timeouts. */
    errors: number;
    /** CPU% of one core the generator itself used (100 = one core saturated). */
    cpuPercent: number;
}
