import type { LoadGeneratorName, LoadOptions, LoadResult } from "./types";
export type { LoadGeneratorName, LoadOptions, LoadResult } from "./types";
export declare function chooseGenerator(wanted?: LoadGeneratorName, rate?: number): LoadGeneratorName;
export declare function runLoad(generator: LoadGeneratorName, opts: LoadOptions, signal?: AbortSignal): Promise<LoadResult>;
