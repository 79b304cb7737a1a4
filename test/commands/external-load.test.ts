// `moonscope profile --load external`: the app waits at a URL it prints, a client of someone else's
// (here a plain node:http loop in a process of its own, started once the URL is printed) drives it,
// and the report's client section is the server's own measurements, saying so. No request at all is
// reported as such, never as NaN.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import path from "node:path";
import type { RunFile } from "../../profile/run";
import { BIN, ROOT } from "../helpers/server";
import { processesMentioning, runCli } from "../helpers/cli";

const SLOW = path.join(ROOT, "examples/slow/app.lua");
const tmp = () => mkdtempSync(path.join(tmpdir(), "moonscope-external-"));
const URL_LINE = /send (GET) requests to (http:\/\/\S+?)(?:;| now)/;

/**
 * Requests the URL over 4 keep-alive connections until the server goes away (the profile ended),
 * then prints how many answers it got: someone else's load generator, in its own process.
 */
const CLIENT = `
const http = require("node:http");
const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
let ok = 0, done = false;
const finish = () => { if (!done) { done = true; console.log(JSON.stringify({ ok })); process.exit(0); } };
function one() {
  if (done) return;
  http.get(process.argv[1], { agent }, (res) => { res.resume(); res.on("end", () => { if (res.statusCode === 200) ok++; one(); }); }).on("error", finish);
}
for (let i = 0; i < 4; i++) one();
`;

function runClient(url: string): Promise<{ ok: number }> {
  return new Promise((resolve, reject) => {
    const c = spawn(process.execPath, ["-e", CLIENT, url], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    c.stdout.on("data", (d) => (out += d));
    c.on("error", reject);
    c.on("close", () => resolve(JSON.parse(out) as { ok: number }));
  });
}

/** Runs the profile, starts the client once the URL line is printed (never a timer), and waits for both. */
function profileUnderClient(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string; url: string; sent: number }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [BIN, "profile", ...args], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    let client: Promise<{ ok: number }> | null = null;
    let url = "";
    p.stdout.on("data", (d) => (stdout += d));
    p.stderr.on("data", (d) => {
      stderr += d;
      const m = URL_LINE.exec(stderr);
      if (m && !client) {
        url = m[2];
        client = runClient(url);
      }
    });
    p.on("error", reject);
    p.on("close", async (code) => {
      if (!client) return reject(new Error(`no URL line was printed:\n${stderr}`));
      const { ok } = await client;
      resolve({ code, stdout, stderr, url, sent: ok });
    });
  });
}

