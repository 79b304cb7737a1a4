// What the editor shows of a run's hot lines, worked out without VS Code: for each file of the app,
// the lines to mark, how hot each is (a heat level for its colour), the inline label and the hover.
// A line whose text changed since the run is left unmarked (its figures belong to other code).
import * as path from "node:path";
import { hotLineNote, type HotLineRow, type RunFile } from "../protocol/types";

/** Heat levels by self share (then total share): the decoration colours' steps, hottest last. */
export const HEAT_STEPS = [0.01, 0.05, 0.15] as const;
export type HeatLevel = 0 | 1 | 2 | 3;

export interface HotLineMark {
  /** 0-based, as VS Code counts. */
  line: number;
  level: HeatLevel;
  /** After the line's text: "  43.1% self · 85.6% total". */
  label: string;
  /** Markdown for the hover. */
  hover: string;
  row: HotLineRow;
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const ms = (us: number) => (us >= 1000 ? `${(us / 1000).toFixed(1)} ms` : `${us.toFixed(0)} µs`);

export function heatLevel(row: HotLineRow): HeatLevel {
  const share = Math.max(row.selfShare, row.totalShare / 2);
  let level = 0;
  for (const step of HEAT_STEPS) if (share >= step) level++;
  return level as HeatLevel;
}

/** A row's line still holds what was profiled: same text (as the run trimmed and cut it), or no text kept to compare. */
export function sameLine(row: HotLineRow, current: string | undefined): boolean {
  if (current === undefined) return false;
  if (row.text === undefined) return true;
  const now = current.trim();
  return row.text.endsWith("…") ? now.startsWith(row.text.slice(0, -1)) : now === row.text;
}

/**
 * The marks of a run, by absolute file path. `lineText(file, n)` answers line n (1-based) of a file
 * as it is now in the editor or on disk, undefined when there is no such line.
 */
export function hotLineMarks(run: RunFile, lineText: (file: string, line: number) => string | undefined, minShare = 0.001): Map<string, HotLineMark[]> {
  const appDir = path.dirname(run.app.file);
  const out = new Map<string, HotLineMark[]>();
  const when = `${run.route.method} ${run.route.path}, run ${run.id}`;
  for (const row of run.hotLines ?? []) {
    if (row.selfShare < minShare && row.totalShare < minShare) continue;
    const file = path.resolve(appDir, row.file);
    if (!sameLine(row, lineText(file, row.line))) continue;
    const label = `${pct(row.selfShare)} self · ${pct(row.totalShare)} total`;
    const hover = [
      `**Moonscope** · ${when}`,
      "",
      `\`${row.fn}\` line ${row.line}: **${pct(row.selfShare)}** of busy CPU in the line itself (${ms(row.selfUs)}), **${pct(row.totalShare)}** with the calls it made (${ms(row.totalUs)}).`,
      ...(row.entry ? ["", hotLineNote(row) + "."] : []),
    ].join("\n");
    let marks = out.get(file);
    if (!marks) out.set(file, (marks = []));
    marks.push({ line: row.line - 1, level: heatLevel(row), label, hover, row });
  }
  for (const marks of out.values()) marks.sort((a, b) => a.line - b.line);
  return out;
}
