// Comparisons a user acts on: profile --runs, compare --fail-on / --markdown, and ab with apps and
// with a run's copy of its app. B does four times A's Lua work, so "slower" is certain.
import { before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { RunFile } from "../../profile/run";
import { processesMentioning, runCli } from "../helpers/cli";

const QUICK = ["--duration", "1s", "--warmup", "0s", "--workers", "1", "--connections", "4"];

function app(work: number): string {
  return `local function fib(n) if n < 2 then return n end return fib(n - 1) + fib(n - 2) end
function api.work.get(ctx)
  local t = 0
  for i = 1, ${work} do t = t + fib(14) end
  return api.json { total = t }
end
`;
}

const readRunFile = (dir: string) => JSON.parse(readFileSync(path.join(dir, "run.json"), "utf8")) as RunFile;

describe("compare and ab", () => {
  let workspace = "";
  let a = "";
  let b = "";
  let runA = "";
  let runB = "";
  before(async () => {
    workspace = mkdtempSync(path.join(tmpdir(), "moonscope-ab-"));
    // Two checkouts of one app: same layout, different work.
    for (const [dir, work] of [["a", 5], ["b", 20]] as const) {
      mkdirSync(path.join(workspace, dir));
      writeFileSync(path.join(workspace, dir, "app.lua"), app(work));
    }
    a = path.join(workspace, "a", "app.lua");
    b = path.join(workspace, "b", "app.lua");
    runA = path.join(workspace, "run-a");
    runB = path.join(workspace, "run-b");
    for (const [file, out] of [[a, runA], [b, runB]]) {
      const r = await runCli(["profile", file, "--route", "GET /work", ...QUICK, "--runs", "2", "--out", out], { cwd: workspace });
      assert.equal(r.code, 0, r.stderr);
    }
  });

  test("profile --runs 2 stores two rounds, the app's hashes and a copy of the app", () => {
    const run = readRunFile(runA);
    assert.equal(run.options.runs, 2);
    assert.equal(run.rounds?.length, 2);
    assert.ok(run.rounds!.every((r) => r.requests > 0 && r.cpuUsPerRequest > 0 && r.stageMeanUs.handler > 0));
    assert.ok(run.rounds![1].startMs >= run.rounds![0].startMs + 900);
    assert.deepEqual(Object.keys(run.app.files ?? {}), ["app.lua"]);
    assert.equal(run.app.snapshot, "app");
    assert.equal(readFileSync(path.join(runA, "app", "app.lua"), "utf8"), app(5));
    assert.equal(run.machine?.node, process.version);
  });

  test("compare --fail-on slower exits 1 on a slower run and names what; --markdown prints a table for a pull request", async () => {
    const r = await runCli(["compare", runA, runB, "--fail-on", "slower"], { cwd: workspace });
    assert.equal(r.code, 1, r.stdout);
    assert.match(r.stdout, /^Verdict: slower: /m);
    assert.match(r.stdout, /^ {2}SLOWER handler /m);
    assert.match(r.stdout, /^Differs: app files changed: app\.lua$/m);
    assert.match(r.stderr, /^FAILED \(--fail-on slower\): .*\bhandler\b/m);
    const ok = await runCli(["compare", runB, runA, "--fail-on", "slower"], { cwd: workspace });
    assert.equal(ok.code, 0, "faster is not a failure");
    const md = await runCli(["compare", runA, runB, "--markdown"], { cwd: workspace });
    assert.equal(md.code, 0);
    assert.match(md.stdout, /^### Moonscope: GET \/work — slower$/m);
    assert.match(md.stdout, /^\| metric \| A \| B \| change \| verdict \|$/m);
    assert.match(md.stdout, /^\| handler \(mean\) \| .* \| \*\*slower\*\* \|$/m);
    const self = await runCli(["compare", runA, path.join(runA, "run.json")], { cwd: workspace });
    assert.equal(self.code, 2);
    assert.match(self.stderr, /MS_ERR_USAGE: both sides are the same run \(run-a\)/);
    const bad = await runCli(["compare", runA, runB, "--fail-on", "faster"], { cwd: workspace });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /MS_ERR_USAGE: --fail-on takes slower; got "faster"/);
  });

  test("ab alternates the two apps' rounds, writes both runs and the comparison, and leaves nothing running", async () => {
    const r = await runCli(["ab", a, b, "--route", "GET /work", ...QUICK, "--runs", "2", "--fail-on", "slower"], { cwd: workspace });
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stdout, /^How: 2 interleaved rounds per side \(moonscope ab\): drift between the runs cancels$/m);
    assert.match(r.stdout, /^Verdict: slower: /m);
    const m = /^Runs: A (\S+), B (\S+) \(order ABBA\)$/m.exec(r.stdout);
    assert.ok(m, r.stdout);
    const [ra, rb] = [readRunFile(path.join(workspace, m[1])), readRunFile(path.join(workspace, m[2]))];
    assert.deepEqual([ra.ab, rb.ab], [{ side: "A", other: rb.id, order: "ABBA" }, { side: "B", other: ra.id, order: "ABBA" }]);
    // Interleaved: A's first round, then B's two, then A's second.
    assert.ok(ra.rounds![0].startMs < rb.rounds![0].startMs && rb.rounds![1].startMs < ra.rounds![1].startMs);
    assert.ok(existsSync(path.join(workspace, m[2], "compare.svg")));
    assert.deepEqual(processesMentioning(workspace), []);
  });

  test("ab runs a run's copy of its app against the app as it is now, on that run's route", async () => {
    // The file changed since run-a was profiled: now it does B's work.
    writeFileSync(a, app(20));
    const r = await runCli(["ab", runA, a, ...QUICK, "--runs", "1", "--json"], { cwd: workspace });
    assert.equal(r.code, 0, r.stderr);
    const cmp = JSON.parse(r.stdout);
    assert.equal(cmp.route, "GET /work");
    assert.deepEqual(cmp.differences.filter((d: string) => d.startsWith("app files")), ["app files changed: app.lua"]);
    assert.equal(cmp.stageMeans.find((d: { name: string }) => d.name === "handler").change, "slower");
    writeFileSync(a, app(5));
  });

  test("ab refuses a side that is neither an app nor a run, and a run without a copy of its app", async () => {
    const missing = await runCli(["ab", path.join(workspace, "nope.lua"), b, "--route", "GET /work", ...QUICK], { cwd: workspace });
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /MS_ERR_APP_NOT_FOUND: .*nope\.lua is neither a Lua app nor a run folder/);
    const old = mkdtempSync(path.join(tmpdir(), "moonscope-old-run-"));
    const run = readRunFile(runA);
    delete run.app.snapshot;
    writeFileSync(path.join(old, "run.json"), JSON.stringify(run));
    const r = await runCli(["ab", old, b, ...QUICK], { cwd: workspace });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /MS_ERR_RUN_NOT_FOUND: .* keeps no copy of its app/);
    assert.deepEqual(readdirSync(path.join(workspace, ".moonscope", "runs")).filter((d) => !existsSync(path.join(workspace, ".moonscope", "runs", d, "run.json"))), [], "no empty run folder from the failed ab");
  });
});
