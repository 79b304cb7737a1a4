import { type CallTree } from "../../profile/calltree";
import { type RunFile } from "../../profile/run";
import { type LoadGeneratorName } from "../load";
import { type Budget } from "../report/analyze";
export interface ProfileSessionOptions {
    appFile: string;
    route: string;
    durationMs: number;
    warmupMs: number;
    connections: number;
    rate?: number;
    workers: number;
    mode: "sample" | "none";
    load?: LoadGeneratorName;
    out?: string;
    budgets: Budget[];
    cpuIntervalUs?: number;
    luaIntervalMs?: number;
    body?: string;
    headers?: Record<string, string>;
    /** Folder that holds .moonscope/runs (default: the current directory). */
    workspace?: string;
    cliPath?: string;
    signal?: AbortSignal;
    onProgress?: (p: Progress) => void;
    onLog?: (line: string) => void;
}
export type Phase = "starting" | "warmup" | "measuring" | "collecting" | "writing" | "done";
export interface Progress {
    phase: Phase;
    message: string;
    elapsedMs?: number;
    durationMs?: number;
    requests?: number;
    rps?: number;
    serverP99Us?: number;
}
export interface SessionResult {
    run: RunFile;
    dir: string;
    merged: CallTree | null;
}
export declare function runProfileSession(o: ProfileSessionOptions): Promise<SessionResult>;
