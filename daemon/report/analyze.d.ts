import { LogHistogram, type HistogramData } from "../../profile/histogram";
import { type CallTree } from "../../profile/calltree";
import { type Bottleneck, type BudgetResult, type HotSpotRow, type Priority, type StageName, type StageRow, type WorkerRow } from "../../profile/run";
import type { StatsSnapshot } from "../../server-core/ipc";
export interface MergedRoute {
    requests: number;
    errors: number;
    statuses: Record<string, number>;
    total: LogHistogram;
    stages: Record<StageName, LogHistogram>;
}
/** The route's statistics merged over all workers of a snapshot. */
export declare function mergeRoute(snap: StatsSnapshot, routeKey: string): MergedRoute;
export declare function priorityOf(share: number): Priority;
export declare function stageRows(stages: Record<StageName, LogHistogram | HistogramData>): StageRow[];
/** Per-worker rows over the window between two snapshots (CPU% from cumulative CPU time). */
export declare function workerRows(first: StatsSnapshot, last: StatsSnapshot, routeKey: string, windowMs: number): WorkerRow[];
/** A generator at or above this CPU% of its core(s) cannot push harder: it, not the server, set the pace. */
export declare const SATURATED_CPU_PERCENT = 85;
export declare function verdict(rows: StageRow[], loadGen: {
    name: string;
    cpuPercent: number;
    cores: number;
}, workers: WorkerRow[]): {
    bottleneck: Bottleneck;
    message: string;
    loadGenSaturated: boolean;
};
/** Hot spots by self time; shares are of busy time (idle excluded), kinds that are not code are left out. */
export declare function hotSpotRows(tree: CallTree, limit: number): HotSpotRow[];
export interface Budget {
    metric: "p50" | "p90" | "p99" | "p999" | "rps" | "errors";
    limit: number;
}
/** "p99=5ms,rps=20000,errors=0" → budgets; a malformed entry is a usage error naming it. */
export declare function parseBudgets(spec: string): Budget[];
export declare function checkBudgets(budgets: Budget[], client: {
    rps: number;
    latencyUs: Record<string, number>;
    errors: number;
    non2xx: number;
}): BudgetResult[];
