// "Compare with the last run" through the language server (moonscope/startCompare): the last run's
// copy of the app against the app as it is now, rounds interleaved, streamed like a profile (one
// session, busy to others, stoppable), ending in two runs and their comparison.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { copyFileSync, cpSync, existsSync, readFileSync, writeFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { MessageConnection } from "vscode-jsonrpc/node";
import * as P from "../../protocol/lsp";
import type { RunFile } from "../../profile/run";
import type { ToClient } from "../../protocol/ws";
import { ROOT } from "../helpers/server";
import { startLsp, type LspClient } from "../helpers/lsp";
import { processesMentioning } from "../helpers/cli";

type Frame = Extract<ToClient, { type: "frame" }>;
const SHORT = { durationMs: 1000, warmupMs: 0, connections: 2, workers: 1 };
const readRunFile = (dir: string) => JSON.parse(readFileSync(path.join(dir, "run.json"), "utf8")) as RunFile;
const until = async (ok: () => boolean) => {
  while (!ok()) await new Promise((r) => setImmediate(r));
};

describe("moonscope/startCompare", () => {
  let lsp: LspClient;
  let conn: MessageConnection;
  let workspace: string;
  let appFile: string;
  let appUri: string;
  const states: P.SessionState[] = [];
  const stream: ToClient[] = [];
  let first: P.RunSummary;

  before(async () => {
    workspace = mkdtempSync(path.join(tmpdir(), "moonscope-compare-"));
    appFile = path.join(workspace, "app.lua");
    copyFileSync(path.join(ROOT, "examples/hello/app.lua"), appFile);
    lsp = await startLsp(workspace, {}, (c) => {
      c.onNotification(P.sessionState.method, (s: P.SessionState) => states.push(s));
      c.onNotification(P.streamMessage.method, (m: ToClient) => stream.push(m));
    });
    conn = lsp.conn;
    appUri = await lsp.open(appFile);
    first = (await conn.sendRequest<{ run: P.RunSummary }>(P.startProfile.method, { uri: appUri, route: "GET /hello", options: SHORT })).run;
  });

  after(() => lsp?.close());

  test("the last run's code against the app as it is now: interleaved, streamed with a growing clock, busy to others, two runs and a verdict", async () => {
    // The code changes after the run: the compare must run the run's copy as "before".
    writeFileSync(appFile, readFileSync(appFile, "utf8") + "\n-- changed after the last run\n");
    const from = states.length;
    const streamFrom = stream.length;
    const pending = conn.sendRequest<P.StartCompareResult>(P.startCompare.method, { run: first.id, options: { ...SHORT, runs: 2 } });
    await until(() => states.slice(from).some((s) => s.phase === "measuring"));
    await assert.rejects(conn.sendRequest(P.startProfile.method, { uri: appUri, route: "GET /hello", options: SHORT }), (e: Error & { data?: { code: string } }) => e.data?.code === "MS_ERR_BUSY" && /being compared with its last run/.test(e.message));
    // The run whose app copy is being measured again cannot be deleted meanwhile.
    await assert.rejects(conn.sendRequest(P.deleteRun.method, { id: first.id }), (e: Error & { data?: { code: string } }) => e.data?.code === "MS_ERR_RUN_IN_USE" && /being measured again/.test(e.message));
    assert.ok(existsSync(first.dir));
    const r = await pending;

    assert.match(r.before.id, /-GET-hello-A$/);
    assert.match(r.after.id, /-GET-hello-B$/);
    assert.equal(r.comparison.method.interleaved, true);
    assert.equal(r.comparison.method.beforeRounds, 2);
    assert.ok(r.comparison.differences.includes("app files changed: app.lua"), r.comparison.differences.join("; "));
    assert.ok(["slower", "faster", "mixed", "no change"].includes(r.headline.change));
    assert.ok(r.headline.text.length > 0);
    assert.ok(r.svgFile && existsSync(r.svgFile) && r.svgFile.startsWith(r.after.dir), String(r.svgFile));
    // A ran the first run's copy (same hashes), B the file as it is now.
    const a = readRunFile(r.before.dir);
    const b = readRunFile(r.after.dir);
    assert.deepEqual(a.app.files, readRunFile(first.dir).app.files);
    assert.notDeepEqual(b.app.files, a.app.files);
    assert.equal(b.app.file, appFile);

    const mine = states.slice(from);
    assert.ok(mine.every((s) => s.kind === "compare" && s.sessionId === r.sessionId), JSON.stringify(mine.map((s) => [s.kind, s.sessionId])));
    assert.equal(mine[mine.length - 1].phase, "done");
    assert.equal(mine[mine.length - 1].run?.id, r.after.id);
    assert.equal(mine[mine.length - 1].message, r.headline.text);

    // Frames of both sides, on one clock that keeps growing over the 2 rounds × 2 sides × 1 s.
    const frames = stream.slice(streamFrom).filter((m): m is Frame => m.type === "frame" && m.sessionId === r.sessionId);
    assert.deepEqual([...new Set(frames.map((f) => f.side))].sort(), ["A", "B"]);
    assert.ok(frames.every((f) => f.durationMs === 4000 && f.round?.count === 2), JSON.stringify(frames.map((f) => [f.durationMs, f.round])));
    for (let i = 1; i < frames.length; i++) assert.ok(frames[i].elapsedMs >= frames[i - 1].elapsedMs, `frame ${i}: ${frames[i - 1].elapsedMs} → ${frames[i].elapsedMs}`);
    assert.ok(frames[frames.length - 1].elapsedMs > 3000, `last frame at ${frames[frames.length - 1].elapsedMs} ms`);
    const done = stream.slice(streamFrom).find((m): m is Extract<ToClient, { type: "compareDone" }> => m.type === "compareDone");
    assert.deepEqual(done && [done.before.id, done.after.id, done.headline], [r.before.id, r.after.id, r.headline.text]);
    assert.deepEqual(processesMentioning(workspace), []);
  });

  test("a run that cannot be run again is refused before a session starts, with its catalog code", async () => {
    const from = states.length;
    await assert.rejects(conn.sendRequest(P.startCompare.method, { run: "no-such-run" }), (e: Error & { data?: { code: string } }) => e.data?.code === "MS_ERR_RUN_NOT_FOUND" && /no run no-such-run/.test(e.message));
    await assert.rejects(conn.sendRequest(P.startCompare.method, { run: first.id, options: { runs: 0 } }), (e: Error & { data?: { code: string } }) => e.data?.code === "MS_ERR_USAGE" && /options\.runs 0 is not a whole number/.test(e.message));
    await assert.rejects(conn.sendRequest(P.startCompare.method, {}), (e: Error & { data?: { code: string } }) => e.data?.code === "MS_ERR_USAGE");
    // A run from before runs kept a copy of their app.
    const id = "2000-01-01T00-00-00-GET-hello";
    const dir = path.join(workspace, ".moonscope", "runs", id);
    cpSync(first.dir, dir, { recursive: true });
    const old = readRunFile(dir);
    delete old.app.snapshot;
    writeFileSync(path.join(dir, "run.json"), JSON.stringify({ ...old, id }));
    await assert.rejects(conn.sendRequest(P.startCompare.method, { run: id }), (e: Error & { data?: { code: string } }) => e.data?.code === "MS_ERR_RUN_NOT_FOUND" && /keeps no copy of its app/.test(e.message));
    assert.equal(states.length, from, "no session started");
  });

  test("Stop ends a compare like a profile; stopped before both sides measured a round, it keeps no half comparison and leaves nothing running", async () => {
    const from = states.length;
    const streamFrom = stream.length;
    const runsBefore = (await conn.sendRequest<{ runs: P.RunSummary[] }>(P.listRuns.method, {})).runs.length;
    const pending = conn.sendRequest(P.startCompare.method, { run: first.id, options: { ...SHORT, durationMs: 30_000, runs: 3 } });
    // The first frame is side A's first round (the order is A B, B A, ...).
    await until(() => stream.slice(streamFrom).some((m) => m.type === "frame"));
    assert.deepEqual(await conn.sendRequest(P.stopProfile.method, {}), { stopped: true });
    await assert.rejects(pending, (e: Error & { data?: { code: string } }) => e.data?.code === "MS_ERR_CANCELLED");
    assert.equal(states[states.length - 1].phase, "cancelled");
    assert.ok(states.slice(from).every((s) => s.kind === "compare"));
    assert.equal((await conn.sendRequest<{ runs: P.RunSummary[] }>(P.listRuns.method, {})).runs.length, runsBefore);
    assert.deepEqual(processesMentioning(workspace), []);
  });
});
