import { type RunFile } from "../../profile/run";
export declare const RUNS_DIR: string;
export declare function runDirName(createdAt: Date, method: string, routePath: string): string;
/** Writes data to file through a temp file in the same folder and a rename. */
export declare function writeFileAtomic(file: string, data: string | Buffer): void;
export declare function ensureDir(dir: string): void;
/** Reads a run from a run folder or a run.json path; errors say what is wrong and where. */
export declare function readRun(where: string): {
    run: RunFile;
    dir: string;
};
export interface RunListing {
    dir: string;
    run?: RunFile;
    error?: string;
}
/** Every run under root (newest first); unreadable ones are listed with their error, never dropped silently. */
export declare function listRuns(root: string): RunListing[];
