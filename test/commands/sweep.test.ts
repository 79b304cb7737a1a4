// `moonscope sweep` on the example: table, sweep.json and sweep.svg agree; Ctrl-C keeps a valid partial sweep.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { SweepFile } from "../../profile/sweep";
import { ROOT, writeApp } from "../helpers/server";
import { interruptWhen, processesMentioning, runCli } from "../helpers/cli";

const HELLO = path.join(ROOT, "examples/hello/app.lua");

test("a 2 x 2 sweep prints a table, and sweep.json and sweep.svg agree with it", async () => {
  const out = mkdtempSync(path.join(tmpdir(), "moonscope-sweep-"));
  const r = await runCli(["sweep", HELLO, "--route", "GET /hello", "--workers", "1,2", "--connections", "1,8", "--duration", "1s", "--warmup", "0s", "--out", out]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /sweep: 4 steps x 2 s ≈ 8 s/);
  const f = JSON.parse(readFileSync(path.join(out, "sweep.json"), "utf8")) as SweepFile;
  assert.equal(f.$schema, "moonscope-sweep");
  assert.equal(f.complete, true);
  assert.deepEqual(
    f.steps.map((s) => [s.workers, s.connections]),
    [
      [1, 1],
      [1, 8],
      [2, 1],
      [2, 8],
    ],
  );
  for (const s of f.steps) {
    // (max, not p99: autocannon, used when wrk is not installed, records whole milliseconds, and a p99 under 1 ms reads 0)
    assert.ok(s.rps > 0 && s.latencyUs.max > 0 && s.serverCpuPercent > 0, JSON.stringify(s));
    // The table shows the same numbers as the file.
    assert.match(r.stdout, new RegExp(`^${s.workers}\\s+${s.connections}\\s+${s.rps.toFixed(0)}\\s`, "m"));
  }
  assert.equal(f.knees.length, 2);
  assert.equal(f.efficiency.length, 2);
  const e = f.efficiency.find((x) => x.connections === 8)!;
  const one = f.steps.find((s) => s.workers === 1 && s.connections === 8)!;
  const two = f.steps.find((s) => s.workers === 2 && s.connections === 8)!;
  assert.equal(e.efficiency, two.rps / (2 * one.rps));
  assert.match(r.stdout, /Efficiency: 2 workers at 8 connections/);
  const svg = readFileSync(path.join(out, "sweep.svg"), "utf8");
  assert.equal((svg.match(/<circle /g) ?? []).length, 8, "4 steps x 2 panels");
});

test("Ctrl-C mid-sweep leaves a valid partial sweep.json and no process", async () => {
  const out = mkdtempSync(path.join(tmpdir(), "moonscope-sweep-"));
  const app = writeApp(readFileSync(HELLO, "utf8"));
  // Interrupt once the second step has started (the first is then saved).
  const { code, stdout, stderr } = await interruptWhen(["sweep", app, "--route", "GET /hello", "--workers", "1", "--connections", "1,2,4,8", "--duration", "1s", "--warmup", "0s", "--out", out], /\[2\/4\]/);
  assert.equal(code, 130, stderr);
  const f = JSON.parse(readFileSync(path.join(out, "sweep.json"), "utf8")) as SweepFile;
  assert.equal(f.complete, false);
  assert.ok(f.steps.length >= 1 && f.steps.length < 4, `${f.steps.length} steps kept`);
  assert.match(stdout, /stopped early/);
  assert.deepEqual(processesMentioning(app), []);
});
