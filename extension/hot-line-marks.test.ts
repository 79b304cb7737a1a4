import { test } from "node:test";
import assert from "node:assert/strict";
import * as path from "node:path";
import type { HotLineRow, RunFile } from "../protocol/types";
import { heatLevel, hotLineMarks, sameLine } from "./hot-line-marks";

const APP = path.resolve("/apps/slow/app.lua");

function row(over: Partial<HotLineRow>): HotLineRow {
  return { file: "app.lua", line: 6, fn: "fib", fnLine: 4, selfUs: 400, totalUs: 850, selfShare: 0.4, totalShare: 0.85, text: "return fib(n - 1) + fib(n - 2)", ...over };
}

function run(rows: HotLineRow[]): RunFile {
  return { id: "r1", app: { file: APP }, route: { method: "GET", path: "/crunch" }, hotLines: rows } as unknown as RunFile;
}

test("marks land on the app's files by absolute path, 0-based, sorted, with labels and hovers", () => {
  const lines: Record<string, string[]> = {
    [APP]: ["", "", "", "local function fib(n)", "  if n < 2 then return n end", "  return fib(n - 1) + fib(n - 2)", "end"],
    [path.resolve("/apps/slow/lib/util.lua")]: ["local M = {}", "  return table.concat(parts)"],
  };
  const text = (file: string, n: number) => lines[file]?.[n - 1];
  const marks = hotLineMarks(
    run([
      row({}),
      row({ line: 4, selfUs: 300, totalUs: 300, selfShare: 0.3, totalShare: 0.3, text: "local function fib(n)", entry: true }),
      row({ file: "lib/util.lua", line: 2, fn: "join", fnLine: 1, selfUs: 20, totalUs: 20, selfShare: 0.02, totalShare: 0.02, text: "return table.concat(parts)" }),
    ]),
    text,
  );
  assert.deepEqual([...marks.keys()], [APP, path.resolve("/apps/slow/lib/util.lua")]);
  const app = marks.get(APP)!;
  assert.deepEqual(app.map((m) => [m.line, m.level, m.label]), [
    [3, 3, "30.0% self · 30.0% total"],
    [5, 3, "40.0% self · 85.0% total"],
  ]);
  assert.match(app[1].hover, /GET \/crunch, run r1/);
  assert.match(app[1].hover, /`fib` line 6: \*\*40\.0%\*\* of busy CPU in the line itself \(400 µs\), \*\*85\.0%\*\* with the calls it made \(850 µs\)/);
  assert.match(app[0].hover, /in fib before its first call/);
  assert.equal(marks.get(path.resolve("/apps/slow/lib/util.lua"))![0].level, 1);
});

test("a line edited since the run, or gone, is not marked; a run without text marks what is there", () => {
  const edited = (_f: string, n: number) => (n === 6 ? "  return fib(n - 1) * 2" : undefined);
  assert.equal(hotLineMarks(run([row({})]), edited).size, 0);
  const noText = hotLineMarks(run([row({ text: undefined })]), () => "anything");
  assert.equal(noText.get(APP)?.length, 1);
  assert.equal(hotLineMarks(run([row({ text: undefined })]), () => undefined).size, 0);
  // Text the run cut at its limit matches the line's start.
  assert.equal(sameLine(row({ text: "return fib(n - 1)…" }), "   return fib(n - 1) + fib(n - 2)"), true);
  assert.equal(sameLine(row({ text: "return fib(n - 1)…" }), "   return fob(n - 1) + fib(n - 2)"), false);
});

test("heat: by self share, or half the total share, in four steps; tiny lines are not marked", () => {
  assert.deepEqual([0.001, 0.01, 0.05, 0.15].map((s) => heatLevel(row({ selfShare: s, totalShare: 0 }))), [0, 1, 2, 3]);
  assert.equal(heatLevel(row({ selfShare: 0, totalShare: 0.4 })), 3);
  assert.equal(hotLineMarks(run([row({ selfShare: 0.0002, totalShare: 0.0004 })]), () => "return fib(n - 1) + fib(n - 2)").size, 0);
  assert.equal(hotLineMarks(run([]), () => "").size, 0);
});
