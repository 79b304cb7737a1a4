// Per-line cost of Lua functions: which line of `grind_primes` burns its 82 %. The Lua sampler
// counts the current line of each Lua frame it walks; the profile builder turns those counts into
// microseconds the same way it splits the Lua VM's time over Lua stacks (in proportion to how often
// each was seen), so a line's figures add up with the flamegraph's.
import { frameKey, type Frame } from "./frames";
import type { HotLineRow } from "./run";

/** A line's cost in one profile: `self` while it was the deepest Lua line, `total` while it was on the stack at all. */
export interface LineCost {
  /** The Lua function the line belongs to (its frame in the call tree). */
  frame: Frame;
  line: number;
  selfUs: number;
  totalUs: number;
}

/** The run file keeps at most this many lines (the hottest by self, then by total time)... */
export const HOT_LINES_LIMIT = 300;
/** ...and none below this share of busy time by both measures (a line seen once in a long run says nothing). */
export const HOT_LINES_MIN_SHARE = 0.0005;
/** A line's source text is cut to this many characters in the run file. */
export const HOT_LINE_TEXT_MAX = 120;

/** Sums line costs from several profiles (chunks, workers) by function and line. */
export class LineCostTable {
  private readonly rows = new Map<string, LineCost>();

  add(c: LineCost): void {
    const key = `${frameKey(c.frame)}#${c.line}`;
    const row = this.rows.get(key);
    if (row) {
      row.selfUs += c.selfUs;
      row.totalUs += c.totalUs;
    } else this.rows.set(key, { ...c });
  }

  addAll(costs: Iterable<LineCost>): void {
    for (const c of costs) this.add(c);
  }

  costs(): LineCost[] {
    return [...this.rows.values()];
  }
}

/** Chunks of our own (the api.* helpers, cjson, rover) are not the app's lines. */
function isAppFile(file: string | undefined): file is string {
  return file !== undefined && file !== "" && !file.startsWith("moonscope") && !file.startsWith("[");
}

/**
 * The run file's hot lines: app lines only, shares of `busyUs` (the hot spots' denominator, so the
 * two agree), the hottest first, within the size budget above. `text` answers a line's source.
 */
export function hotLineRows(costs: readonly LineCost[], busyUs: number, text: (file: string, line: number) => string | undefined): HotLineRow[] {
  if (busyUs <= 0) return [];
  const min = busyUs * HOT_LINES_MIN_SHARE;
  return costs
    .filter((c) => isAppFile(c.frame.file) && (c.selfUs >= min || c.totalUs >= min))
    .sort((a, b) => b.selfUs - a.selfUs || b.totalUs - a.totalUs || cmp(a, b))
    .slice(0, HOT_LINES_LIMIT)
    .map((c) => {
      const file = c.frame.file as string;
      const src = text(file, c.line)?.trim();
      const row: HotLineRow = {
        file,
        line: c.line,
        fn: c.frame.name,
        fnLine: c.frame.line ?? 0,
        selfUs: c.selfUs,
        totalUs: c.totalUs,
        selfShare: c.selfUs / busyUs,
        totalShare: c.totalUs / busyUs,
      };
      if (src) row.text = src.length > HOT_LINE_TEXT_MAX ? `${src.slice(0, HOT_LINE_TEXT_MAX - 1)}…` : src;
      if (c.line === row.fnLine) row.entry = true;
      return row;
    });
}

function cmp(a: LineCost, b: LineCost): number {
  const fa = a.frame.file ?? "";
  const fb = b.frame.file ?? "";
  return fa < fb ? -1 : fa > fb ? 1 : a.line - b.line;
}

/** What a hot line is, in a few words for a person: its source, or where in its function the time went. */
export function hotLineNote(row: HotLineRow): string {
  return row.entry ? `in ${row.fn} before its first call (Lua saves a running function's line only at calls)` : (row.text ?? "");
}

/** The lines of one Lua function (a flamegraph or hot-spot frame), hottest first. */
export function linesOf(rows: readonly HotLineRow[] | undefined, frame: Frame): HotLineRow[] {
  if (!rows || frame.kind !== "lua") return [];
  return rows.filter((r) => r.file === frame.file && r.fnLine === (frame.line ?? 0) && r.fn === frame.name).sort((a, b) => b.selfUs - a.selfUs || a.line - b.line);
}

/** A file's source split into lines, for `hotLineRows`' `text` (CRLF and a BOM tolerated). */
export function sourceLines(source: string): string[] {
  return source.replace(/^\uFEFF/, "").split(/\r?\n/);
}
