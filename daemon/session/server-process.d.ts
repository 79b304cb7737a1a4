import { type ChildProcess } from "node:child_process";
import type { ProfileStartOptions, RouteInfo, StatsSnapshot, WorkerProfile } from "../../server-core/ipc";
export interface ServerStartOptions {
    appFile: string;
    workers: number;
    port?: number;
    stages?: boolean;
    extraArgs?: string[];
    /** Where the moonscope CLI bundle is (dist/cli/moonscope.js). */
    cliPath?: string;
    startTimeoutMs?: number;
    onLog?: (line: string) => void;
}
export declare function defaultCliPath(): string;
export declare class ServerProcess {
    readonly child: ChildProcess;
    port: number;
    pids: number[];
    routes: RouteInfo[];
    private seq;
    private readonly waiters;
    private stderrTail;
    private exited;
    exitCode: number | null | undefined;
    private constructor();
    static start(o: ServerStartOptions): Promise<ServerProcess>;
    get alive(): boolean;
    get lastOutput(): string;
    private waitFor;
    private request;
    stats(reset?: boolean): Promise<StatsSnapshot>;
    startProfiling(o: ProfileStartOptions): Promise<{
        workers: number[];
        errors: string[];
    }>;
    stopProfiling(): Promise<{
        profiles: WorkerProfile[];
        missing: number[];
    }>;
    /** Graceful stop over IPC, then SIGKILL to the whole group after graceMs: nothing survives. */
    stop(graceMs?: number): Promise<void>;
    /** SIGKILL to the process group (the master and every worker). */
    kill(): void;
}
