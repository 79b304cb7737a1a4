// Budgets from the editor's settings: a handler whose last run missed one gets a warning diagnostic
// at its line, and the warning goes away once a run meets them.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { copyFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import * as P from "../../protocol/lsp";
import { ROOT } from "../helpers/server";
import { startLsp, type LspClient } from "../helpers/lsp";

interface Diag {
  range: { start: { line: number } };
  severity: number;
  source: string;
  message: string;
}

let lsp: LspClient;
let appUri: string;
const published = new Map<string, Diag[]>();

before(async () => {
  const workspace = mkdtempSync(path.join(tmpdir(), "moonscope-budget-"));
  const appFile = path.join(workspace, "app.lua");
  copyFileSync(path.join(ROOT, "examples/hello/app.lua"), appFile);
  lsp = await startLsp(workspace, {}, (conn) => {
    conn.onNotification("textDocument/publishDiagnostics", (p: { uri: string; diagnostics: Diag[] }) => published.set(p.uri, p.diagnostics));
  });
  appUri = await lsp.open(appFile);
});

after(() => lsp?.close());

const run = (budgets: string) =>
  lsp.conn.sendRequest<{ run: P.RunSummary }>(P.startProfile.method, { uri: appUri, route: "GET /hello", options: { durationMs: 1000, warmupMs: 0, connections: 2, workers: 1, budgets } });

test("a missed budget puts a warning on the handler; a run that meets it clears the warning", async () => {
  const { run: missed } = await run("p99=1us");
  assert.equal(missed.budgetsMissed.length, 1);
  const diags = published.get(appUri) ?? [];
  assert.equal(diags.length, 1, JSON.stringify(diags));
  assert.equal(diags[0].severity, 2); // Warning
  assert.equal(diags[0].source, "moonscope");
  assert.equal(diags[0].range.start.line, 3); // function api.hello.get(ctx), 0-based
  assert.match(diags[0].message, /GET \/hello missed its budget in the last run .*p99 latency [\d.]+ ms exceeds the budget of 0\.00 ms/);

  const { run: met } = await run("p99=10s");
  assert.deepEqual(met.budgetsMissed, []);
  assert.deepEqual(published.get(appUri), []);
});

test("a budget that cannot be read is refused with a message that shows the form", async () => {
  await assert.rejects(run("p99<5ms"), (e: Error & { data?: { code: string } }) => e.data?.code === "MS_ERR_USAGE" && /budgets entry "p99<5ms" is not understood; use p50\|p90\|p99\|p999=<n>ms/.test(e.message));
});
