// The Prometheus text format writer: escaping, HELP/TYPE lines, and histograms from the log-linear
// ones (cumulative, +Inf equal to the count, each bound within the log buckets' resolution).
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { LogHistogram } from "../../profile/histogram";
import { escapeHelp, escapeLabelValue, formatValue, histogramSample, renderExposition, PROMETHEUS_CONTENT_TYPE } from "../../profile/prometheus";

describe("escaping", () => {
  test("label values escape backslash, double quote and line feed, and nothing else", () => {
    assert.equal(escapeLabelValue('a\\b"c\nd'), 'a\\\\b\\"c\\nd');
    assert.equal(escapeLabelValue("/users/:id é\t{}"), "/users/:id é\t{}");
  });

  test("HELP text escapes backslash and line feed, not double quotes", () => {
    assert.equal(escapeHelp('say "hi"\\\nnext'), 'say "hi"\\\\\\nnext');
  });

  test("values are written as Prometheus parses them", () => {
    assert.equal(formatValue(Infinity), "+Inf");
    assert.equal(formatValue(-Infinity), "-Inf");
    assert.equal(formatValue(NaN), "NaN");
    assert.equal(formatValue(42), "42");
    assert.equal(formatValue(2.5e-6), "0.0000025");
    assert.equal(Number(formatValue(1.5e-7)), 1.5e-7);
  });
});

describe("renderExposition", () => {
  test("HELP and TYPE once per family, escaped labels, families without samples left out", () => {
    const text = renderExposition([
      { name: "x_total", help: "Things.\nCounted.", type: "counter", samples: [{ labels: { route: '/a"b', method: "GET" }, value: 3 }, { labels: {}, value: 1 }] },
      { name: "empty", help: "None.", type: "gauge", samples: [] },
    ]);
    assert.equal(text, '# HELP x_total Things.\\nCounted.\n# TYPE x_total counter\nx_total{route="/a\\"b",method="GET"} 3\nx_total 1\n');
    assert.equal(PROMETHEUS_CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8");
  });

  test("bad names and an le sample label are refused", () => {
    assert.throws(() => renderExposition([{ name: "a-b", help: "", type: "gauge", samples: [{ labels: {}, value: 1 }] }]), /metric name/);
    assert.throws(() => renderExposition([{ name: "a", help: "", type: "gauge", samples: [{ labels: { "x-y": "1" }, value: 1 }] }]), /label name/);
    assert.throws(() => renderExposition([{ name: "h", help: "", type: "histogram", bounds: [1], samples: [{ labels: { le: "1" }, buckets: [0], count: 0, sum: 0 }] }]), /"le"/);
  });

  test("a histogram writes every bound, +Inf, _sum and _count, with le last among the labels", () => {
    const h = new LogHistogram();
    for (const ms of [0.5, 2, 2, 30]) h.record(ms * 1e6);
    const bounds = [0.001, 0.01, 0.1];
    const text = renderExposition([{ name: "d_seconds", help: "D.", type: "histogram", bounds, samples: [histogramSample({ stage: "handler" }, [h.toJSON()], bounds)] }]);
    assert.equal(
      text,
      [
        "# HELP d_seconds D.",
        "# TYPE d_seconds histogram",
        'd_seconds_bucket{stage="handler",le="0.001"} 1',
        'd_seconds_bucket{stage="handler",le="0.01"} 3',
        'd_seconds_bucket{stage="handler",le="0.1"} 4',
        'd_seconds_bucket{stage="handler",le="+Inf"} 4',
        'd_seconds_sum{stage="handler"} 0.0345',
        'd_seconds_count{stage="handler"} 4',
        "",
      ].join("\n"),
    );
  });
  test("a summary writes its quantiles, _sum and _count", () => {
    const text = renderExposition([{ name: "d_seconds", help: "D.", type: "summary", samples: [{ labels: { worker: "1" }, quantiles: [[0.5, 0.01], [1, 0.05]], count: 3, sum: 0.07 }] }]);
    assert.equal(text, '# HELP d_seconds D.\n# TYPE d_seconds summary\nd_seconds{worker="1",quantile="0.5"} 0.01\nd_seconds{worker="1",quantile="1"} 0.05\nd_seconds_sum{worker="1"} 0.07\nd_seconds_count{worker="1"} 3\n');
    assert.throws(() => renderExposition([{ name: "s", help: "", type: "summary", samples: [{ labels: { quantile: "1" }, quantiles: [], count: 0, sum: 0 }] }]), /"quantile"/);
  });
});

describe("histogramSample", () => {
  const bounds = [1e-6, 2.5e-6, 5e-6, 1e-5, 1e-4, 1e-3, 0.01, 0.1, 1];

  test("buckets are cumulative, never above the count, and +Inf is the count (values past the last bound too)", () => {
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    const values: number[] = [];
    const h = new LogHistogram();
    for (let i = 0; i < 5000; i++) {
      // Log-uniform from 100 ns to 10 s, so some land past the last bound (1 s).
      const ns = 100 * 10 ** (rand() * 8);
      values.push(ns);
      h.record(ns);
    }
    const s = histogramSample({}, [h.toJSON()], bounds);
    assert.equal(s.count, 5000);
    for (let i = 1; i < s.buckets.length; i++) assert.ok(s.buckets[i] >= s.buckets[i - 1], `bucket ${i} goes down`);
    assert.ok(s.buckets[s.buckets.length - 1] < s.count, "values over 1 s are only in +Inf");
    // Each bound counts the values at or below it, give or take the log buckets' width (1/64).
    bounds.forEach((b, i) => {
      const ns = b * 1e9;
      const surelyBelow = values.filter((v) => v <= ns * (1 - 1 / 64)).length;
      const maybeBelow = values.filter((v) => v <= ns * (1 + 1 / 64)).length;
      assert.ok(s.buckets[i] >= surelyBelow && s.buckets[i] <= maybeBelow, `le=${b}: ${s.buckets[i]} outside [${surelyBelow}, ${maybeBelow}]`);
    });
    assert.ok(Math.abs(s.sum - values.reduce((a, v) => a + v, 0) / 1e9) < 1e-6, "the sum is in seconds");
  });

  test("several histograms (one per worker) add up to their merge", () => {
    const a = new LogHistogram();
    const b = new LogHistogram();
    for (let i = 1; i <= 300; i++) (i % 2 ? a : b).record(i * 3001);
    const both = histogramSample({}, [a.toJSON(), b.toJSON()], bounds);
    const merged = histogramSample({}, [new LogHistogram().merge(a).merge(b).toJSON()], bounds);
    assert.deepEqual(both, merged);
    assert.equal(both.count, 300);
  });

  test("an empty histogram has zero buckets", () => {
    const s = histogramSample({ x: "1" }, [new LogHistogram().toJSON()], bounds);
    assert.deepEqual(s.buckets, bounds.map(() => 0));
    assert.equal(s.count, 0);
    assert.equal(s.sum, 0);
  });
});
