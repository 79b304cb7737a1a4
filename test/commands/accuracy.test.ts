// `moonscope profile` on apps with known answers: the product is worthless if it lies.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { findFrames } from "../../profile/calltree";
import { loadTree } from "../../profile/tree-store";
import type { RunFile } from "../../profile/run";
import { busyTree } from "../../profile/compare";
import { ROOT } from "../helpers/server";
import { processesMentioning, runCli } from "../helpers/cli";
import { LUA_SAMPLER_ENV } from "../../server-core/profiler-control";

const SHORT = ["--duration", "3s", "--warmup", "1s", "--workers", "2"];

async function profile(app: string, route: string, extra: string[] = [], env?: NodeJS.ProcessEnv): Promise<{ run: RunFile; dir: string }> {
  const dir = mkdtempSync(path.join(tmpdir(), "moonscope-run-"));
  const r = await runCli(["profile", path.join(ROOT, app), "--route", route, ...SHORT, "--out", dir, "--json", ...extra], { env });
  assert.equal(r.code, 0, r.stderr);
  const run = JSON.parse(r.stdout) as RunFile;
  assert.deepEqual(processesMentioning(path.join(ROOT, app)), [], "no process of the session is left");
  return { run, dir };
}

describe("accuracy on apps with known answers", () => {
  test("a route that burns CPU in one named Lua function: that function carries >= 60% of the sampled CPU and the handler dominates", async () => {
    const { run, dir } = await profile("examples/slow/app.lua", "GET /crunch");
    const tree = busyTree(loadTree(run.profile.merged!));
    const churn = findFrames(tree, (f) => f.kind === "lua" && f.name === "churn_numbers");
    const share = churn.total / tree.total;
    const top = run.hotSpots.slice(0, 6).map((h) => `${h.frame.name} ${(h.selfShare * 100).toFixed(1)}%`).join(", ");
    assert.ok(share >= 0.6, `churn_numbers carries ${(share * 100).toFixed(1)}% of busy CPU (hot spots: ${top}; Lua samples ${run.profile.luaSamples}; run in ${dir})`);
    const topStage = [...run.server.stages].sort((a, b) => b.share - a.share)[0];
    assert.equal(topStage.stage, "handler");
    assert.equal(run.verdict.bottleneck, "lua-handler");
    assert.ok(run.profile.luaSamples > 100, `${run.profile.luaSamples} Lua samples`);
    // The Lua stacks came from the heap reader, which passed its check against lua_getinfo.
    assert.equal(run.profile.samplingCost?.luaMethod, "heap", JSON.stringify(run.profile.samplingCost));
    assert.equal(run.profile.samplingCost?.fallback, undefined);
    // Lua frames hang under the JS frame that entered the handler, with file:line.
    const folded = readFileSync(path.join(dir, "profile.folded"), "utf8");
    // Server frames read as the TypeScript they were built from (through the bundle's source map).
    assert.match(folded, /^\[handler\];runHandler \(server-core\/worker\.ts:\d+\);call \(server-core\/lua\/app\.ts:\d+\);api\.crunch\.get \(app\.lua:17\);churn_numbers \(app\.lua:9\);fib \(app\.lua:4\)/m);
    const hot = run.hotSpots[0];
    assert.deepEqual([hot.frame.name, hot.frame.file, hot.frame.line, hot.frame.kind], ["fib", "app.lua", 4, "lua"]);
    // Per-worker trees are kept too.
    assert.equal(run.profile.perWorker.length, 2);
    for (const f of ["run.json", "flamegraph.svg", "profile.cpuprofile", "profile.folded", "profile.speedscope.json"]) assert.ok(existsSync(path.join(dir, f)), f);
    const svg = readFileSync(path.join(dir, "flamegraph.svg"), "utf8");
    assert.match(svg, /<svg[\s\S]*churn_numbers[\s\S]*<\/svg>\s*$/);
    const cpu = JSON.parse(readFileSync(path.join(dir, "profile.cpuprofile"), "utf8"));
    assert.ok(Array.isArray(cpu.nodes) && cpu.nodes.length > 10 && Array.isArray(cpu.samples));
    const ss = JSON.parse(readFileSync(path.join(dir, "profile.speedscope.json"), "utf8"));
    assert.equal(ss.$schema, "https://www.speedscope.app/file-format-schema.json");
  });

  test("the interrupt sampler, standing in for the heap reader, gives the same answer and says why it stood in", async () => {
    const { run } = await profile("examples/slow/app.lua", "GET /crunch", [], { ...process.env, [LUA_SAMPLER_ENV]: "interrupt" });
    const cost = run.profile.samplingCost;
    assert.equal(cost?.luaMethod, "interrupt", JSON.stringify(cost));
    assert.match(cost?.fallback ?? "", new RegExp(`${LUA_SAMPLER_ENV}=interrupt`));
    const tree = busyTree(loadTree(run.profile.merged!));
    const share = findFrames(tree, (f) => f.kind === "lua" && f.name === "churn_numbers").total / tree.total;
    assert.ok(share >= 0.6, `churn_numbers carries ${(share * 100).toFixed(1)}% of busy CPU`);
    assert.ok(run.profile.luaSamples > 100, `${run.profile.luaSamples} Lua samples`);
    assert.deepEqual([run.hotSpots[0].frame.name, run.hotSpots[0].frame.line], ["fib", 4]);
  });

  test("hot lines: the lines of the hot functions carry their functions' time, with their source, in run.json and the report", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "moonscope-run-"));
    const app = path.join(ROOT, "examples/slow/app.lua");
    const r = await runCli(["profile", app, "--route", "GET /crunch", ...SHORT, "--out", dir]);
    assert.equal(r.code, 0, r.stderr);
    const run = JSON.parse(readFileSync(path.join(dir, "run.json"), "utf8")) as RunFile;
    const lines = run.hotLines ?? [];
    const show = lines.slice(0, 8).map((h) => `${h.file}:${h.line} ${h.fn} self ${(h.selfShare * 100).toFixed(1)}% total ${(h.totalShare * 100).toFixed(1)}%`).join("; ");
    const tree = loadTree(run.profile.merged!);
    const busy = tree.total - findFrames(tree, (f) => f.kind === "idle").self;
    const fn = (name: string) => findFrames(tree, (f) => f.kind === "lua" && f.name === name);
    const line = (n: number) => lines.find((h) => h.file === "app.lua" && h.line === n);
    // fib's lines carry the self time and are the hottest: 6 (the recursive sum, from its call on), and
    // 4, fib's own line (its body before the first call, which is all of a leaf call's time).
    assert.ok([4, 6].includes(lines[0]?.line) && lines[0].fn === "fib", show);
    assert.equal(line(4)?.entry, true, show);
    assert.ok(line(6)!.selfShare > 0.1, show);
    const fibSelf = lines.filter((h) => h.fn === "fib").reduce((a, h) => a + h.selfUs, 0);
    assert.ok(Math.abs(fibSelf - fn("fib").self) <= 0.02 * busy, `fib's lines sum to ${fibSelf} µs of self, fib has ${fn("fib").self} (${show})`);
    // churn_numbers spends its time at line 12 (the call to fib), the handler at line 19 (the call to churn_numbers).
    const churn = fn("churn_numbers").total;
    assert.ok(line(12)!.totalUs >= 0.9 * churn, `line 12: ${line(12)?.totalUs} µs of churn_numbers' ${churn} (${show})`);
    assert.ok(line(19)!.totalUs >= 0.9 * churn, `line 19: ${line(19)?.totalUs} µs (${show})`);
    assert.equal(line(12)!.text, "total = total + fib(12 + i % 4)");
    assert.deepEqual([line(12)!.fn, line(12)!.fnLine], ["churn_numbers", 9]);
    // Shares are of the same busy time as the hot spots'.
    assert.ok(Math.abs(line(12)!.totalShare - line(12)!.totalUs / busy) < 1e-9);
    assert.match(r.stdout, /^Hot lines \(Lua;/m);
    assert.match(r.stdout, /^\s*[\d.]+%\s+[\d.]+%\s+app\.lua:4\s+fib\s+in fib before its first call/m);
    assert.match(r.stdout, /^\s*[\d.]+%\s+[\d.]+%\s+app\.lua:6\s+fib\s+return fib\(n - 1\) \+ fib\(n - 2\)/m);
    assert.match(r.stdout, /app\.lua:12\s+churn_numbers\s+total = total \+ fib\(12 \+ i % 4\)/);
  });

  test("a route whose time goes into a function of a required module: that function, named by its module file and line, carries most of the sampled weight", async () => {
    const { run, dir } = await profile("test/fixtures/modules-app/app.lua", "GET /heavy");
    assert.deepEqual([run.route.name, run.route.file, run.route.line], ["api.heavy.get", "handlers/heavy.lua", 4]);
    const tree = busyTree(loadTree(run.profile.merged!));
    const work = findFrames(tree, (f) => f.kind === "lua" && f.name === "work" && f.file === "lib/crunch.lua" && f.line === 4);
    const top = run.hotSpots.slice(0, 6).map((h) => `${h.frame.name} (${h.frame.file}:${h.frame.line}) ${(h.selfShare * 100).toFixed(1)}%`).join(", ");
    assert.ok(work.total / tree.total >= 0.6, `work carries ${((work.total / tree.total) * 100).toFixed(1)}% of busy CPU (hot spots: ${top})`);
    assert.deepEqual([run.hotSpots[0].frame.name, run.hotSpots[0].frame.file, run.hotSpots[0].frame.line], ["work", "lib/crunch.lua", 4], top);
    const folded = readFileSync(path.join(dir, "profile.folded"), "utf8");
    assert.match(folded, /^\[handler\];.*;api\.heavy\.get \(handlers\/heavy\.lua:4\);work \(lib\/crunch\.lua:4\) \d+/m);
    const cpu = JSON.parse(readFileSync(path.join(dir, "profile.cpuprofile"), "utf8")) as { nodes: { callFrame: { functionName: string; url: string; lineNumber: number } }[] };
    assert.ok(cpu.nodes.some((n) => n.callFrame.functionName === "work" && n.callFrame.url.endsWith("lib/crunch.lua") && n.callFrame.lineNumber === 3));
    const ss = readFileSync(path.join(dir, "profile.speedscope.json"), "utf8");
    assert.match(ss, /"name":"work","file":"lib\/crunch\.lua","line":4/);
  });

  test("a route whose time is JSON serialization: serialize is the top stage", async () => {
    const { run } = await profile("examples/json-heavy/app.lua", "GET /catalog", ["--mode", "none"]);
    const top = [...run.server.stages].sort((a, b) => b.share - a.share)[0];
    assert.equal(top.stage, "serialize");
    assert.equal(top.priority, "CRITICAL");
    assert.equal(run.verdict.bottleneck, "serialization");
    assert.equal(run.profile.merged, null);
  });

  test("the stages add up to the server time of the same requests, which fits inside what the client waited", async () => {
    const { run } = await profile("examples/hello/app.lua", "GET /hello", ["--connections", "1", "--mode", "none"]);
    const s = run.server;
    assert.ok(Math.abs(s.stageSumUs - s.latencyUs.mean) <= 0.1 * s.latencyUs.mean, `stages ${s.stageSumUs} us vs server mean ${s.latencyUs.mean} us`);
    assert.equal(typeof s.unaccountedUs, "number");
    // autocannon (used when wrk is not installed) records latency in whole milliseconds.
    const resolutionUs = run.client.generator === "autocannon" ? 1000 : 0;
    assert.ok(s.latencyUs.p50 <= run.client.latencyUs.p50 + resolutionUs, `server p50 ${s.latencyUs.p50} us <= client p50 ${run.client.latencyUs.p50} us (${run.client.generator})`);
    // Every request the client completed was timed; at most one per connection was in flight when the load stopped.
    assert.ok(Math.abs(s.requests - run.client.requests) <= run.options.connections, `server ${s.requests} vs client ${run.client.requests}`);
  });

  test("a load generator with too little CPU is reported as the bottleneck", async () => {
    // autocannon needs a whole core for what two workers answer with half a core each on this machine.
    const { run } = await profile("examples/hello/app.lua", "GET /hello", ["--load", "autocannon", "--mode", "none"]);
    assert.equal(run.client.generator, "autocannon");
    assert.equal(run.verdict.bottleneck, "load-generator", `${run.verdict.message}; generator ${run.client.cpuPercent}% workers ${run.workers.map((w) => w.cpuPercent.toFixed(0)).join(",")}`);
    assert.equal(run.client.saturated, true);
    assert.match(run.verdict.message, /load generator was saturated/);
  });
});
