// The 0x and clinic modes' failure paths, with no profiler installed: a missing tool, a tool that
// crashes, and a Node version Clinic.js cannot run on. Each is a clear error and leaves no process.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { checkClinicNode } from "../../daemon/session/external-profilers";
import { BIN, ROOT, writeApp } from "../helpers/server";
import { processesMentioning } from "../helpers/cli";

function run(args: string[], env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    c.stderr.on("data", (d) => (stderr += d));
    c.on("close", (code) => resolve({ code, stderr }));
  });
}

const QUICK = ["--duration", "1s", "--warmup", "0s", "--connections", "2"];

test("a missing profiler is a clear error that says how to install it", async () => {
  const app = writeApp(readFileSync(path.join(ROOT, "examples/hello/app.lua"), "utf8"));
  const r = await run(["profile", app, "--route", "GET /hello", "--mode", "0x", ...QUICK, "--out", mkdtempSync(path.join(tmpdir(), "ms-"))], { MOONSCOPE_ZEROX_BIN: "" });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /error MS_ERR_PROFILER_MISSING: 0x is not installed\. Install it beside Moonscope with `npm install --no-save 0x@5`/);
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

test("an unknown mode lists the modes there are", async () => {
  const r = await run(["profile", path.join(ROOT, "examples/hello/app.lua"), "--route", "GET /hello", "--mode", "perf"], {});
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--mode is one of sample, none, 0x, clinic-doctor, clinic-flame, clinic-bubbleprof, clinic-heap; got "perf"/);
});
