// What the Runs view shows, as plain functions of the run summaries: runs grouped by route (newest
// group first), each run's label, figures and tooltip. runs-view.ts puts these in VS Code's tree.
import type { RunSummary } from "../protocol/lsp";
import { RUN_ITEM } from "./manifest-ids";

export interface RouteGroup {
  /** "GET /users/:id", or "unreadable runs" for runs whose run.json failed to read. */
  route: string;
  /** The app entry, when the workspace's runs come from more than one app (else ""). */
  app: string;
  runs: RunSummary[];
}

/** Runs (newest first, as listRuns answers) grouped by route and app, in the order of their newest run. */
export function groupRuns(runs: RunSummary[], relative: (file: string) => string = (f) => f): RouteGroup[] {
  const apps = new Set(runs.filter((r) => !r.error).map((r) => r.appFile));
  const groups = new Map<string, RouteGroup>();
  for (const r of runs) {
    const key = r.error ? "\0error" : `${r.appFile}\0${r.route}`;
    let g = groups.get(key);
    if (!g) {
      g = { route: r.error ? "unreadable runs" : r.route, app: !r.error && apps.size > 1 ? relative(r.appFile) : "", runs: [] };
      groups.set(key, g);
    }
    g.runs.push(r);
  }
  return [...groups.values()];
}

const two = (n: number) => String(n).padStart(2, "0");

/** "2026-11-30 20:31:07" in local time; the id when the date is unknown. */
export function runLabel(r: RunSummary): string {
  const d = new Date(r.createdAt);
  if (!r.createdAt || Number.isNaN(d.getTime())) return r.id;
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
}

const rate = (rps: number) => (rps >= 1000 ? `${(rps / 1000).toFixed(1)}k req/s` : `${rps.toFixed(0)} req/s`);
const ms = (us: number) => `${(us / 1000).toFixed(2)} ms`;

/** "24.8k req/s · p99 1.90 ms", with the mode when it is not the default and a missed budget. */
export function runDescription(r: RunSummary): string {
  if (r.error) return "unreadable";
  const parts = [rate(r.rps), `p99 ${ms(r.p99Us)}`];
  if (r.mode && r.mode !== "sample") parts.push(r.mode);
  if (r.budgetsMissed.length) parts.push("budget missed");
  return parts.join(" · ");
}

export function runTooltip(r: RunSummary): string {
  if (r.error) return `${r.id}\n${r.error}`;
  const lines = [`${r.route} · ${runLabel(r)}`, `${rate(r.rps)} · p50 ${ms(r.p50Us)} · p99 ${ms(r.p99Us)}`, r.verdict];
  if (r.node) lines.push(`Node ${r.node}`);
  for (const b of r.budgetsMissed) lines.push(`budget missed: ${b}`);
  lines.push(r.id);
  return lines.join("\n");
}

/** The run item's contextValue (see RUN_ITEM): which actions its menu offers. */
export function runContextValue(r: RunSummary, has: { cpuprofile: boolean }): string {
  if (r.error) return `${RUN_ITEM}.unreadable`;
  return has.cpuprofile ? `${RUN_ITEM}.cpuprofile` : RUN_ITEM;
}

/** The runs another run may be compared with: readable ones, the same route's first. */
export function compareCandidates(runs: RunSummary[], with_: RunSummary): RunSummary[] {
  const others = runs.filter((r) => !r.error && r.id !== with_.id);
  return [...others.filter((r) => r.route === with_.route), ...others.filter((r) => r.route !== with_.route)];
}

/** The older of two runs is "before". */
export function beforeAfter(a: RunSummary, b: RunSummary): { before: RunSummary; after: RunSummary } {
  return a.createdAt <= b.createdAt ? { before: a, after: b } : { before: b, after: a };
}
