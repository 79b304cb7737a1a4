import type { RunFile } from "../../profile/run";
export declare function formatReport(run: RunFile, dir: string, cwd?: string): string;
