// Random mutations of valid requests against a real 2-worker server, with a fixed seed so a failure
// reproduces. `npm test` runs it for a few seconds; `npm run fuzz` runs it longer
// (MOONSCOPE_FUZZ_SECONDS, MOONSCOPE_FUZZ_SEED).
import { test } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import { startServer, writeApp } from "../helpers/server";
import { get } from "../helpers/http";

const SECONDS = Number(process.env.MOONSCOPE_FUZZ_SECONDS ?? 4);
const SEED = Number(process.env.MOONSCOPE_FUZZ_SEED ?? 20261124);
const PARALLEL = 8;

const APP = `
function api.hello.get(ctx) return api.json { message = "hi" } end
function api.users.p_id.get(ctx) return api.json { id = ctx.params.id, q = ctx.query.q } end
function api.users.post(ctx) local u = ctx:json() return api.json:status(201, u) end
`;

const CORPUS = [
  "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n",
  "GET /users/42?q=a+b HTTP/1.1\r\nHost: x\r\nUser-Agent: fuzz\r\nAccept: */*\r\n\r\n",
  'POST /users HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 15\r\n\r\n{"name":"Ada"}\n',
  'POST /users HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\n{"a":\r\n2\r\n1}\r\n0\r\nX-T: y\r\n\r\n',
  "GET /hello HTTP/1.1\r\nHost: x\r\n\r\nGET /users/7 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
  "GET /hello HTTP/1.0\r\n\r\n",
];
const SPICE = ["\r", "\n", "\0", " ", "\t", ":", ";", "%", "%zz", "\x7f", "\xff", "Content-Length: 5\r\n", "Transfer-Encoding: chunked\r\n", " folded\r\n", "\r\n\r\n", "GET / HTTP/1.1\r\n", "-1", "0x10", "9".repeat(20)];

function rng(seed: number): () => number {
  let s = seed | 0;
  return () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function mutate(r: () => number): Buffer {
  let b = Buffer.from(CORPUS[Math.floor(r() * CORPUS.length)], "latin1");
  const n = 1 + Math.floor(r() * 4);
  for (let i = 0; i < n; i++) {
    const at = Math.floor(r() * (b.length + 1));
    const op = Math.floor(r() * 5);
    if (op === 0 && b.length) b[Math.min(at, b.length - 1)] = Math.floor(r() * 256); // flip a byte
    else if (op === 1) b = Buffer.concat([b.subarray(0, at), Buffer.from(SPICE[Math.floor(r() * SPICE.length)], "latin1"), b.subarray(at)]); // insert
    else if (op === 2) b = b.subarray(0, at); // truncate
    else if (op === 3) b = Buffer.concat([b.subarray(0, at), b.subarray(Math.min(b.length, at + 1 + Math.floor(r() * 8)))]); // delete a run
    else b = Buffer.concat([b, b.subarray(0, at)]); // repeat a prefix (pipelined junk)
  }
  return b;
}

/** Sends the bytes (split at a random point), then waits for the server to close or go quiet. Returns the first status line seen. */
function send(port: number, bytes: Buffer, split: number, halfClose: boolean): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect(port, "127.0.0.1");
    let got = "";
    const done = (why: string) => {
      clearTimeout(deadline);
      s.destroy();
      const status = /^HTTP\/1\.1 (\d{3})/.exec(got)?.[1];
      // A 500 is the app's own answer only when its handler rejected a body that is not JSON.
      if (status === "500") resolve(/ctx:json\(\): the request body is not valid JSON/.test(got) ? "500 (handler: body not JSON)" : `500 ${/"code":"(\w+)","message":"([^"]*)/.exec(got)?.slice(1).join(": ") ?? got.slice(0, 200)}`);
      else resolve(status ?? why);
    };
    // A bound on one input, not a wait: a request the server neither answers nor closes is an outcome too.
    const deadline = setTimeout(() => done("no answer"), 3000);
    s.on("connect", () => {
      s.write(bytes.subarray(0, split));
      setImmediate(() => {
        if (!s.destroyed) s.write(bytes.subarray(split));
        if (halfClose && !s.destroyed) s.end();
      });
    });
    s.on("data", (d) => (got += d.toString("latin1")));
    s.on("close", () => done("closed"));
    s.on("error", () => done("reset"));
  });
}

test(`fuzz: ${SECONDS} s of mutated requests (seed ${SEED}) kill no worker and leave the server answering`, async (t) => {
  const srv = await startServer(writeApp(APP), ["--workers", "2", "--request-timeout", "500ms", "--keep-alive-timeout", "500ms", "--max-body", "4KB"]);
  try {
    const pids = [...srv.pids].sort();
    const r = rng(SEED);
    const outcomes = new Map<string, number>();
    const deadline = performance.now() + SECONDS * 1000;
    let sent = 0;
    const lane = async () => {
      while (performance.now() < deadline) {
        const bytes = mutate(r);
        const split = Math.floor(r() * (bytes.length + 1));
        const outcome = await send(srv.port, bytes, split, r() < 0.3);
        outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
        sent++;
      }
    };
    await Promise.all(Array.from({ length: PARALLEL }, lane));
    t.diagnostic(`${sent} inputs: ${[...outcomes.entries()].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} x${v}`).join(", ")}`);
    const snap = await srv.stats();
    assert.equal(snap.restarts, 0, "no worker died");
    assert.deepEqual(snap.workers.map((w) => w.pid).sort(), pids);
    const serverErrors = [...outcomes.keys()].filter((k) => k.startsWith("500") && k !== "500 (handler: body not JSON)");
    assert.deepEqual(serverErrors, [], "malformed input never causes a server-side error");
    assert.equal((await get(srv.port, "/hello")).status, 200);
    assert.ok(sent > 50);
  } finally {
    await srv.stop();
  }
});
