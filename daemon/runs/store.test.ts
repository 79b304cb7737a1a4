// Run folders left by a writer that died: removed when runs are listed, unless their writer lives,
// no writer marked them, or they hold files the run writer does not write.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { finishRunDir, listRuns, makeDirs, sweepIfAbandoned } from "./store";

/** A pid that is certainly not running: a child that has exited. */
function deadPid(): number {
  return spawnSync(process.execPath, ["-e", "0"]).pid!;
}

test("a run folder names its writer until run.json is written; an empty new folder still counts as empty", () => {
  const root = mkdtempSync(path.join(tmpdir(), "moonscope-store-"));
  const dir = path.join(root, "runs", "a");
  makeDirs(dir);
  assert.deepEqual(readdirSync(dir), [`.moonscope-writing-${process.pid}`]);
  assert.equal(sweepIfAbandoned(dir), false, "its writer (this process) lives");
  writeFileSync(path.join(dir, "run.json"), "{}");
  finishRunDir(dir);
  assert.deepEqual(readdirSync(dir), ["run.json"]);
});

test("a folder without run.json whose writer died is removed with its exports and temp files; others stay", () => {
  const root = mkdtempSync(path.join(tmpdir(), "moonscope-store-"));
  const dead = deadPid();
  const make = (name: string, files: string[]) => {
    const dir = path.join(root, name);
    mkdirSync(dir, { recursive: true });
    for (const f of files) {
      if (f.startsWith(".moonscope-writing-")) mkdirSync(path.join(dir, f));
      else writeFileSync(path.join(dir, f), "x");
    }
    return dir;
  };
  const killed = make("killed", [`.moonscope-writing-${dead}`, "flamegraph.svg", `run.json.tmp-${dead}-1700000000000`]);
  // Killed while writing: the app's copy (a folder) was there already.
  const copied = make("copied", [`.moonscope-writing-${dead}`, "flamegraph.svg"]);
  mkdirSync(path.join(copied, "app", "lib"), { recursive: true });
  writeFileSync(path.join(copied, "app", "lib", "util.lua"), "return {}");
  const empty = make("empty", [`.moonscope-writing-${dead}`]);
  const living = make("living", [`.moonscope-writing-${process.pid}`]);
  const unmarked = make("unmarked", ["flamegraph.svg"]);
  const kept = make("kept", [`.moonscope-writing-${dead}`, "clinic-doctor.html", `run.json.tmp-${dead}-1`]);
  const done = make("done", ["run.json"]);
  writeFileSync(path.join(done, "run.json"), "{ not a run");
  const listed = listRuns(root);
  assert.deepEqual(listed.map((r) => path.basename(r.dir)), ["done"], "only the finished one is a run (listed with its error)");
  assert.equal(existsSync(killed), false);
  assert.equal(existsSync(copied), false);
  assert.equal(existsSync(empty), false);
  assert.equal(existsSync(living), true);
  assert.equal(existsSync(unmarked), true);
  assert.deepEqual(readdirSync(kept), ["clinic-doctor.html"], "an outside profiler's report stays, lock and temp files go");
});
