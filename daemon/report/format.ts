// The report a person reads in ten seconds, as terminal text.
import path from "node:path";
import { frameLabel } from "../../profile/frames";
import { hotLineNote } from "../../profile/hot-lines";
import type { Priority, RunFile } from "../../profile/run";
import { plain, type Paint, type Style } from "./paint";

const ms = (us: number) => (us >= 1000 ? `${(us / 1000).toFixed(2)} ms` : `${us.toFixed(us < 10 ? 2 : 0)} us`);
const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const mb = (b: number) => `${(b / 1048576).toFixed(0)} MB`;
const num = (n: number) => (n >= 10000 ? `${(n / 1000).toFixed(1)}k` : n.toFixed(0));

/** Columns padded to their widest cell; `style` colours a cell after padding (codes would count as width). */
function table(head: string[], rows: string[][], right: boolean[], style: (row: number, col: number, text: string) => string = (_r, _c, t) => t): string {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[], row: number) =>
    cells
      .map((c, i) => (right[i] ? c.padStart(w[i]) : c.padEnd(w[i])))
      .map((c, i) => (row < 0 ? c : style(row, i, c)))
      .join("  ")
      .trimEnd();
  return [line(head, -1), ...rows.map((r, i) => line(r, i))].join("\n");
}

const PRIORITY_STYLE: Record<Priority, Style | null> = { CRITICAL: "critical", HIGH: "high", MEDIUM: null, LOW: "dim" };

export function formatReport(run: RunFile, dir: string, cwd = process.cwd(), paint: Paint = plain): string {
  const c = run.client;
  const s = run.server;
  const out: string[] = [];
  const external = c.generator === "external";
  const load = external ? "load from elsewhere" : `${run.options.connections} connections${run.options.rate ? `, ${run.options.rate} req/s fixed` : ""}`;
  out.push(`${run.route.method} ${run.route.path}  (${run.route.name}, ${run.route.file ?? path.basename(run.app.file)}:${run.route.line})  ${run.options.workers} worker(s), ${load}, ${(c.durationMs / 1000).toFixed(1)} s`);
  out.push("");
  if (c.requests === 0 && c.errors === 0) {
    out.push(`Throughput  no request of this route arrived${external ? " at the URL it waited at" : ""}: nothing to measure`);
  } else {
    out.push(`Throughput  ${num(c.rps)} req/s   (${c.requests} requests, ${external ? "counted by the server" : `${c.errors} errors`}, ${c.non2xx} non-2xx)`);
    const l = c.latencyUs;
    out.push(`Latency     p50 ${ms(l.p50)}   p90 ${ms(l.p90)}   p99 ${ms(l.p99)}   p99.9 ${ms(l.p999)}   max ${ms(l.max)}   ${external ? "(server side: the load came from elsewhere, so no client of ours timed it)" : `(client side, ${c.generator})`}`);
  }
  out.push(`Server      p50 ${ms(s.latencyUs.p50)}   p99 ${ms(s.latencyUs.p99)}   mean ${ms(s.latencyUs.mean)}   (first byte in → response written)`);
  out.push("");
  out.push(
    table(
      ["stage", "p50", "p99", "mean", "share", "priority"],
      s.stages.map((r) => [r.stage, ms(r.p50Us), ms(r.p99Us), ms(r.meanUs), pct(r.share), r.priority]),
      [false, true, true, true, true, false],
      (row, col, text) => {
        const style = PRIORITY_STYLE[s.stages[row].priority];
        return style && (col === 0 || col === 5) ? paint(style, text) : text;
      },
    ),
  );
  const diff = s.unaccountedUs;
  out.push(`stages sum ${ms(s.stageSumUs)} of ${ms(s.latencyUs.mean)} server mean${Math.abs(diff) > 0.05 ? ` (difference ${ms(Math.abs(diff))})` : " (no difference)"}`);
  out.push("");
  out.push(
    table(
      ["process", "CPU", "RSS", "Lua heap", "requests", "loop p99", "GC"],
      [
        ...run.workers.map((w) => [`worker ${w.worker} (pid ${w.pid})`, `${w.cpuPercent.toFixed(0)}%`, mb(w.rssBytes), mb(w.luaHeapBytes), String(w.requests), ms(w.eventLoopDelayP99Us), `${w.gcPauseMs.toFixed(0)} ms`]),
        ...(external ? [] : [[`load generator (${c.generator})`, `${c.cpuPercent.toFixed(0)}%`, "", "", "", "", ""]]),
      ],
      [false, true, true, true, true, true, true],
    ),
  );
  out.push("");
  out.push(paint("bold", `Verdict: ${run.verdict.message}`));
  if (run.hotSpots.length) {
    out.push("");
    out.push("Hot spots (self time, share of busy CPU):");
    out.push(
      table(
        ["self", "total", "kind", "function"],
        run.hotSpots.slice(0, 10).map((h) => [pct(h.selfShare), pct(h.totalShare), h.frame.kind, frameLabel(h.frame)]),
        [true, true, false, false],
      ),
    );
  }
  const lines = (run.hotLines ?? []).slice(0, 10);
  if (lines.length) {
    out.push("");
    out.push("Hot lines (Lua; self: the line itself, total: with the calls it made; share of busy CPU):");
    out.push(
      table(
        ["self", "total", "line", "function", "source"],
        lines.map((h) => [pct(h.selfShare), pct(h.totalShare), `${h.file}:${h.line}`, h.fn, hotLineNote(h)]),
        [true, true, false, false, false],
      ),
    );
  }
  const cost = samplingCostLine(run);
  if (cost) {
    out.push("");
    out.push(cost);
  }
  if (run.external) {
    out.push("");
    if (run.external.report) out.push(`${run.external.tool} report: ${path.relative(cwd, path.join(dir, run.external.report))}`);
    const d = run.external.doctor;
    if (d) {
      out.push(
        `Clinic Doctor diagnosis: ${d.issueCategory ?? "none given"}; ${d.samples} samples: CPU ${d.cpuPercent.mean.toFixed(0)}% mean / ${d.cpuPercent.max.toFixed(0)}% max, event-loop delay ${d.delayMs.mean.toFixed(1)} ms mean / ${d.delayMs.max.toFixed(1)} ms max, RSS ${mb(d.rssBytes.max)} max, heap ${mb(d.heapUsedBytes.max)} max, handles ${d.handles.max.toFixed(0)} max`,
      );
    }
  }
  for (const w of run.warnings) out.push(paint("warn", `warning: ${w}`));
  for (const b of run.budgets) out.push(b.ok ? paint("good", `budget ok: ${b.message}`) : paint("bad", `BUDGET MISSED: ${b.message}`));
  out.push("");
  const rel = path.relative(cwd, dir) || ".";
  const f = run.profile.files;
  out.push(`Run saved in ${rel}/ (${["run.json", ...Object.values(f)].join(", ")})`);
  return out.join("\n");
}

