// The stored sweep (sweep.json) and the analysis of it: where throughput stops growing (the knee),
// how well a second worker pays off, and a chart of req/s and p99 against connections.
export const SWEEP_SCHEMA = "moonscope-sweep";
export const SWEEP_VERSION = 1;

export interface SweepStep {
  workers: number;
  connections: number;
  rps: number;
  latencyUs: { p50: number; p90: number; p99: number; max: number };
  errors: number;
  non2xx: number;
  /** Sum over workers, % of one core. */
  serverCpuPercent: number;
  loadGenCpuPercent: number;
  loadGenSaturated: boolean;
  rssPerWorkerBytes: number;
  /** (RSS of all workers at this step - RSS when idle) / connections; null for a single connection step without a baseline. */
  rssPerConnectionBytes: number | null;
  durationMs: number;
}

export interface Knee {
  workers: number;
  /** The last connection count before req/s stopped growing by >= 5% while p99 kept rising; null when there was none. */
  connections: number | null;
  message: string;
}

export interface Efficiency {
  workers: number;
  connections: number;
  /** req/s with N workers / (N x req/s with 1 worker) at the same connections. */
  efficiency: number;
}

export interface SweepFile {
  $schema: typeof SWEEP_SCHEMA;
  version: number;
  createdAt: string;
  app: string;
  route: string;
  plan: { workers: number[]; connections: number[]; durationMs: number; warmupMs: number; load: string };
  /** True when every planned step ran; false when it was stopped early (the steps done so far are kept). */
  complete: boolean;
  steps: SweepStep[];
  knees: Knee[];
  efficiency: Efficiency[];
  notes: string[];
}

/** Growth below this between consecutive connection counts means throughput has stopped growing. */
export const KNEE_GROWTH = 0.05;

/** The knee of one worker count's steps, sorted by connections. */
export function findKnee(steps: SweepStep[]): Knee | null {
  if (steps.length === 0) return null;
  const s = [...steps].sort((a, b) => a.connections - b.connections);
  const workers = s[0].workers;
  for (let i = 1; i < s.length; i++) {
    const growth = s[i - 1].rps > 0 ? (s[i].rps - s[i - 1].rps) / s[i - 1].rps : 0;
    const p99Rises = s[i].latencyUs.p99 > s[i - 1].latencyUs.p99;
    if (growth < KNEE_GROWTH && p99Rises) {
      // Throughput must stay flat from here on (a dip followed by growth is noise, not a knee).
      const later = s.slice(i + 1).every((x) => x.rps < s[i - 1].rps * (1 + KNEE_GROWTH));
      if (!later) continue;
      return {
        workers,
        connections: s[i - 1].connections,
        message: `${workers} worker(s): throughput stops growing past ${s[i - 1].connections} connections (${s[i - 1].rps.toFixed(0)} → ${s[i].rps.toFixed(0)} req/s at ${s[i].connections}, ${growth >= 0 ? "+" : ""}${(growth * 100).toFixed(1)}%) while p99 rises ${(s[i - 1].latencyUs.p99 / 1000).toFixed(2)} → ${(s[i].latencyUs.p99 / 1000).toFixed(2)} ms`,
      };
    }
  }
  return { workers, connections: null, message: `${workers} worker(s): throughput was still growing at ${s[s.length - 1].connections} connections (no knee in this range)` };
}

export function workerEfficiency(steps: SweepStep[]): Efficiency[] {
  const out: Efficiency[] = [];
  for (const st of steps) {
    if (st.workers === 1) continue;
    const one = steps.find((x) => x.workers === 1 && x.connections === st.connections);
    if (!one || one.rps <= 0) continue;
    out.push({ workers: st.workers, connections: st.connections, efficiency: st.rps / (st.workers * one.rps) });
  }
  return out;
}

export function analyzeSweep(steps: SweepStep[]): { knees: Knee[]; efficiency: Efficiency[]; notes: string[] } {
  const byWorkers = new Map<number, SweepStep[]>();
  for (const s of steps) byWorkers.set(s.workers, [...(byWorkers.get(s.workers) ?? []), s]);
  const knees = [...byWorkers.values()].map(findKnee).filter((k): k is Knee => k !== null);
  const efficiency = workerEfficiency(steps);
  const notes: string[] = [];
  for (const s of steps) {
    if (s.loadGenSaturated) notes.push(`at ${s.workers} worker(s), ${s.connections} connections the load generator was saturated (${s.loadGenCpuPercent.toFixed(0)}% CPU): that step measures the generator, not the server`);
  }
  return { knees, efficiency, notes };
}

// ---- chart ----

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
const COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"];

