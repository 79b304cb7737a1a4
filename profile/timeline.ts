// A run's timeline: what each stretch of the measurement did (the live profile's 2 s chunks), kept
// in run.json within a size budget, so the panel can show the flamegraph, stages and hot spots of
// a brushed time range. When the chunks outgrow the budget, neighbours merge pairwise (the
// resolution halves, the whole run stays covered), as the live charts thin their oldest points.
import { mergeTrees, pruneTree, type CallTree } from "./calltree";
import { STAGE_NAMES, type StageName, type TimelineChunk } from "./run";
import { loadTree, storeTree } from "./tree-store";

/** A chunk's tree keeps frames of at least this share of it. */
export const TIMELINE_PRUNE = 0.002;
/** Tree nodes over all chunks: ~2 MB of run.json at most. */
export const TIMELINE_NODE_BUDGET = 120_000;

export class Timeline {
  private chunks: { c: TimelineChunk; tree: CallTree | null }[] = [];
  private nodes = 0;

  constructor(private readonly budget = TIMELINE_NODE_BUDGET) {}

  add(c: Omit<TimelineChunk, "tree">, tree: CallTree | null): void {
    const t = tree && tree.total > 0 ? pruneTree(tree, TIMELINE_PRUNE) : null;
    const stored = t ? storeTree(t) : null;
    this.chunks.push({ c: { ...c, tree: stored }, tree: t });
    this.nodes += stored?.nodes.length ?? 0;
    while (this.nodes > this.budget && this.chunks.length > 1) this.halve();
  }

  get all(): TimelineChunk[] {
    return this.chunks.map((x) => x.c);
  }

  private halve(): void {
    const next: { c: TimelineChunk; tree: CallTree | null }[] = [];
    for (let i = 0; i < this.chunks.length; i += 2) {
      const a = this.chunks[i];
      const b = this.chunks[i + 1];
      if (!b) {
        next.push(a);
        continue;
      }
      const trees = [a.tree, b.tree].filter((t): t is CallTree => t !== null);
      const tree = trees.length ? pruneTree(mergeTrees(trees), TIMELINE_PRUNE) : null;
      next.push({ c: { ...combine([a.c, b.c]), tree: tree ? storeTree(tree) : null }, tree });
    }
    this.chunks = next;
    this.nodes = next.reduce((n, x) => n + (x.c.tree?.nodes.length ?? 0), 0);
  }
}

/** The chunks overlapping [fromMs, toMs]: their span, requests, stage means and merged tree. */
export function timelineRange(chunks: readonly TimelineChunk[], fromMs: number, toMs: number): { chunk: Omit<TimelineChunk, "tree">; tree: CallTree | null } | null {
  const lo = Math.min(fromMs, toMs);
  const hi = Math.max(fromMs, toMs);
  const hit = chunks.filter((c) => c.endMs > lo && c.startMs < hi);
  if (hit.length === 0) return null;
  const trees = hit.flatMap((c) => (c.tree ? [loadTree(c.tree)] : []));
  return { chunk: combine(hit), tree: trees.length ? mergeTrees(trees) : null };
}

/** Neighbouring chunks as one: stage means weighted by requests; p50 and p99 are the highest chunk's (percentiles do not add). */
function combine(cs: readonly Omit<TimelineChunk, "tree">[]): Omit<TimelineChunk, "tree"> {
  const requests = cs.reduce((n, c) => n + c.requests, 0);
  const stageMeanUs = Object.fromEntries(STAGE_NAMES.map((s) => [s, requests > 0 ? cs.reduce((sum, c) => sum + c.stageMeanUs[s] * c.requests, 0) / requests : 0])) as Record<StageName, number>;
  return {
    startMs: cs[0].startMs,
    endMs: cs[cs.length - 1].endMs,
    requests,
    p50Us: Math.max(...cs.map((c) => c.p50Us)),
    p99Us: Math.max(...cs.map((c) => c.p99Us)),
    stageMeanUs,
  };
}
