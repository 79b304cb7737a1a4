// One-line summaries of stored runs, for lists, code lenses and the status bar.
import path from "node:path";
import { nodeLabel, type RunFile } from "../../profile/run";
import type { RunSummary } from "../../protocol/lsp";
import { existsSync, readdirSync, statSync } from "node:fs";
import { MoonscopeError } from "../../profile/errors";
import { readRun, RUNS_DIR, sweepIfAbandoned } from "./store";

export function summarize(run: RunFile, dir: string): RunSummary {
  const top = [...run.server.stages].sort((a, b) => b.share - a.share)[0];
  return {
    id: run.id,
    dir,
    createdAt: run.createdAt,
    appFile: run.app.file,
    route: `${run.route.method} ${run.route.path}`,
    rps: run.client.rps,
    p50Us: run.client.latencyUs.p50,
    p99Us: run.client.latencyUs.p99,
    topStage: top?.stage ?? "",
    topStageShare: top?.share ?? 0,
    verdict: run.verdict.message,
    budgetsMissed: run.budgets.filter((b) => !b.ok).map((b) => b.message),
    mode: run.options.mode,
    node: run.machine ? nodeLabel(run.machine) : run.tool.node,
  };
}

// Summaries by run folder, kept while run.json's mtime and size are unchanged: code lenses ask for
// them on every refresh, and a run.json with its trees is a few hundred KB to parse.
const cache = new Map<string, { stamp: string; summary: RunSummary }>();

/** Every run of a workspace, newest first; unreadable ones are listed with their error. */
export function workspaceRuns(workspace: string): RunSummary[] {
  const root = path.join(workspace, RUNS_DIR);
  if (!existsSync(root)) return [];
  const out: RunSummary[] = [];
  for (const name of readdirSync(root).sort().reverse()) {
    const dir = path.join(root, name);
    const file = path.join(dir, "run.json");
    let stamp: string;
    try {
      const st = statSync(file);
      stamp = `${st.mtimeMs}:${st.size}`;
    } catch {
      // Not a run folder, or a run still being written (run.json comes last), or one whose writer died.
      sweepIfAbandoned(dir);
      continue;
    }
    const hit = cache.get(dir);
    if (hit && hit.stamp === stamp) {
      out.push(hit.summary);
      continue;
    }
    let summary: RunSummary;
    try {
      summary = summarize(readRun(dir).run, dir);
    } catch (e) {
      summary = { id: name, dir, createdAt: "", appFile: "", route: "", rps: 0, p50Us: 0, p99Us: 0, topStage: "", topStageShare: 0, verdict: "", budgetsMissed: [], error: (e as Error).message };
    }
    cache.set(dir, { stamp, summary });
    out.push(summary);
  }
  return out;
}

/** A workspace's run by its id, read whole; a missing or damaged one is an error that says what to do. */
export function findRun(workspace: string, id: string): { run: RunFile; dir: string } {
  const hit = workspaceRuns(workspace).find((r) => r.id === id);
  if (!hit) throw new MoonscopeError("MS_ERR_RUN_NOT_FOUND", `no run ${id} under ${path.join(workspace, RUNS_DIR)}`);
  try {
    return readRun(hit.dir);
  } catch (e) {
    throw e instanceof MoonscopeError ? e : new MoonscopeError("MS_ERR_RUN_CORRUPT", `${hit.dir}: ${(e as Error).message}; the run is damaged, profile the route again`);
  }
}

const ms = (us: number) => (us >= 1000 ? `${(us / 1000).toFixed(us >= 10000 ? 0 : 1)} ms` : `${(us / 1000).toFixed(2)} ms`);
const rate = (r: number) => (r >= 1000 ? `${(r / 1000).toFixed(1)}k req/s` : `${r.toFixed(0)} req/s`);

/** "p50 0.41 ms · p99 1.9 ms · 24.8k req/s · handler 61%" */
export function lensTitle(s: RunSummary): string {
  return `p50 ${ms(s.p50Us)} · p99 ${ms(s.p99Us)} · ${rate(s.rps)} · ${s.topStage} ${(s.topStageShare * 100).toFixed(0)}%${s.budgetsMissed.length ? " · budget missed" : ""}`;
}
