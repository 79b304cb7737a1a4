// `moonscope profile` killed outright (SIGKILL, no chance to clean up): its app and its load
// generator do not outlive it, and the run folder it had started is gone at the next listing.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { copyFileSync, existsSync, mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { BIN, ROOT } from "../helpers/server";
import { processesMentioning } from "../helpers/cli";
import { findWrk } from "../../daemon/load/wrk";
import { workspaceRuns } from "../../daemon/runs/summary";

test("a SIGKILLed profile leaves no wrk, no server and no run folder behind", { skip: findWrk() === null ? "wrk is not installed" : false }, async () => {
  const workspace = mkdtempSync(path.join(tmpdir(), "moonscope-killed-"));
  const app = path.join(workspace, "app.lua");
  copyFileSync(path.join(ROOT, "examples/hello/app.lua"), app);
  const child = spawn(process.execPath, [BIN, "profile", app, "--route", "GET /hello", "--duration", "60s", "--warmup", "0s", "--workers", "1", "--load", "wrk"], {
    cwd: workspace,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  await new Promise<void>((resolve, reject) => {
    child.stderr.on("data", (d) => {
      stderr += d;
      if (/measuring/.test(stderr)) resolve();
    });
    child.on("exit", () => reject(new Error(`profile ended before it measured: ${stderr}`)));
  });
  const runs = path.join(workspace, ".moonscope", "runs");
  assert.equal(readdirSync(runs).length, 1, "the run folder was made");
  // Its wrk runs with a script in a moonscope-wrk-* folder; wait until it is there.
  while (processesMentioning("moonscope-wrk-").length === 0) await new Promise((r) => setTimeout(r, 50));
  const wrk = processesMentioning("moonscope-wrk-");
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGKILL");
  // Until it is reaped, the killed process is a zombie whose pid still answers kill(pid, 0), so
  // its writer lock would look held: wait for its exit, as any later command would come after it.
  await exited;
  const deadline = Date.now() + 5000;
  while ((processesMentioning("moonscope-wrk-").some((p) => wrk.includes(p)) || processesMentioning(app).length > 0) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.deepEqual(processesMentioning("moonscope-wrk-").filter((p) => wrk.includes(p)), [], "wrk is gone");
  assert.deepEqual(processesMentioning(app), [], "the app's server is gone");
  assert.deepEqual(workspaceRuns(workspace), []);
  assert.equal(existsSync(runs) && readdirSync(runs).length, 0, "the unfinished run folder was removed");
});
