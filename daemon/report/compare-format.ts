// A comparison as text for a terminal and as Markdown for a pull request (`moonscope compare`,
// `moonscope ab`). The verdicts are profile/compare.ts's; this only lays them out.
import { allDeltas, headline, type Comparison, type Delta } from "../../profile/compare";
import { frameLabel } from "../../profile/frames";
import type { Paint } from "./paint";

const fmtUs = (us: number) => (us >= 1000 ? `${(us / 1000).toFixed(2)} ms` : `${us.toFixed(2)} us`);
const pct = (r: number): string => `${r >= 0 ? "+" : "−"}${Math.abs(r * 100).toFixed(1)}%`;

/** Throughput in requests per second, everything else is a time. */
function unitOf(d: Delta): (v: number) => string {
  return d.name === "req/s" ? (v) => `${v.toFixed(0)}/s` : fmtUs;
}

export function formatComparison(c: Comparison, paint: Paint, extra: string[] = []): string {
  const out: string[] = [];
  out.push(`Compare ${c.route}: A = ${c.before.id}, B = ${c.after.id}`);
  out.push(`How: ${c.method.summary}`);
  for (const d of c.differences) out.push(`Differs: ${d}`);
  for (const n of c.notes) out.push(`note: ${n}`);
  const h = headline(c);
  const look = h.change === "slower" ? "bad" : h.change === "faster" ? "good" : h.change === "mixed" ? "warn" : "bold";
  out.push("", paint(look, `Verdict: ${h.text}`));
  const line = (group: string, d: Delta): string => {
    const unit = unitOf(d);
    const mark = d.change === "slower" ? paint("bad", "SLOWER") : d.change === "faster" ? paint("good", "FASTER") : "  -   ";
    return `  ${mark} ${d.name.padEnd(10)} ${unit(d.before).padStart(10)} -> ${unit(d.after).padStart(10)}  ${pct(d.relative).padStart(7)}  ${d.change === "no change" ? paint("dim", d.why) : d.why}`;
  };
  let group = "";
  const titles: Record<string, string> = { client: "Client:", cost: "Cost (the workers' CPU time per request):", "client latency": "Client latency:", "stage mean": "Stage means:", "stage p99": "Stage p99:" };
  for (const { group: g, delta } of allDeltas(c)) {
    if (g !== group) {
      if (!(group === "client" && g === "client latency")) out.push("", titles[g]);
      group = g;
    }
    out.push(line(g, delta));
  }
  const moved = c.frames.filter((f) => Math.abs(f.deltaShare) >= 0.005).slice(0, 10);
  if (moved.length) {
    out.push("", "Functions whose share of busy CPU changed most:");
    for (const f of moved) out.push(`  ${pct(f.deltaShare).padStart(7)}  ${(f.beforeShare * 100).toFixed(1)}% -> ${(f.afterShare * 100).toFixed(1)}%  ${frameLabel(f.frame)}`);
  }
  if (extra.length) out.push("", ...extra);
  return out.join("\n");
}

const mdEscape = (s: string) => s.replace(/\|/g, "\\|");

/** A Markdown summary for a pull request: the verdict, how it was measured, what differs, and one table. */
export function markdownComparison(c: Comparison): string {
  const out: string[] = [];
  const h = headline(c);
  out.push(`### Moonscope: ${mdEscape(c.route)} — ${h.change === "no change" ? "no change detected" : h.change}`);
  out.push("");
  out.push(`${mdEscape(h.text)}`);
  out.push("");
  out.push(`*${mdEscape(c.method.summary)}.* A = \`${c.before.id}\`, B = \`${c.after.id}\`.`);
  for (const d of c.differences) out.push(`- ${mdEscape(d)}`);
  out.push("");
  out.push("| metric | A | B | change | verdict |");
  out.push("|---|---:|---:|---:|---|");
  for (const { group, delta: d } of allDeltas(c)) {
    const unit = unitOf(d);
    const name = group === "stage mean" ? `${d.name} (mean)` : group === "stage p99" ? `${d.name} (p99)` : d.name;
    const verdict = d.change === "no change" ? `no change (±${(d.detectable * 100).toFixed(0)}%)` : `**${d.change}**`;
    out.push(`| ${mdEscape(name)} | ${unit(d.before)} | ${unit(d.after)} | ${pct(d.relative)} | ${verdict} |`);
  }
  return out.join("\n") + "\n";
}
