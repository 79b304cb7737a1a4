// Under --prof, a helper thread's tick log must not be left for 0x to pick instead of the main thread's.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";

const ROOT = path.resolve(__dirname, "..");

test("under --prof, starting the watchdog thread leaves no tick log of its own beside the ones already there", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "ms-prof-log-"));
  const script = path.join(dir, "start.ts");
  // The logs before the start include tsx's own loader thread's, which is not ours to remove.
  writeFileSync(
    script,
    `import { readdirSync } from "node:fs";
import { startWatchdog } from ${JSON.stringify(path.join(ROOT, "server-core", "watchdog.ts"))};
const logs = () => readdirSync(".").filter((f) => /^isolate-.*-v8\\.log$/.test(f)).sort();
const before = logs();
void startWatchdog(0, { onTimeout() {}, onSample() {}, onProgress() {} }).then(async (w) => {
  const after = logs();
  await w.stop();
  console.log(JSON.stringify({ before, after }));
});
`,
  );
  // 0x's own flags: one log per isolate, named after the pid.
  const r = spawnSync(process.execPath, ["--prof", "--logfile=%p-v8.log", "--import", pathToFileURL(require.resolve("tsx")).href, script], { cwd: dir, encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  const { before, after } = JSON.parse(r.stdout) as { before: string[]; after: string[] };
  assert.ok(before.length >= 1, "the main thread's log is there from the start");
  assert.deepEqual(after, before, "the watchdog thread's log is gone; every log that was there stays");
});
