// A Lua function's hottest lines as the panel words them (the flamegraph's tooltip, the hot spots'
// rows), from the run's hot lines.
import { hotLineNote, linesOf } from "../profile/hot-lines";
import type { Frame } from "../profile/frames";
import type { HotLineRow } from "../profile/run";
import { share } from "./format";

/** At most this many lines per function: the tooltip stays a tooltip. */
const MAX_LINES = 3;

/** "line 6: 39.9% self, 85.6% total · return fib(n - 1) + fib(n - 2)", hottest first. */
export function lineSummaries(rows: readonly HotLineRow[] | undefined, frame: Frame): string[] {
  return linesOf(rows, frame)
    .slice(0, MAX_LINES)
    .map((r) => {
      const note = hotLineNote(r);
      return `line ${r.line}: ${share(r.selfShare)} self, ${share(r.totalShare)} total${note ? ` · ${note}` : ""}`;
    });
}

/** One short line for a table row: "lines 4: 52.2%, 6: 38.6%" (self shares), hottest first. */
export function lineShares(rows: readonly HotLineRow[] | undefined, frame: Frame): string {
  const lines = linesOf(rows, frame).slice(0, MAX_LINES);
  return lines.length ? `line${lines.length > 1 ? "s" : ""} ${lines.map((r) => `${r.line}: ${share(r.selfShare)}`).join(", ")}` : "";
}