function niceMax(v: number): number {
  if (v <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

/** Two panels side by side: req/s and p99 against connections (log scale), one line per worker count. */
export function sweepSvg(f: SweepFile): string {
  const W = 1000;
  const H = 420;
  const panelW = 440;
  const panelH = 300;
  const top = 70;
  const lefts = [70, 560];
  const conns = [...new Set(f.steps.map((s) => s.connections))].sort((a, b) => a - b);
  const workers = [...new Set(f.steps.map((s) => s.workers))].sort((a, b) => a - b);
  const xOf = (c: number) => {
    if (conns.length <= 1) return panelW / 2;
    const lo = Math.log(conns[0]);
    const hi = Math.log(conns[conns.length - 1]);
    return hi === lo ? panelW / 2 : ((Math.log(c) - lo) / (hi - lo)) * panelW;
  };
  const panels = [
    { title: "Throughput (req/s)", value: (s: SweepStep) => s.rps, fmt: (v: number) => (v >= 1000 ? `${(v / 1000).toFixed(v >= 10000 ? 0 : 1)}k` : v.toFixed(0)) },
    { title: "p99 latency (ms)", value: (s: SweepStep) => s.latencyUs.p99 / 1000, fmt: (v: number) => (v >= 10 ? v.toFixed(0) : v.toFixed(1)) },
  ];
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="Verdana, sans-serif" font-size="12">`);
  parts.push(`<rect width="${W}" height="${H}" fill="#fff"/>`);
  parts.push(`<text x="${W / 2}" y="24" text-anchor="middle" font-size="16">${esc(`${f.route}: scaling with connections and workers`)}</text>`);
  parts.push(`<text x="${W / 2}" y="44" text-anchor="middle" fill="#555">${esc(`${f.app} · ${f.plan.durationMs / 1000}s per step · ${f.plan.load}${f.complete ? "" : " · stopped early"}`)}</text>`);
  panels.forEach((p, pi) => {
    const left = lefts[pi];
    const max = niceMax(Math.max(0, ...f.steps.map(p.value)));
    const y = (v: number) => top + panelH - (v / max) * panelH;
    parts.push(`<g class="panel"><text x="${left + panelW / 2}" y="${top - 8}" text-anchor="middle" font-weight="bold">${esc(p.title)}</text>`);
    parts.push(`<rect x="${left}" y="${top}" width="${panelW}" height="${panelH}" fill="none" stroke="#999"/>`);
    for (let i = 0; i <= 4; i++) {
      const v = (max / 4) * i;
      parts.push(`<line x1="${left}" x2="${left + panelW}" y1="${y(v)}" y2="${y(v)}" stroke="#eee"/><text x="${left - 6}" y="${y(v) + 4}" text-anchor="end" fill="#555">${p.fmt(v)}</text>`);
    }
    for (const c of conns) parts.push(`<text x="${left + xOf(c)}" y="${top + panelH + 16}" text-anchor="middle" fill="#555">${c}</text>`);
    parts.push(`<text x="${left + panelW / 2}" y="${top + panelH + 34}" text-anchor="middle" fill="#333">connections</text>`);
    workers.forEach((w, wi) => {
      const pts = f.steps.filter((s) => s.workers === w).sort((a, b) => a.connections - b.connections);
      const color = COLORS[wi % COLORS.length];
      const d = pts.map((s, i) => `${i ? "L" : "M"}${(left + xOf(s.connections)).toFixed(1)},${y(p.value(s)).toFixed(1)}`).join(" ");
      parts.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="2"/>`);
      for (const s of pts) {
        parts.push(`<circle cx="${(left + xOf(s.connections)).toFixed(1)}" cy="${y(p.value(s)).toFixed(1)}" r="4" fill="${s.loadGenSaturated ? "#fff" : color}" stroke="${color}"><title>${esc(`${w} worker(s), ${s.connections} connections: ${s.rps.toFixed(0)} req/s, p99 ${(s.latencyUs.p99 / 1000).toFixed(2)} ms${s.loadGenSaturated ? " (load generator saturated)" : ""}`)}</title></circle>`);
      }
    });
    parts.push(`</g>`);
  });
  workers.forEach((w, wi) => {
    const x = 70 + wi * 140;
    parts.push(`<rect x="${x}" y="${H - 22}" width="14" height="4" fill="${COLORS[wi % COLORS.length]}"/><text x="${x + 20}" y="${H - 16}">${w} worker${w > 1 ? "s" : ""}</text>`);
  });
  parts.push(`<text x="${W - 10}" y="${H - 16}" text-anchor="end" fill="#555">hollow point: load generator saturated</text>`);
  parts.push(`</svg>`);
  return parts.join("\n");
}
