import type { LoadOptions, LoadResult } from "./types";
export declare function autocannonPath(): string | null;
export declare function runAutocannon(opts: LoadOptions, signal?: AbortSignal): Promise<LoadResult>;
