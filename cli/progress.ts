// What `moonscope profile` says on stderr while it runs. On a terminal: one line redrawn in place,
// a countdown while it warms up, then a bar with a smoothed req/s (frames arrive 4 times a second
// and jump around; the smoothed figure is what a person can read). In a log (CI, a pipe): one line
// per phase. With --quiet: nothing.
import type { Progress } from "../daemon/session/profile-session";

/** Weight of the newest frame in the smoothed req/s (an exponential moving average over ~2 s of frames). */
const SMOOTHING = 0.25;

export class ProgressLine {
  private lastStep = "";
  private smoothedRps: number | null = null;
  private countdown: NodeJS.Timeout | null = null;

  constructor(
    private readonly out: NodeJS.WriteStream,
    private readonly mode: "tty" | "log" | "quiet",
    private readonly warmupMs: number,
  ) {}

  update(p: Progress): void {
    // A new round, or the other side of ab, is a new step too (and its req/s starts afresh).
    const step = `${p.phase}:${p.round?.index ?? ""}:${p.side ?? ""}`;
    const entered = step !== this.lastStep;
    // Where to point load from elsewhere is an instruction, not progress: it prints even with --quiet, on a line of its own.
    if (p.loadUrl) {
      if (this.mode === "tty") this.out.write("\r\u001b[K");
      this.out.write(`${p.message}\n`);
      if (this.mode !== "tty") {
        this.lastStep = step;
        return;
      }
    }
    if (this.mode === "quiet") return;
    this.lastStep = step;
    if (entered) this.smoothedRps = null;
    if (this.mode === "log") {
      if (entered && p.message) this.out.write(`${p.message}...\n`);
      return;
    }
    if (entered) this.stopCountdown();
    if (p.phase === "warmup" && entered && this.warmupMs > 0) return this.startCountdown(p.message);
    if (p.phase === "measuring" && p.durationMs && p.elapsedMs !== undefined) {
      if (p.rps !== undefined) this.smoothedRps = this.smoothedRps === null ? p.rps : this.smoothedRps + SMOOTHING * (p.rps - this.smoothedRps);
      const frac = Math.min(1, p.elapsedMs / p.durationMs);
      const bar = "#".repeat(Math.round(frac * 24)).padEnd(24, ".");
      const live = this.smoothedRps !== null ? `  ${Math.round(this.smoothedRps)} req/s  server p99 ${(p.serverP99Us ?? 0).toFixed(0)} us` : "";
      const which = `${p.round ? ` round ${p.round.index + 1}/${p.round.count}` : ""}${p.side ? ` ${p.side}` : ""}`;
      this.draw(`[${bar}] ${(p.elapsedMs / 1000).toFixed(1)}/${(p.durationMs / 1000).toFixed(0)} s${which}${live}`);
      return;
    }
    if (p.phase !== "warmup") this.draw(`${p.message}...`);
  }

  /** Clears the line (before the report is printed). */
  done(): void {
    this.stopCountdown();
    if (this.mode === "tty") this.out.write("\r\u001b[K");
  }

  private startCountdown(message: string): void {
    const end = Date.now() + this.warmupMs;
    const tick = () => this.draw(`${message.replace(/ for [\d.]+ s/, "")}: ${Math.max(0, Math.ceil((end - Date.now()) / 1000))} s left`);
    tick();
    this.countdown = setInterval(tick, 250);
    this.countdown.unref();
  }

  private stopCountdown(): void {
    if (this.countdown) clearInterval(this.countdown);
    this.countdown = null;
  }

  private draw(text: string): void {
    this.out.write(`\r${text}\u001b[K`);
  }
}
