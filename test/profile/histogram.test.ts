import { test } from "node:test";
import assert from "node:assert/strict";
import { LogHistogram, bucketOf, bucketLow, bucketWidth, HISTOGRAM_BUCKETS } from "../../profile/histogram";

test("every value falls in a bucket whose range contains it", () => {
  for (const v of [0, 1, 63, 64, 65, 127, 128, 1000, 12345, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 40 + 12345]) {
    const i = bucketOf(v);
    assert.ok(i >= 0 && i < HISTOGRAM_BUCKETS, `index for ${v}`);
    assert.ok(bucketLow(i) <= v && v < bucketLow(i) + bucketWidth(i), `${v} in bucket ${i} [${bucketLow(i)}, +${bucketWidth(i)})`);
  }
});

test("percentiles are within 1/64 of the exact value", () => {
  const h = new LogHistogram();
  const values: number[] = [];
  for (let i = 1; i <= 10000; i++) {
    const v = i * 1000 + (i % 7) * 13;
    values.push(v);
    h.record(v);
  }
  values.sort((a, b) => a - b);
  for (const p of [50, 90, 99, 99.9]) {
    const exact = values[Math.ceil((p / 100) * values.length) - 1];
    const got = h.percentile(p);
    assert.ok(Math.abs(got - exact) / exact <= 1 / 64, `p${p}: got ${got}, exact ${exact}`);
  }
  assert.equal(h.percentile(100), values[values.length - 1]);
  assert.equal(h.count, 10000);
});

test("merging sparse data equals recording everything in one histogram", () => {
  const a = new LogHistogram();
  const b = new LogHistogram();
  const all = new LogHistogram();
  for (let i = 0; i < 5000; i++) {
    const v = (i * 7919) % 100000;
    (i % 2 ? a : b).record(v);
    all.record(v);
  }
  const merged = LogHistogram.from(a.toJSON()).merge(b.toJSON());
  assert.deepEqual(merged.toJSON(), all.toJSON());
  assert.equal(merged.percentile(99), all.percentile(99));
});

test("an empty histogram reports zeros, not Infinity", () => {
  const h = new LogHistogram();
  assert.equal(h.percentile(50), 0);
  assert.equal(h.toJSON().min, 0);
  assert.equal(LogHistogram.from(h.toJSON()).merge(new LogHistogram()).count, 0);
});
