// Which two runs the Compare tab offers on its own: the newest run as "after", and the newest
// earlier run of the same route as "before". Never a run against itself: that shows "no change" on
// every row by construction, and a person reads it as "my change did nothing".
import type { RunSummary } from "../protocol/types";

export type ComparePick = { before: string; after: string } | { why: string };

/** runs: newest first, as the daemon lists them. */
export function defaultPick(runs: RunSummary[]): ComparePick {
  const ok = runs.filter((r) => !r.error);
  const after = ok[0];
  if (!after) return { why: "No runs yet: profile a route, then compare its runs here." };
  const before = ok.slice(1).find((r) => r.route === after.route);
  if (!before) return { why: `Only one run of ${after.route}: profile it again, or use Compare with last run.` };
  return { before: before.id, after: after.id };
}

export function sameRunRefusal(id: string): string {
  return `Before and after are the same run (${id}); a run compared with itself shows no change by construction. Pick two different runs.`;
}
