// The 0x and clinic modes' failure paths, with no profiler installed: a missing tool, a tool that
// crashes, and a Node version Clinic.js cannot run on. Each is a clear error and leaves no process.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { checkClinicNode } from "../../daemon/session/external-profilers";
import { BIN, ROOT, writeApp } from "../helpers/server";
import { processesMentioning } from "../helpers/cli";

function run(args: string[], env: Record<string, string>, cwd = ROOT): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, [BIN, ...args], { cwd, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    c.stderr.on("data", (d) => (stderr += d));
    c.on("close", (code) => resolve({ code, stderr }));
  });
}

const QUICK = ["--duration", "1s", "--warmup", "0s", "--connections", "2"];

test("off a terminal, a missing profiler stops the run before it starts, with the one command that installs it", async () => {
  const app = writeApp(readFileSync(path.join(ROOT, "examples/hello/app.lua"), "utf8"));
  const cwd = mkdtempSync(path.join(tmpdir(), "ms-project-"));
  const cache = path.join(mkdtempSync(path.join(tmpdir(), "ms-cache-")), "profilers");
  const r = await run(["profile", app, "--route", "GET /hello", "--mode", "0x", ...QUICK], { MOONSCOPE_ZEROX_BIN: "", MOONSCOPE_PROFILER_CACHE: cache }, cwd);
  assert.equal(r.code, 1);
  assert.equal(
    r.stderr,
    `error MS_ERR_PROFILER_MISSING: 0x is not installed. Run \`npx moonscope install 0x\` (it puts 0x@5 in ${cache}, not in your project), or add --yes to \`moonscope profile\` to install it as the run starts; --mode sample needs nothing extra\n`,
  );
  assert.deepEqual(readdirSync(cwd), [], "no run folder, no .moonscope");
  assert.ok(!existsSync(cache), "nothing installed without a yes");
  const c = await run(["profile", app, "--route", "GET /hello", "--mode", "clinic-doctor", ...QUICK], { MOONSCOPE_CLINIC_BIN: "" });
  assert.equal(c.code, 1);
  assert.match(c.stderr, /MS_ERR_PROFILER_MISSING: clinic is not installed/);
  assert.deepEqual(processesMentioning(app), []);
});

test("a profiler that crashes before the app is up is a clear error, and nothing is left running", async () => {
  // A stand-in for a broken profiler: a real executable that fails the way a crashing tool does.
  const dir = mkdtempSync(path.join(tmpdir(), "ms-fake-0x-"));
  const fake = path.join(dir, "0x");
  writeFileSync(fake, '#!/usr/bin/env node\nprocess.stderr.write("0x: internal error: cannot attach\\n"); process.exit(3);\n');
  chmodSync(fake, 0o755);
  const app = writeApp(readFileSync(path.join(ROOT, "examples/hello/app.lua"), "utf8"));
  const r = await run(["profile", app, "--route", "GET /hello", "--mode", "0x", ...QUICK, "--out", mkdtempSync(path.join(tmpdir(), "ms-"))], { MOONSCOPE_ZEROX_BIN: fake });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /error MS_ERR_PROFILER_FAILED: 0x did not start the app \(it exited with code 3\): 0x: internal error: cannot attach/);
  assert.deepEqual(processesMentioning(app), []);
});

test("Clinic.js is refused on Node >= 21.7 with a message naming what is unavailable and why", () => {
  assert.doesNotThrow(() => checkClinicNode("v20.20.2"));
  assert.doesNotThrow(() => checkClinicNode("v21.6.2"));
  for (const v of ["v21.7.0", "v22.1.0", "v24.3.0"]) {
    assert.throws(
      () => checkClinicNode(v),
      (e: Error & { code?: string }) => e.code === "MS_ERR_PROFILER_UNSUPPORTED" && new RegExp(`Clinic\\.js does not work on Node ${v}`).test(e.message) && /--mode 0x or --mode sample/.test(e.message),
    );
  }
});

test("doctor lists what is there and what is missing, each with how to get it", async () => {
  const cache = mkdtempSync(path.join(tmpdir(), "ms-cache-"));
  const fake0x = path.join(cache, "0x-somewhere");
  writeFileSync(fake0x, "");
  const env = { MOONSCOPE_PROFILER_CACHE: cache, MOONSCOPE_ZEROX_BIN: fake0x, MOONSCOPE_CLINIC_BIN: "" };
  const json = spawnSync(process.execPath, [BIN, "doctor", "--json"], { env: { ...process.env, ...env }, encoding: "utf8" });
  assert.equal(json.status, 0, json.stderr);
  const checks = (JSON.parse(json.stdout) as { checks: { name: string; state: string; found: string; fix: string }[] }).checks;
  const by = new Map(checks.map((c) => [c.name, c]));
  assert.deepEqual([...by.keys()], ["Node.js", "Lua (wasmoon)", "autocannon", "wrk", "npm", "0x", "clinic", "profiler cache", "chromium"]);
  assert.equal(by.get("Node.js")!.state, "ok");
  assert.equal(by.get("Node.js")!.found, process.version);
  assert.deepEqual([by.get("0x")!.state, by.get("0x")!.found], ["ok", `${fake0x} (override)`]);
  assert.equal(by.get("clinic")!.state, "missing");
  assert.match(by.get("clinic")!.fix, /`npx moonscope install clinic`.*Clinic\.js runs only on Node < 21\.7/);
  assert.equal(by.get("profiler cache")!.found, `${cache}: empty`);
  for (const c of checks) if (c.state !== "ok") assert.notEqual(c.fix, "", `${c.name} says how to get it`);
  const text = spawnSync(process.execPath, [BIN, "doctor"], { env: { ...process.env, ...env, NO_COLOR: "1" }, encoding: "utf8" });
  assert.match(text.stdout, /^missing  clinic +not found\n +→ for --mode clinic-\*: `npx moonscope install clinic`/m);
});

test("install takes 0x or clinic, and anything else is a usage error", async () => {
  const r = await run(["install", "perf"], {});
  assert.equal(r.code, 2);
  assert.match(r.stderr, /^error MS_ERR_USAGE: install needs one of 0x, clinic; got "perf"\n\nUsage: moonscope install 0x\|clinic/);
});

test("an unknown mode lists the modes there are", async () => {
  const r = await run(["profile", path.join(ROOT, "examples/hello/app.lua"), "--route", "GET /hello", "--mode", "perf"], {});
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--mode is one of sample, none, 0x, clinic-doctor, clinic-flame, clinic-bubbleprof, clinic-heap; got "perf"/);
});
