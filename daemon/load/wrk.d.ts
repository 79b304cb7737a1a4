import type { LoadOptions, LoadResult } from "./types";
/** Path of wrk when installed, else null. */
export declare function findWrk(): string | null;
export declare function runWrk(opts: LoadOptions, signal?: AbortSignal): Promise<LoadResult>;
