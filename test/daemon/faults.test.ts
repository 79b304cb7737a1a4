// A session whose app dies or freezes mid-run ends with a clear error, leaves no process behind, and
// the daemon is free for the next session.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { copyFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import * as P from "../../protocol/lsp";
import { ROOT } from "../helpers/server";
import { startLsp, type LspClient } from "../helpers/lsp";
import { processesMentioning } from "../helpers/cli";

describe("the daemon when the app under test fails mid-run", () => {
  let lsp: LspClient;
  let appFile: string;
  let appUri: string;
  const states: P.SessionState[] = [];

  before(async () => {
    const workspace = mkdtempSync(path.join(tmpdir(), "moonscope-faults-"));
    appFile = path.join(workspace, "app.lua");
    copyFileSync(path.join(ROOT, "examples/hello/app.lua"), appFile);
    lsp = await startLsp(workspace, {}, (conn) => conn.onNotification(P.sessionState.method, (s: P.SessionState) => states.push(s)));
    appUri = await lsp.open(appFile);
  });

  after(() => lsp?.close());

  /** Starts a session and, once it measures, does `fault` to the app's processes; resolves with how it ended. */
  async function faultWhileMeasuring(fault: (pids: number[]) => void): Promise<{ error: Error & { data?: { code: string } }; ms: number }> {
    states.length = 0;
    const t0 = Date.now();
    const run = lsp.conn.sendRequest(P.startProfile.method, { uri: appUri, route: "GET /hello", options: { durationMs: 2000, warmupMs: 0, connections: 2, workers: 1 } });
    while (!states.some((s) => s.phase === "measuring")) await new Promise((r) => setImmediate(r));
    fault(processesMentioning(appFile));
    const error = await run.then(
      () => assert.fail("the session should have failed"),
      (e: Error & { data?: { code: string } }) => e,
    );
    return { error, ms: Date.now() - t0 };
  }

  test("the app is killed while it is measured: MS_ERR_APP_CRASHED, nothing left running, the next session runs", async () => {
    const { error } = await faultWhileMeasuring((pids) => {
      assert.ok(pids.length >= 2, `master and worker, got ${pids.join(",")}`);
      for (const pid of pids) process.kill(pid, "SIGKILL");
    });
    assert.equal(error.data?.code, "MS_ERR_APP_CRASHED");
    assert.match(error.message, /the app server (exited during the session|is not running)/);
    assert.equal(states[states.length - 1].phase, "failed");
    assert.deepEqual(processesMentioning(appFile), []);
    const { sessions } = await lsp.conn.sendRequest<{ sessions: P.SessionState[] }>(P.getSessionState.method, {});
    assert.deepEqual(sessions, []);
  });

  test("the app freezes (SIGSTOP) while it is measured: a timeout error within seconds, and its processes are killed", async () => {
    const { error, ms } = await faultWhileMeasuring((pids) => {
      for (const pid of pids) process.kill(pid, "SIGSTOP");
    });
    assert.equal(error.data?.code, "MS_ERR_APP_TIMEOUT");
    assert.match(error.message, /did not answer within \d+ ms/);
    assert.ok(ms < 30_000, `ended after ${ms} ms`);
    assert.deepEqual(processesMentioning(appFile), []);
    // The daemon is free again: a normal session succeeds.
    const { run } = await lsp.conn.sendRequest<{ run: P.RunSummary }>(P.startProfile.method, { uri: appUri, route: "GET /hello", options: { durationMs: 1000, warmupMs: 0, connections: 2, workers: 1 } });
    assert.ok(run.rps > 0);
  });
});
