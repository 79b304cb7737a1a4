import { type CallTree } from "../profile/calltree";
import type { WorkerProfile } from "../server-core/ipc";
import type { StageName } from "../server-core/stages";
/** Server-core functions that mark a stage: the deepest one on a stack decides the stage. */
export declare const STAGE_FUNCTIONS: Record<string, StageName>;
export interface BuildOptions {
    /** Path fragment identifying server-core's bundle in V8 urls. */
    serverCoreUrl?: RegExp;
    /** The app's chunk name ("app.lua") → the file to show for Lua frames. */
    luaFile?: (chunk: string) => string;
}
export interface WorkerTree {
    worker: number;
    pid: number;
    tree: CallTree;
    /** Weight (µs) the V8 profiler saw inside the Lua VM, before it was split over Lua stacks. */
    luaVmUs: number;
    luaSamples: number;
}
export declare function buildWorkerTree(p: WorkerProfile, opts?: BuildOptions): WorkerTree;
export declare function buildTrees(profiles: WorkerProfile[], opts?: BuildOptions): {
    workers: WorkerTree[];
    merged: CallTree;
};
