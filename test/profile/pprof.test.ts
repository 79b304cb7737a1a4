// The pprof export, decoded with pprof-format (the library Datadog's profiler encodes with): sample
// values add up to the trees, the stage, worker and route are labels (not frames), Lua frames keep
// their file and line; and an old run's run.json exports the same way (moonscope export).
import { test } from "node:test";
import assert from "node:assert/strict";
import { gunzipSync } from "node:zlib";
import { Profile } from "pprof-format";
import { fromFolded, mergeTrees, type CallTree } from "../../profile/calltree";
import { EXPORT_FORMATS } from "../../profile/exports";
import { PPROF_LABELS, encodePprof } from "../../profile/pprof";
import type { RunFile } from "../../profile/run";
import { storeTree } from "../../profile/tree-store";
import { exportBytes, exportInput, renderExport } from "../../daemon/report/export";

const W1 = fromFolded(`[handler];runHandler (server-core/worker.ts:300);api.slow.get (app.lua:12);churn (app.lua:4) 7300.5
[handler];runHandler (server-core/worker.ts:300);api.slow.get (app.lua:12) 1200.25
[parse];execute (server-core/http/parser.ts:80) 333.3
(idle) 5000
`);
const W2 = fromFolded(`[handler];runHandler (server-core/worker.ts:300);api.slow.get (app.lua:12);churn (app.lua:4) 9100
[serialize];serialize (server-core/worker.ts:400) 444.4
(garbage collector) 120
`);

interface Decoded {
  p: Profile;
  s: (i: number | bigint) => string;
  samples: { stack: { name: string; file: string; line: number; startLine: number }[]; n: number; ns: number; labels: Record<string, string | number> }[];
}

function decode(bytes: Uint8Array): Decoded {
  const p = Profile.decode(bytes);
  const s = (i: number | bigint) => p.stringTable.strings[Number(i)];
  const fns = new Map(p.function.map((f) => [Number(f.id), f]));
  const locs = new Map(p.location.map((l) => [Number(l.id), l]));
  const samples = p.sample.map((x) => ({
    stack: x.locationId.map((id) => {
      const line = locs.get(Number(id))!.line[0];
      const f = fns.get(Number(line.functionId))!;
      return { name: s(f.name), file: s(f.filename), line: Number(line.line), startLine: Number(f.startLine) };
    }),
    n: Number(x.value[0]),
    ns: Number(x.value[1]),
    labels: Object.fromEntries(x.label.map((l) => [s(l.key), Number(l.str) !== 0 ? s(l.str) : Number(l.num)])),
  }));
  return { p, s, samples };
}

test("pprof: samples/count and cpu/nanoseconds add up to the trees, stages and workers are labels", () => {
  const { p, s, samples } = decode(
    encodePprof({ trees: [{ worker: 1, pid: 101, tree: W1 }, { worker: 2, pid: 102, tree: W2 }], route: "GET /slow", periodUs: 2500, startMs: 1_700_000_000_000, durationMs: 3000 }),
  );
  assert.deepEqual(p.sampleType.map((t) => `${s(t.type)}/${s(t.unit)}`), ["samples/count", "cpu/nanoseconds"]);
  assert.equal(`${s(p.periodType!.type)}/${s(p.periodType!.unit)}`, "cpu/nanoseconds");
  assert.equal(Number(p.period), 2_500_000);
  assert.equal(s(p.defaultSampleType), "cpu");
  assert.equal(Number(p.durationNanos), 3e9);
  assert.equal(BigInt(p.timeNanos), 1_700_000_000_000n * 1_000_000n);

  const total = W1.total + W2.total;
  assert.equal(samples.reduce((a, x) => a + x.ns, 0), Math.round(total * 1000), "cpu/nanoseconds sum to the trees' µs");
  assert.equal(samples.reduce((a, x) => a + x.n, 0), Math.round(total / 2500), "samples/count: the same over the interval");
  for (const x of samples) assert.ok(x.n >= 0 && x.ns >= 0);

  // Stage roots are labels, never frames.
  for (const x of samples) for (const f of x.stack) assert.ok(!/^\[.*\]$/.test(f.name), `no stage frame: ${f.name}`);
  const handler = samples.filter((x) => x.labels[PPROF_LABELS.stage] === "handler");
  assert.equal(handler.reduce((a, x) => a + x.ns, 0) / 1000, 7300.5 + 1200.25 + 9100, "the handler stage's time, ±rounding");
  assert.deepEqual([...new Set(samples.map((x) => x.labels.stage).filter(Boolean))].sort(), ["handler", "parse", "serialize"]);
  for (const x of samples) assert.equal(x.labels[PPROF_LABELS.route], "GET /slow");
  const byWorker = (w: string) => samples.filter((x) => x.labels[PPROF_LABELS.worker] === w).reduce((a, x) => a + x.ns, 0);
  assert.ok(Math.abs(byWorker("1") - W1.total * 1000) <= 1);
  assert.ok(Math.abs(byWorker("2") - W2.total * 1000) <= 1);
  assert.ok(samples.every((x) => x.labels[PPROF_LABELS.pid] === 101 || x.labels[PPROF_LABELS.pid] === 102));
  // Idle and GC stay frames of their own, without a stage.
  const idle = samples.find((x) => x.stack[0]?.name === "(idle)")!;
  assert.equal(idle.labels.stage, undefined);

  // Leaf first; a Lua function keeps its file and start line.
  const churn = samples.filter((x) => x.stack[0]?.name === "churn");
  assert.equal(churn.length, 2);
  assert.deepEqual(churn[0].stack.map((f) => `${f.name} ${f.file}:${f.line}/${f.startLine}`), [
    "churn app.lua:4/4",
    "api.slow.get app.lua:12/12",
    "runHandler server-core/worker.ts:300/300",
  ]);
  // One function and one location per frame.
  assert.equal(new Set(p.function.map((f) => `${s(f.name)}@${s(f.filename)}:${f.startLine}`)).size, p.function.length);
});

