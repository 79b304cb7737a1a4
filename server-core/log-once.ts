// Logging for errors that can repeat on every request (a failing handler under load): the same
// message is logged at most once per 5 s, and the next one says how many were left out.
import type { ErrorCode } from "../profile/errors";

type Level = "info" | "warn" | "error";

const WINDOW_MS = 5000;
/** Bounds the memory of distinct messages (they may hold request data). */
const MAX_KEYS = 1000;

export class LogOnce {
  private readonly log: (level: Level, code: ErrorCode, message: string) => void;
  private readonly seen = new Map<string, { at: number; suppressed: number }>();

  constructor(log: (level: Level, code: ErrorCode, message: string) => void) {
    this.log = log;
  }

  /** Logs unless the same code and first line were logged in the last 5 s (then only counts it). */
  write(level: Level, code: ErrorCode, message: string): void {
    const key = code + message.split("\n")[0];
    const t = performance.now();
    const seen = this.seen.get(key);
    if (seen && t - seen.at < WINDOW_MS) {
      seen.suppressed++;
      return;
    }
    const suffix = seen && seen.suppressed > 0 ? ` (and ${seen.suppressed} more like it in the last 5 s)` : "";
    this.seen.set(key, { at: t, suppressed: 0 });
    if (this.seen.size > MAX_KEYS) this.seen.clear();
    this.log(level, code, message + suffix);
  }
}