/** What the samplers cost this run, in one line (null for runs without a profile or from before it was measured). */
export function samplingCostLine(run: RunFile): string | null {
  const c = run.profile.samplingCost;
  if (!c) return null;
  const reader = c.luaMethod === "interrupt" ? "Lua interrupt sampler" : "Lua stack reader";
  const parts = [c.luaMethod !== null ? `${reader} ${c.luaCpuMs === null ? "unknown" : `${c.luaCpuMs.toFixed(0)} ms`}` : null, `V8 sampler thread ${c.v8CpuMs === null ? "unknown" : `${c.v8CpuMs.toFixed(0)} ms`}`].filter((p) => p !== null);
  const head = c.share === null ? "Sampling cost: not measurable here (thread CPU times come from Linux's /proc)" : `Sampling cost: ${pct(c.share)} of the workers' CPU`;
  const fallback = c.fallback ? `; the interrupt sampler stood in because ${c.fallback}` : "";
  return `${head} (${parts.join(", ")}; V8's sampling signal on the workers' threads not included)${fallback}${noSpareCoreNote(run)}`;
}

/**
 * The samplers' threads wake hundreds of times a second. With a core to spare they run there and
 * cost the workers nothing measurable; with a worker on every core each wake-up takes a worker's
 * turn on its core, and the worker then waits behind the others: throughput and the tail pay far
 * more than the samplers' own CPU (the README's "Speed" section has the measurements).
 */
function noSpareCoreNote(run: RunFile): string {
  const cores = run.machine?.cores;
  const workers = run.options.workers;
  if (!cores || workers < cores) return "";
  return `. With ${workers} worker${workers === 1 ? "" : "s"} on ${cores} core${cores === 1 ? "" : "s"} no core is free for the samplers' threads, so each of their wake-ups also takes a worker's turn: the run's throughput and tail latency pay more than this figure${cores > 1 ? `; --workers ${cores - 1} leaves one free for them` : ""}`;
}
