// The Prometheus text exposition format (version 0.0.4), written from plain numbers: HELP and TYPE
// lines, escaped label values, and histograms with cumulative `le` buckets, `_sum` and `_count`. A
// text format like the export formats, so it lives in the pure ground; what Moonscope exposes in
// it is server-core/metrics.ts.
import { bucketLow, bucketWidth, type HistogramData } from "./histogram";

/** The Content-Type of a scrape answer (what Prometheus asks for with Accept: text/plain;version=0.0.4). */
export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

export type Labels = Readonly<Record<string, string>>;

export interface ValueSample {
  labels: Labels;
  value: number;
}

export interface HistogramSample {
  labels: Labels;
  /** Observations at or below each bound of the family, cumulative (so never decreasing). */
  buckets: readonly number[];
  count: number;
  sum: number;
}

/** Quantiles of a distribution that cannot be a histogram (its buckets would not only grow), with its sum and count. */
export interface SummarySample {
  labels: Labels;
  /** [quantile in 0..1, value] */
  quantiles: readonly (readonly [number, number])[];
  count: number;
  sum: number;
}

export type MetricFamily =
  | { name: string; help: string; type: "counter" | "gauge"; samples: readonly ValueSample[] }
  | { name: string; help: string; type: "histogram"; bounds: readonly number[]; samples: readonly HistogramSample[] }
  | { name: string; help: string; type: "summary"; samples: readonly SummarySample[] };

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** A label value inside its double quotes: backslash, double quote and line feed escaped. */
export function escapeLabelValue(v: string): string {
  return v.replace(/[\\"\n]/g, (c) => (c === "\n" ? "\\n" : "\\" + c));
}

/** HELP text: backslash and line feed escaped (a double quote stays as it is). */
export function escapeHelp(v: string): string {
  return v.replace(/[\\\n]/g, (c) => (c === "\n" ? "\\n" : "\\\\"));
}

/** A sample value or a bound as Prometheus parses it (Go's ParseFloat): +Inf, -Inf, NaN, or a plain number. */
export function formatValue(n: number): string {
  if (Number.isNaN(n)) return "NaN";
  if (n === Infinity) return "+Inf";
  if (n === -Infinity) return "-Inf";
  return String(n);
}

function labelText(labels: Labels, extra?: [string, string]): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(labels)) {
    if (!LABEL_NAME.test(k) || k.startsWith("__")) throw new Error(`not a Prometheus label name: ${k}`);
    parts.push(`${k}="${escapeLabelValue(v)}"`);
  }
  if (extra) parts.push(`${extra[0]}="${escapeLabelValue(extra[1])}"`);
  return parts.length ? `{${parts.join(",")}}` : "";
}

/** The families as one exposition text (families without samples are left out: no series, no HELP line). */
export function renderExposition(families: readonly MetricFamily[]): string {
  let out = "";
  for (const f of families) {
    if (!NAME.test(f.name)) throw new Error(`not a Prometheus metric name: ${f.name}`);
    if (f.samples.length === 0) continue;
    out += `# HELP ${f.name} ${escapeHelp(f.help)}\n# TYPE ${f.name} ${f.type}\n`;
    switch (f.type) {
      case "counter":
      case "gauge":
        for (const s of f.samples) out += `${f.name}${labelText(s.labels)} ${formatValue(s.value)}\n`;
        break;
      case "summary":
        for (const s of f.samples) {
          if (s.labels.quantile !== undefined) throw new Error(`${f.name}: "quantile" is the summary's label and cannot be a sample label`);
          for (const [q, v] of s.quantiles) out += `${f.name}${labelText(s.labels, ["quantile", formatValue(q)])} ${formatValue(v)}\n`;
          out += `${f.name}_sum${labelText(s.labels)} ${formatValue(s.sum)}\n`;
          out += `${f.name}_count${labelText(s.labels)} ${formatValue(s.count)}\n`;
        }
        break;
      case "histogram":
        for (const s of f.samples) {
          if (s.labels.le !== undefined) throw new Error(`${f.name}: "le" is the bucket label and cannot be a sample label`);
          if (s.buckets.length !== f.bounds.length) throw new Error(`${f.name}: ${s.buckets.length} bucket counts for ${f.bounds.length} bounds`);
          for (let i = 0; i < f.bounds.length; i++) out += `${f.name}_bucket${labelText(s.labels, ["le", formatValue(f.bounds[i])])} ${formatValue(s.buckets[i])}\n`;
          out += `${f.name}_bucket${labelText(s.labels, ["le", "+Inf"])} ${formatValue(s.count)}\n`;
          out += `${f.name}_sum${labelText(s.labels)} ${formatValue(s.sum)}\n`;
          out += `${f.name}_count${labelText(s.labels)} ${formatValue(s.count)}\n`;
        }
        break;
    }
  }
  return out;
}

/**
 * One Prometheus histogram sample from log-linear histograms (profile/histogram.ts, in ns; several
 * are summed, e.g. one per worker), at bounds given in seconds. A log-linear bucket counts toward
 * the first bound at or above its midpoint, the value `LogHistogram.percentile` reports for it, so
 * a bucket straddling a bound moves by at most half its width (1/128 of the value). The buckets
 * are cumulative and the last one never exceeds the count, which is the `+Inf` bucket.
 */
export function histogramSample(labels: Labels, hs: readonly HistogramData[], boundsSeconds: readonly number[]): HistogramSample {
  const boundsNs = boundsSeconds.map((b) => b * 1e9);
  const per = new Array<number>(boundsNs.length).fill(0);
  let count = 0;
  let sumNs = 0;
  for (const h of hs) {
    count += h.count;
    sumNs += h.sum;
    const b = h.buckets;
    let j = 0;
    for (let i = 0; i + 1 < b.length; i += 2) {
      const mid = bucketLow(b[i]) + bucketWidth(b[i]) / 2;
      // Sparse buckets come in increasing index order (toJSON), so the bound pointer only moves forward.
      if (i > 0 && b[i] < b[i - 2]) j = 0;
      while (j < boundsNs.length && boundsNs[j] < mid) j++;
      if (j < boundsNs.length) per[j] += b[i + 1];
    }
  }
  const buckets: number[] = [];
  let acc = 0;
  for (const c of per) {
    acc += c;
    buckets.push(Math.min(acc, count));
  }
  return { labels, buckets, count, sum: sumNs / 1e9 };
}
