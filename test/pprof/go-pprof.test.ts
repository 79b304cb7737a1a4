// The pprof export read by the real reader: Go's `go tool pprof` (Debian's golang-go; `npm run
// test:pprof` installs it). The slow example is profiled, and pprof must list its hot Lua function
// first among the Lua frames, with the stage, worker and route as tags it can filter on; an export
// of the same run through `moonscope export --format pprof` reads the same.
import { before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { RunFile } from "../../profile/run";
import { runCli } from "../helpers/cli";
import { ROOT } from "../helpers/server";

const APP = path.join(ROOT, "examples/slow/app.lua");

function pprof(...args: string[]): string {
  const r = spawnSync("go", ["tool", "pprof", ...args], { encoding: "utf8", env: { ...process.env, PPROF_TMPDIR: tmpdir() } });
  if (r.error) throw new Error(`go tool pprof could not run (${r.error.message}); npm run test:pprof installs Debian's golang-go`);
  assert.equal(r.status, 0, `go tool pprof ${args.join(" ")} failed:\n${r.stderr}`);
  return r.stdout;
}

/** The rows of `pprof -top -filefunctions`: flat ms and "name file". */
function topRows(out: string): { flat: string; func: string; file: string }[] {
  const rows: { flat: string; func: string; file: string }[] = [];
  let inTable = false;
  for (const line of out.split("\n")) {
    if (/^\s*flat\s+flat%/.test(line)) inTable = true;
    else if (inTable && line.trim()) {
      // "3618.37ms 84.70% 84.70%  3618.37ms 84.70%  fib app.lua"
      const m = /^\s*(\S+)\s+\S+%\s+\S+%\s+\S+\s+\S+%\s+(.*)$/.exec(line);
      if (!m) continue;
      const parts = m[2].trim().split(" ");
      const file = parts.length > 1 ? parts[parts.length - 1] : "";
      rows.push({ flat: m[1], func: parts.length > 1 ? parts.slice(0, -1).join(" ") : parts[0], file });
    }
  }
  return rows;
}

function firstLua(out: string): string {
  const lua = topRows(out).find((r) => r.file.endsWith(".lua"));
  assert.ok(lua, `no Lua frame in:\n${out}`);
  return `${lua.func} ${lua.file}`;
}

describe("go tool pprof reads profile.pb.gz", () => {
  let dir: string;
  let run: RunFile;
  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "moonscope-pprof-"));
    const r = await runCli(["profile", APP, "--route", "GET /crunch", "--duration", "2s", "--warmup", "1s", "--workers", "2", "--connections", "8", "--out", dir, "--json"]);
    assert.equal(r.code, 0, r.stderr);
    run = JSON.parse(r.stdout) as RunFile;
    assert.equal(run.profile.files.pprof, "profile.pb.gz");
  });

  test("-top lists the slow example's hot Lua function first among the Lua frames", () => {
    const out = pprof("-top", "-filefunctions", path.join(dir, "profile.pb.gz"));
    assert.match(out, /^Type: cpu$/m);
    // The run's own hot spots agree: fib's self time is most of the handler (README's example report).
    const hot = run.hotSpots.find((h) => h.frame.kind === "lua")!;
    assert.equal(hot.frame.name, "fib");
    assert.equal(firstLua(out), "fib app.lua");
    // Cumulative: the handler, then churn_numbers, hold fib.
    const cum = pprof("-top", "-cum", "-filefunctions", path.join(dir, "profile.pb.gz"));
    const luaCum = topRows(cum).filter((r) => r.file.endsWith(".lua")).map((r) => r.func);
    assert.deepEqual(luaCum.slice(0, 3), ["api.crunch.get", "churn_numbers", "fib"]);
    // Lines survive: the location of fib is app.lua:4 (its definition).
    assert.match(pprof("-raw", path.join(dir, "profile.pb.gz")), /\bfib app\.lua:4 s=4\b/);
  });

  test("the stage, worker and route are tags pprof can show and filter on", () => {
    const file = path.join(dir, "profile.pb.gz");
    const tags = pprof("-tags", file);
    assert.match(tags, /^\s*stage: Total/m);
    assert.match(tags, /%\): handler$/m);
    assert.match(tags, /%\): parse$/m);
    assert.match(tags, /^\s*route: Total[^\n]*\n[^\n]*\(\s*100%\): GET \/crunch$/m);
    assert.match(tags, /^\s*worker: Total/m);
    assert.match(tags, /%\): 1$/m);
    assert.match(tags, /%\): 2$/m);
    // Only the handler's samples: fib is still first; only the parse stage's: no Lua at all.
    assert.equal(firstLua(pprof("-top", "-filefunctions", "-tagfocus=stage=handler", file)), "fib app.lua");
    const parse = topRows(pprof("-top", "-filefunctions", "-tagfocus=stage=parse", file));
    assert.ok(parse.length > 0 && !parse.some((r) => r.file.endsWith(".lua")), "the parse stage runs no Lua");
    // One worker's share.
    assert.match(pprof("-top", "-tagfocus=worker=1", file), /Active filters:\s*\n\s*tagfocus=worker=1/);
  });

  test("moonscope export --format pprof of the stored run reads the same", async () => {
    const out = path.join(dir, "exported.pb.gz");
    const r = await runCli(["export", dir, "--format", "pprof", "-o", out]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(readFileSync(out).subarray(0, 2), Buffer.from([0x1f, 0x8b]));
    assert.equal(firstLua(pprof("-top", "-filefunctions", out)), "fib app.lua");
    const one = path.join(dir, "worker2.pb.gz");
    assert.equal((await runCli(["export", dir, "--format", "pprof", "--worker", "2", "-o", one])).code, 0);
    assert.match(pprof("-tags", one), /worker: Total[^\n]*\n[^\n]*\(\s*100%\): 2$/m);
  });
});
