// Per-request stage timing: the stage names, and the per-route, per-worker statistics they feed.
import { LogHistogram, type HistogramData } from "../profile/histogram";
import { STAGE_NAMES, type StageName } from "../profile/run";

export type { StageName } from "../profile/run";
/** In request order. "total" is first byte received -> response handed to the socket. */
export const STAGES = STAGE_NAMES;
export const STAGE_COUNT = STAGES.length;
export const S_PARSE = 0, S_EXTRACT = 1, S_QUEUE = 2, S_CONTEXT = 3, S_HANDLER = 4, S_SERIALIZE = 5, S_WRITE = 6;

export interface RouteStatsData {
  route: string; // "GET /users/:id", or "(unmatched)" for 404/405 and protocol errors
  requests: number;
  errors: number; // 5xx answered by the server
  statuses: Record<string, number>; // "2xx" | "3xx" | "4xx" | "5xx" -> count
  total: HistogramData;
  stages: Record<StageName, HistogramData>;
}

export class RouteStats {
  readonly route: string;
  requests = 0;
  errors = 0;
  readonly statuses = [0, 0, 0, 0, 0, 0];
  readonly total = new LogHistogram();
  readonly stages: LogHistogram[] = STAGES.map(() => new LogHistogram());

  constructor(route: string) {
    this.route = route;
  }

  /** d holds the 7 stage durations in ms (performance.now() differences); total is their sum by construction. */
  record(d: Float64Array, status: number): void {
    this.requests++;
    this.statuses[(status / 100) | 0]++;
    if (status >= 500) this.errors++;
    const st = this.stages;
    let total = 0;
    for (let i = 0; i < STAGE_COUNT; i++) {
      const v = d[i] > 0 ? d[i] : 0;
      total += v;
      st[i].record(v * 1e6);
    }
    this.total.record(total * 1e6);
  }

  /** Counts a request without stage timing (--no-stages). */
  count(status: number): void {
    this.requests++;
    this.statuses[(status / 100) | 0]++;
    if (status >= 500) this.errors++;
  }

  toJSON(): RouteStatsData {
    const stages = {} as Record<StageName, HistogramData>;
    STAGES.forEach((s, i) => (stages[s] = this.stages[i].toJSON()));
    return {
      route: this.route,
      requests: this.requests,
      errors: this.errors,
      statuses: { "1xx": this.statuses[1], "2xx": this.statuses[2], "3xx": this.statuses[3], "4xx": this.statuses[4], "5xx": this.statuses[5] },
      total: this.total.toJSON(),
      stages,
    };
  }

  reset(): void {
    this.requests = 0;
    this.errors = 0;
    this.statuses.fill(0);
    this.total.reset();
    for (const h of this.stages) h.reset();
  }
}
