import { test } from "node:test";
import assert from "node:assert/strict";
import { fromFolded, toFolded } from "../../profile/calltree";
import { STAGE_NAMES, type StageName } from "../../profile/run";
import { Timeline, timelineRange } from "../../profile/timeline";

const means = (handler: number) => Object.fromEntries(STAGE_NAMES.map((s) => [s, s === "handler" ? handler : 1])) as Record<StageName, number>;
const chunk = (i: number, requests: number, handler: number) => ({ startMs: i * 2000, endMs: (i + 1) * 2000, requests, p50Us: 10 + i, p99Us: 100 + i, stageMeanUs: means(handler) });

test("a range of the timeline: the chunks it overlaps, stage means weighted by requests, trees merged", () => {
  const tl = new Timeline();
  tl.add(chunk(0, 100, 10), fromFolded("[handler];a (app.lua:1) 5\n"));
  tl.add(chunk(1, 300, 30), fromFolded("[handler];b (app.lua:2) 7\n"));
  tl.add(chunk(2, 100, 50), null);
  const r = timelineRange(tl.all, 2500, 5000)!;
  assert.deepEqual([r.chunk.startMs, r.chunk.endMs, r.chunk.requests], [2000, 6000, 400]);
  assert.equal(r.chunk.stageMeanUs.handler, (300 * 30 + 100 * 50) / 400);
  assert.equal(r.chunk.p99Us, 102);
  assert.equal(toFolded(r.tree!), "[handler];b (app.lua:2) 7\n");
  assert.equal(timelineRange(tl.all, 9000, 9500), null);
});

test("over its node budget the timeline halves its resolution and still covers the whole run", () => {
  const tl = new Timeline(10);
  for (let i = 0; i < 8; i++) tl.add(chunk(i, 10, 1), fromFolded(`[handler];f${i} (app.lua:${i + 1}) 1\n`));
  const all = tl.all;
  assert.ok(all.length < 8, `${all.length} chunks`);
  assert.equal(all[0].startMs, 0);
  assert.equal(all[all.length - 1].endMs, 16_000);
  assert.equal(all.reduce((n, c) => n + c.requests, 0), 80);
  assert.ok(all.reduce((n, c) => n + (c.tree?.nodes.length ?? 0), 0) <= 10);
  // Every sample is still in some chunk.
  assert.equal(all.reduce((n, c) => n + (c.tree?.total ?? 0), 0), 8);
});