test("pprof: deep recursion and a merged tree without workers", () => {
  const deep = fromFolded(`[handler];${Array.from({ length: 20_000 }, () => "fib (app.lua:2)").join(";")} 10\n`);
  const { samples } = decode(encodePprof({ trees: [{ tree: deep }], route: "GET /fib", periodUs: 1000 }));
  assert.equal(samples.length, 1);
  assert.equal(samples[0].stack.length, 20_000);
  assert.equal(samples[0].labels.worker, undefined);
  assert.equal(samples[0].ns, 10_000);
});

function oldRun(trees: CallTree[]): RunFile {
  // The fields an export reads, as a run from before pprof existed stored them (no profile.pb.gz in files).
  return {
    id: "2024-01-01T00-00-00-000Z-slow",
    createdAt: "2024-01-01T00:00:00.000Z",
    route: { method: "GET", path: "/slow", name: "api.slow.get", line: 12 },
    options: { cpuIntervalUs: 1000, durationMs: 2000 },
    session: { windowMs: 2000, firstSnapshotMs: null },
    profile: {
      mode: "sample",
      luaSamples: 10,
      merged: storeTree(mergeTrees(trees)),
      perWorker: trees.map((t, i) => ({ worker: i + 1, pid: 200 + i, tree: storeTree(t) })),
      files: { svg: "flamegraph.svg" },
    },
  } as unknown as RunFile;
}

test("moonscope export's pprof: an old run's stored trees, gzipped, one worker with --worker", () => {
  const run = oldRun([W1, W2]);
  assert.equal(EXPORT_FORMATS.pprof.file, "profile.pb.gz");
  const gz = renderExport(run, "pprof") as Buffer;
  assert.ok(Buffer.isBuffer(gz) && gz[0] === 0x1f && gz[1] === 0x8b, "gzip magic");
  const { samples } = decode(gunzipSync(gz));
  assert.equal(samples.reduce((a, x) => a + x.ns, 0), Math.round((W1.total + W2.total) * 1000));
  assert.deepEqual([...new Set(samples.map((x) => x.labels.worker))].sort(), ["1", "2"]);
  const one = decode(gunzipSync(renderExport(run, "pprof", "2") as Buffer));
  assert.deepEqual([...new Set(one.samples.map((x) => x.labels.worker))], ["2"]);
  assert.ok(Math.abs(one.samples.reduce((a, x) => a + x.ns, 0) - W2.total * 1000) <= 1);
  // A run stored with only its merged tree still exports, without worker labels.
  const mergedOnly = { ...run, profile: { ...run.profile, perWorker: [] } } as RunFile;
  const m = decode(gunzipSync(exportBytes(exportInput(mergedOnly, { title: "t" }), "pprof") as Buffer));
  assert.ok(m.samples.length > 0 && m.samples.every((x) => x.labels.worker === undefined && x.labels.route === "GET /slow"));
  // The text formats still come out as text.
  assert.equal(typeof renderExport(run, "folded"), "string");
});