describe("moonscope profile --load external", () => {
  test("prints the URL, profiles whatever arrives, and the client section is the server's, saying so", async () => {
    const out = tmp();
    const r = await profileUnderClient([SLOW, "--route", "GET /crunch", "--load", "external", "--duration", "2s", "--warmup", "1s", "--workers", "2", "--out", out]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.url, /^http:\/\/127\.0\.0\.1:\d+\/crunch$/);
    const run = JSON.parse(readFileSync(path.join(out, "run.json"), "utf8")) as RunFile;
    assert.equal(run.options.load, "external");
    assert.equal(run.client.generator, "external");
    // The client section is the server's own counts and histograms over the measured round (the
    // server section counts from the reset before it, so under load that never pauses it holds a few more).
    const round = run.rounds![0];
    assert.ok(round.requests > 0, "requests arrived and were measured");
    assert.equal(run.client.requests, round.requests);
    assert.ok(run.client.requests <= run.server.requests && run.server.requests <= r.sent, `round ${round.requests} ≤ server ${run.server.requests} ≤ the ${r.sent} answers the client got`);
    assert.equal(run.client.latencyUs.p50, round.server.p50Us);
    assert.equal(run.client.latencyUs.p99, round.server.p99Us);
    assert.ok(run.client.latencyUs.p50 > 0 && run.client.latencyUs.max >= run.client.latencyUs.p99);
    assert.ok(Math.abs(run.client.rps - (round.requests / round.windowMs) * 1000) < 1e-6);
    assert.equal(run.client.cpuPercent, 0);
    // The profile saw the handler's work: the slow example's hot Lua function.
    assert.equal(run.hotSpots.find((h) => h.frame.kind === "lua")?.frame.name, "fib");
    assert.ok(existsSync(path.join(out, "profile.pb.gz")));
    // The report says where its numbers came from, and shows no load generator of ours.
    assert.match(r.stdout, /2 worker\(s\), load from elsewhere, /);
    assert.match(r.stdout, /^Throughput .*counted by the server/m);
    assert.match(r.stdout, /^Latency .*\(server side: the load came from elsewhere/m);
    assert.doesNotMatch(r.stdout, /load generator \(/);
    assert.deepEqual(processesMentioning(out), [], "no process left behind");
  });

  test("no request at all: the report and run.json say so, with zeros, never NaN", async () => {
    const out = tmp();
    // --quiet still prints the URL: it is what to do, not progress.
    const r = await runCli(["profile", SLOW, "--route", "GET /crunch", "--load", "external", "--duration", "1s", "--warmup", "0s", "--workers", "1", "--runs", "2", "--out", out, "--quiet"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, URL_LINE);
    assert.match(r.stdout, /^Throughput  no request of this route arrived at the URL it waited at/m);
    assert.doesNotMatch(r.stdout, /NaN|Infinity/);
    assert.match(r.stdout, /^Verdict: no request of this route was timed/m);
    assert.match(r.stdout, /no GET \/crunch request arrived in round 1 at http:\/\/127\.0\.0\.1:\d+\/crunch/);
    assert.match(r.stdout, /no GET \/crunch request arrived in round 2/);
    const text = readFileSync(path.join(out, "run.json"), "utf8");
    assert.doesNotMatch(text, /NaN|null,"p50"|"min":null/);
    const run = JSON.parse(text) as RunFile;
    assert.equal(run.client.requests, 0);
    assert.deepEqual(Object.values(run.client.latencyUs), [0, 0, 0, 0, 0, 0, 0]);
    assert.deepEqual(run.rounds!.map((x) => x.requests), [0, 0]);
  });

  test("--host: where the app listens; the URL names this machine for a wildcard, and our own generator still reaches the app", async () => {
    const wild = await runCli(["profile", SLOW, "--route", "GET /crunch", "--load", "external", "--host", "0.0.0.0", "--duration", "1s", "--warmup", "0s", "--workers", "1", "--out", tmp(), "--quiet"]);
    assert.equal(wild.code, 0, wild.stderr);
    const shown = wild.stderr.match(URL_LINE)?.[2] ?? "";
    assert.equal(new URL(shown).hostname, hostname().toLowerCase(), wild.stderr);
    // A listener on another loopback address only: a generator aiming at 127.0.0.1 would find nothing there.
    const out = tmp();
    const own = await runCli(["profile", path.join(ROOT, "examples/hello/app.lua"), "--route", "GET /hello", "--host", "127.0.0.2", "--duration", "1s", "--warmup", "0s", "--workers", "1", "--connections", "2", "--out", out, "--json"]);
    assert.equal(own.code, 0, own.stderr);
    const run = JSON.parse(own.stdout) as RunFile;
    assert.ok(run.client.requests > 0 && run.client.errors === 0, JSON.stringify(run.client));
  });

  test("options that make no sense with it are usage errors", async () => {
    const rate = await runCli(["profile", SLOW, "--route", "GET /crunch", "--load", "external", "--rate", "100", "--out", tmp()]);
    assert.equal(rate.code, 2, rate.stderr);
    assert.match(rate.stderr, /^error MS_ERR_USAGE: --rate sets the pace of Moonscope's own generator/);
    const bogus = await runCli(["profile", SLOW, "--route", "GET /crunch", "--load", "k6", "--out", tmp()]);
    assert.equal(bogus.code, 2);
    assert.match(bogus.stderr, /--load is one of wrk, autocannon, external, got "k6"/);
    const ab = await runCli(["ab", SLOW, SLOW, "--route", "GET /crunch", "--load", "external"]);
    assert.equal(ab.code, 2, ab.stderr);
    assert.match(ab.stderr, /--load external works with moonscope profile/);
  });
});
