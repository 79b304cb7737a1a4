// Clients that send faster than they read: a worker answers a connection's pipelined requests a few
// at a time and stops reading it while its responses wait, so a client that never reads costs a
// bounded amount of memory, other clients are served meanwhile, nothing is refused, and a client
// that reads nothing at all is disconnected after --request-timeout.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import { startServer, writeApp, type RunningServer } from "../helpers/server";
import { get } from "../helpers/http";

const BIG = 64 * 1024;
const APP = `
local big = string.rep("x", ${BIG})
function api.big.get(ctx) return api.text(big) end
function api.hello.get(ctx) return api.json { message = "hello" } end
function api.n.p_i.get(ctx) return api.text(ctx.params.i) end
`;
const MB = 1024 * 1024;

/** Connects and waits until the socket is open. */
function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, "127.0.0.1", () => resolve(s));
    s.once("error", reject);
  });
}

/** Reads from s until `bytes` bytes arrived (or it closed); resolves with what came. */
function readAll(s: net.Socket, bytes: number, timeoutMs = 20_000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let n = 0;
    const timer = setTimeout(() => reject(new Error(`read ${n} of ${bytes} bytes`)), timeoutMs);
    const done = () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks));
    };
    s.on("data", (d: Buffer) => {
      chunks.push(d);
      n += d.length;
      if (n >= bytes) done();
    });
    s.on("close", done);
    s.resume();
  });
}

describe("backpressure", () => {
  let srv: RunningServer;
  before(async () => {
    srv = await startServer(writeApp(APP), ["--request-timeout", "3s"]);
  });
  after(() => srv?.stop());

  const rss = async () => (await srv.stats()).workers[0].resources.rssBytes;
  const answered = async () => (await srv.stats()).workers[0].routes.find((r) => r.route === "GET /big")?.requests ?? 0;
  /**
   * Resolves once the worker has answered some /big requests and then none through 20 stats
   * answers in a row: each answer is a turn of the worker's event loop, in which it would have
   * read and answered more had it not stopped reading.
   */
  const untilHeldBack = async (): Promise<number> => {
    let last = -1;
    let same = 0;
    while (same < 20) {
      const now = await answered();
      same = now === last && now > 0 ? same + 1 : 0;
      last = now;
    }
    return last;
  };

  test("a client that pipelines 3000 requests for 64 KB and reads nothing costs the worker little memory; others are served meanwhile; then it gets every response in order", async () => {
    const n = 3000;
    const before = await rss();
    const s = await connect(srv.port);
    s.pause();
    s.write("GET /big HTTP/1.1\r\nHost: x\r\n\r\n".repeat(n - 1) + "GET /big HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    // Wait until the worker has answered what the socket buffers take and stopped reading.
    const last = await untilHeldBack();
    assert.ok(last < n, `the worker stopped answering after ${last} responses`);
    const grown = (await rss()) - before;
    assert.ok(grown < 40 * MB, `RSS grew by ${(grown / MB).toFixed(1)} MB (without backpressure: ~190 MB)`);
    const t0 = performance.now();
    const other = await get(srv.port, "/hello");
    assert.equal(other.status, 200);
    assert.ok(performance.now() - t0 < 1000, `another client waited ${(performance.now() - t0).toFixed(0)} ms`);
    const got = await readAll(s, Infinity);
    s.destroy();
    const heads = got.toString("latin1").match(/HTTP\/1\.1 200 OK\r\n/g) ?? [];
    assert.equal(heads.length, n, "every pipelined request was answered");
  });

  test("more pipelined requests than the pipeline depth in one write are all answered, in order", async () => {
    const n = 500;
    const s = await connect(srv.port);
    let text = "";
    for (let i = 0; i < n; i++) text += `GET /n/${i} HTTP/1.1\r\nHost: x\r\n${i === n - 1 ? "Connection: close\r\n" : ""}\r\n`;
    s.write(text);
    const got = (await readAll(s, Infinity)).toString("latin1");
    const bodies = [...got.matchAll(/\r\n\r\n(\d+)/g)].map((m) => Number(m[1]));
    assert.deepEqual(bodies, Array.from({ length: n }, (_, i) => i));
  });

  test("a client that half-closes after pipelining keeps getting the responses the worker held back", async () => {
    const n = 200;
    const s = await connect(srv.port);
    s.pause();
    const before = await answered();
    s.end("GET /big HTTP/1.1\r\nHost: x\r\n\r\n".repeat(n));
    // The worker answers what the socket buffers take, sees the half-close, and holds the rest back.
    while ((await answered()) === before);
    await untilHeldBack();
    const got = await readAll(s, Infinity);
    assert.equal((got.toString("latin1").match(/HTTP\/1\.1 200 OK\r\n/g) ?? []).length, n);
  });

  test("a client that takes none of its responses for --request-timeout is disconnected", async () => {
    const s = await connect(srv.port);
    s.pause();
    s.on("error", () => {});
    const t0 = performance.now();
    s.write("GET /big HTTP/1.1\r\nHost: x\r\n\r\n".repeat(400));
    // A paused client does not notice the reset until it reads: watch the worker's connection count.
    let conns = 1;
    // Each stats answer is a turn of the worker's loop; the drop shows in the first one after it.
    while (conns > 0 && performance.now() - t0 < 12_000) conns = (await srv.stats()).workers[0].resources.connections;
    const took = performance.now() - t0;
    assert.equal(conns, 0, "the worker dropped the connection");
    assert.ok(took >= 2900 && took < 8000, `dropped after ${took.toFixed(0)} ms (--request-timeout 3s)`);
    const got = await readAll(s, Infinity);
    assert.ok((got.toString("latin1").match(/HTTP\/1\.1 200 OK\r\n/g) ?? []).length < 400, "what it asked for stays unanswered");
    assert.equal((await get(srv.port, "/hello")).status, 200);
  });
});
