// Run folders left by a writer that died: removed when runs are listed, unless their writer lives,
// no writer marked them, or they hold files the run writer does not write.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { deleteRunDir, finishRunDir, listRuns, makeDirs, sweepIfAbandoned } from "./store";

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

test("deleting a run: a finished one goes whole; one a living process writes, or a folder without run.json, is refused", () => {
  const root = mkdtempSync(path.join(tmpdir(), "moonscope-store-"));
  const done = path.join(root, "done");
  mkdirSync(path.join(done, "app"), { recursive: true });
  writeFileSync(path.join(done, "app", "app.lua"), "x");
  writeFileSync(path.join(done, "run.json"), "{}");
  deleteRunDir(done);
  assert.equal(existsSync(done), false);
  assert.throws(() => deleteRunDir(done), (e: Error & { code?: string }) => e.code === "MS_ERR_RUN_NOT_FOUND");
  const writing = path.join(root, "writing");
  makeDirs(writing);
  writeFileSync(path.join(writing, "run.json"), "{}");
  assert.throws(() => deleteRunDir(writing), (e: Error & { code?: string }) => e.code === "MS_ERR_RUN_IN_USE" && e.message.includes(String(process.pid)));
  assert.equal(existsSync(writing), true);
  const unfinished = path.join(root, "unfinished");
  mkdirSync(unfinished);
  assert.throws(() => deleteRunDir(unfinished), (e: Error & { code?: string }) => e.code === "MS_ERR_RUN_NOT_FOUND");
  // Its writer gone (a dead pid's lock), a finished run deletes.
  finishRunDir(writing);
  mkdirSync(path.join(writing, `.moonscope-writing-${deadPid()}`));
  deleteRunDir(writing);
  assert.equal(existsSync(writing), false);
});
