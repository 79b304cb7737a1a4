// Load from elsewhere through the language server, as an editor or the dashboard will ask for it:
// startProfile's options.load "external" reaches the session, the session state's message names the
// URL, whatever a client sends there is measured; and exportRun writes the run's pprof as bytes.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import { copyFileSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { gunzipSync } from "node:zlib";
import { Profile } from "pprof-format";
import * as P from "../../protocol/lsp";
import type { RunFile } from "../../profile/run";
import { ROOT } from "../helpers/server";
import { startLsp, type LspClient } from "../helpers/lsp";

describe("startProfile with options.load external", () => {
  let lsp: LspClient;
  let workspace: string;
  let appUri: string;
  const states: P.SessionState[] = [];
  let urlSeen: (url: string) => void;
  const url = new Promise<string>((r) => (urlSeen = r));

  before(async () => {
    workspace = mkdtempSync(path.join(tmpdir(), "moonscope-ext-ws-"));
    const appFile = path.join(workspace, "app.lua");
    copyFileSync(path.join(ROOT, "examples/slow/app.lua"), appFile);
    lsp = await startLsp(workspace, {}, (c) =>
      c.onNotification(P.sessionState.method, (s: P.SessionState) => {
        states.push(s);
        const m = /send GET requests to (http:\/\/\S+?)(?:;| now)/.exec(s.message);
        if (m) urlSeen(m[1]);
      }),
    );
    appUri = await lsp.open(appFile);
  });

  after(() => lsp?.close());

  test("the state names the URL, what is sent there is the run, and exportRun writes its pprof", async () => {
    const done = lsp.conn.sendRequest<{ sessionId: number; run: P.RunSummary }>(P.startProfile.method, {
      uri: appUri,
      route: "GET /crunch",
      options: { load: "external", durationMs: 1500, warmupMs: 0, workers: 1 },
    } satisfies P.StartProfileParams);
    // A client of someone else's: one keep-alive connection, requests until the session ends.
    const target = await url;
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    let answered = 0;
    let ended = false;
    const client = (async () => {
      while (!ended) {
        const ok = await new Promise<boolean>((resolve) => {
          http.get(target, { agent }, (res) => {
            res.resume();
            res.on("end", () => resolve(res.statusCode === 200));
          }).on("error", () => resolve(false));
        });
        if (!ok) break;
        answered++;
      }
    })();
    const { run } = await done;
    ended = true;
    await client;
    agent.destroy();
    assert.ok(answered > 0 && run.rps > 0, `answered ${answered}, rps ${run.rps}`);
    assert.equal(states[states.length - 1].phase, "done");
    const stored = JSON.parse(readFileSync(path.join(run.dir, "run.json"), "utf8")) as RunFile;
    assert.equal(stored.options.load, "external");
    assert.equal(stored.client.generator, "external");
    assert.ok(stored.client.requests > 0 && stored.client.requests <= answered);

    const file = path.join(workspace, "out.pb.gz");
    const ex = await lsp.conn.sendRequest<{ bytes: number }>(P.exportRun.method, { id: run.id, format: "pprof", file });
    const bytes = readFileSync(file);
    assert.equal(ex.bytes, bytes.length);
    const p = Profile.decode(gunzipSync(bytes));
    const s = (i: number | bigint) => p.stringTable.strings[Number(i)];
    assert.ok(p.sample.some((x) => x.label.some((l) => s(l.key) === "route" && s(l.str) === "GET /crunch")));
  });
});
