// Hostile and malformed HTTP input, end to end over real sockets against one multi-worker server:
// every rejected request gets its exact status and MS_ERR_HTTP_* JSON error, "Connection: close" and a
// closed socket; nothing sent after a rejected (or closing) request is ever answered or run as a
// request; timeouts (408, idle keep-alive) fire on time; and no worker dies on the way.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import { startServer, writeApp, type RunningServer } from "../helpers/server";
import { get, parseResponses, raw, type RawResponse } from "../helpers/http";
import { HTTP_ERROR_CODES } from "../../server-core/http/parser";

const REQUEST_TIMEOUT_MS = 400;
const KEEP_ALIVE_TIMEOUT_MS = 700;
/** The worker sweeps connections every requestTimeout / 4 (at least 50 ms, at most 1 s). */
const SWEEP_MS = Math.max(50, Math.min(1000, REQUEST_TIMEOUT_MS / 4));
/** Scheduling slack on a busy 2-core machine. */
const SLACK_MS = 900;
const MAX_BODY = 1024; // --max-body 1KB

const APP = `
function api.hello.get(ctx) return api.json { message = "hello" } end
-- Only ever requested as bytes that follow a rejected request: it must never run.
function api.canary.get(ctx) return api.text("CANARY") end
function api.echo.post(ctx) return api.json { len = #(ctx.body or ""), body = ctx.body } end
`;

const CANARY = "GET /canary HTTP/1.1\r\nHost: x\r\n\r\n";
const H = "Host: x\r\n";
const POSTCH = `POST /echo HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n`;
const B = (s: string): Buffer => Buffer.from(s, "latin1");

type Code = keyof typeof HTTP_ERROR_CODES;
interface Case {
  name: string;
  /** Sent as latin1 bytes, followed by a valid pipelined request for /canary. */
  input: string;
  status: number;
  code: Code;
}

const many = (n: number) => Array.from({ length: n }, (_, i) => `X-H${i}: ${i}\r\n`).join("");

const CASES: Case[] = [
  // request line
  { name: "empty method (line starts with a space)", input: ` / HTTP/1.1\r\n${H}\r\n`, status: 400, code: "BAD_REQUEST_LINE" },
  { name: "missing version", input: `GET /\r\n${H}\r\n`, status: 400, code: "BAD_REQUEST_LINE" },
  { name: "missing target and version", input: `GET\r\n${H}\r\n`, status: 400, code: "BAD_REQUEST_LINE" },
  { name: "two spaces after the method", input: `GET  /hello HTTP/1.1\r\n${H}\r\n`, status: 400, code: "BAD_REQUEST_LINE" },
  { name: "two spaces before the version", input: `GET /hello  HTTP/1.1\r\n${H}\r\n`, status: 400, code: "BAD_REQUEST_LINE" },
  { name: "tab as separator", input: `GET\t/hello HTTP/1.1\r\n${H}\r\n`, status: 400, code: "BAD_REQUEST_LINE" },
  { name: "NUL before the method", input: `\x00GET /hello HTTP/1.1\r\n${H}\r\n`, status: 400, code: "BAD_REQUEST_LINE" },
  { name: "target not starting with /", input: `GET hello HTTP/1.1\r\n${H}\r\n`, status: 400, code: "BAD_TARGET" },
  { name: "fragment in the target", input: `GET /hello#x HTTP/1.1\r\n${H}\r\n`, status: 400, code: "BAD_TARGET" },
  { name: "control byte in the target", input: `GET /hel\x01lo HTTP/1.1\r\n${H}\r\n`, status: 400, code: "BAD_TARGET" },
  { name: "absolute-form with userinfo", input: `GET http://u:p@x/hello HTTP/1.1\r\n${H}\r\n`, status: 400, code: "BAD_TARGET" },
  { name: "oversized request line", input: `GET /${"a".repeat(9000)} HTTP/1.1\r\n${H}\r\n`, status: 414, code: "URI_TOO_LONG" },
  { name: "oversized request line, never terminated", input: `GET /${"a".repeat(9000)}`, status: 414, code: "URI_TOO_LONG" },
  // methods
  { name: "invalid byte in the method", input: `GE(T /hello HTTP/1.1\r\n${H}\r\n`, status: 400, code: "BAD_METHOD" },
  { name: "NUL inside the method", input: `G\x00ET /hello HTTP/1.1\r\n${H}\r\n`, status: 400, code: "BAD_METHOD" },
  { name: "obs-text in the method", input: `G\xc9T /hello HTTP/1.1\r\n${H}\r\n`, status: 400, code: "BAD_METHOD" },
  // versions
  { name: "HTTP/2.0", input: `GET /hello HTTP/2.0\r\n${H}\r\n`, status: 505, code: "UNSUPPORTED_VERSION" },
  { name: "HTTP/2 prior-knowledge preface", input: "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", status: 505, code: "UNSUPPORTED_VERSION" },
  { name: "HTTP/1.2", input: `GET /hello HTTP/1.2\r\n${H}\r\n`, status: 505, code: "UNSUPPORTED_VERSION" },
  { name: "lowercase http/1.1", input: `GET /hello http/1.1\r\n${H}\r\n`, status: 400, code: "BAD_VERSION" },
  { name: "HTTP/1", input: `GET /hello HTTP/1\r\n${H}\r\n`, status: 400, code: "BAD_VERSION" },
  { name: "HTTP/1.10", input: `GET /hello HTTP/1.10\r\n${H}\r\n`, status: 400, code: "BAD_VERSION" },
  { name: "space after the version", input: `GET /hello HTTP/1.1 \r\n${H}\r\n`, status: 400, code: "BAD_VERSION" },
  // line endings
  { name: "bare LF after the request line", input: `GET /hello HTTP/1.1\n${H}\r\n`, status: 400, code: "BARE_LF" },
  { name: "bare LF after a header", input: `GET /hello HTTP/1.1\r\nHost: x\n\r\n`, status: 400, code: "BARE_LF" },
  { name: "bare LF as the final empty line", input: `GET /hello HTTP/1.1\r\n${H}\n`, status: 400, code: "BARE_LF" },
  { name: "leading bare LF", input: `\nGET /hello HTTP/1.1\r\n${H}\r\n`, status: 400, code: "BARE_LF" },
  { name: "bare CR after the version", input: `GET /hello HTTP/1.1\r\r\n${H}\r\n`, status: 400, code: "BARE_CR" },
  { name: "bare CR in a header value", input: `GET /hello HTTP/1.1\r\n${H}X: a\rb\r\n\r\n`, status: 400, code: "BARE_CR" },
  { name: "bare CR in a leading empty line", input: `\rGET /hello HTTP/1.1\r\n${H}\r\n`, status: 400, code: "BARE_CR" },
  // header fields
  { name: "obs-fold", input: `GET /hello HTTP/1.1\r\n${H}X-A: 1\r\n 2\r\n\r\n`, status: 400, code: "OBS_FOLD" },
  { name: "obs-fold with a tab on the first field", input: `GET /hello HTTP/1.1\r\n\tX: 1\r\n${H}\r\n`, status: 400, code: "OBS_FOLD" },
  { name: "NUL in a header value", input: `GET /hello HTTP/1.1\r\n${H}X: a\x00b\r\n\r\n`, status: 400, code: "BAD_HEADER" },
  { name: "NUL in a header name", input: `GET /hello HTTP/1.1\r\n${H}X\x00Y: 1\r\n\r\n`, status: 400, code: "BAD_HEADER" },
  { name: "control byte 0x01 in a header value", input: `GET /hello HTTP/1.1\r\n${H}X: a\x01b\r\n\r\n`, status: 400, code: "BAD_HEADER" },
  { name: "control byte 0x1F in a header name", input: `GET /hello HTTP/1.1\r\n${H}X\x1fY: 1\r\n\r\n`, status: 400, code: "BAD_HEADER" },
  { name: "DEL in a header value", input: `GET /hello HTTP/1.1\r\n${H}X: a\x7fb\r\n\r\n`, status: 400, code: "BAD_HEADER" },
  { name: "space before the colon", input: `GET /hello HTTP/1.1\r\nHost : x\r\n\r\n`, status: 400, code: "BAD_HEADER" },
  { name: "header line without a colon", input: `GET /hello HTTP/1.1\r\n${H}NoColon\r\n\r\n`, status: 400, code: "BAD_HEADER" },
  { name: "empty header name", input: `GET /hello HTTP/1.1\r\n${H}: x\r\n\r\n`, status: 400, code: "BAD_HEADER" },
  { name: "oversized headers", input: `GET /hello HTTP/1.1\r\n${H}X-Big: ${"b".repeat(17000)}\r\n\r\n`, status: 431, code: "HEADERS_TOO_LARGE" },
  { name: "too many headers", input: `GET /hello HTTP/1.1\r\n${H}${many(100)}\r\n`, status: 431, code: "HEADERS_TOO_LARGE" },
  { name: "missing Host on HTTP/1.1", input: "GET /hello HTTP/1.1\r\nX: 1\r\n\r\n", status: 400, code: "MISSING_HOST" },
  { name: "duplicate Host", input: "GET /hello HTTP/1.1\r\nHost: x\r\nHost: x\r\n\r\n", status: 400, code: "DUP_HOST" },
  { name: "Host with a space", input: "GET /hello HTTP/1.1\r\nHost: a b\r\n\r\n", status: 400, code: "BAD_HOST" },
  // Content-Length
  { name: "Content-Length not a number", input: `POST /echo HTTP/1.1\r\n${H}Content-Length: abc\r\n\r\nabc`, status: 400, code: "BAD_CONTENT_LENGTH" },
  { name: "Content-Length negative", input: `POST /echo HTTP/1.1\r\n${H}Content-Length: -5\r\n\r\nhello`, status: 400, code: "BAD_CONTENT_LENGTH" },
  { name: "Content-Length with a plus sign", input: `POST /echo HTTP/1.1\r\n${H}Content-Length: +5\r\n\r\nhello`, status: 400, code: "BAD_CONTENT_LENGTH" },
  { name: "Content-Length empty", input: `POST /echo HTTP/1.1\r\n${H}Content-Length:\r\n\r\n`, status: 400, code: "BAD_CONTENT_LENGTH" },
  { name: "duplicate equal Content-Length", input: `POST /echo HTTP/1.1\r\n${H}Content-Length: 5\r\nContent-Length: 5\r\n\r\nhello`, status: 400, code: "DUP_CONTENT_LENGTH" },
  { name: "Content-Length list 5, 5", input: `POST /echo HTTP/1.1\r\n${H}Content-Length: 5, 5\r\n\r\nhello`, status: 400, code: "DUP_CONTENT_LENGTH" },
  { name: "Content-Length then Transfer-Encoding", input: `POST /echo HTTP/1.1\r\n${H}Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`, status: 400, code: "CL_TE" },
  { name: "Transfer-Encoding then Content-Length", input: `POST /echo HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n`, status: 400, code: "CL_TE" },
  { name: "body over the limit by Content-Length (head + pipelined bytes)", input: `POST /echo HTTP/1.1\r\n${H}Content-Length: ${MAX_BODY + 1}\r\n\r\n`, status: 413, code: "BODY_TOO_LARGE" },
  { name: "body over the limit with Expect: 100-continue (413, no 100)", input: `POST /echo HTTP/1.1\r\n${H}Expect: 100-continue\r\nContent-Length: 5000\r\n\r\n`, status: 413, code: "BODY_TOO_LARGE" },
  // Transfer-Encoding
  { name: "Transfer-Encoding gzip", input: `POST /echo HTTP/1.1\r\n${H}Transfer-Encoding: gzip\r\n\r\n`, status: 501, code: "UNSUPPORTED_TE" },
  { name: "Transfer-Encoding gzip, chunked", input: `POST /echo HTTP/1.1\r\n${H}Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n`, status: 501, code: "UNSUPPORTED_TE" },
  { name: "Transfer-Encoding on HTTP/1.0", input: "POST /echo HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", status: 400, code: "BAD_TRANSFER_ENCODING" },
  { name: "Transfer-Encoding chunked, chunked", input: `POST /echo HTTP/1.1\r\n${H}Transfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n`, status: 400, code: "BAD_TRANSFER_ENCODING" },
  { name: "two Transfer-Encoding headers", input: `POST /echo HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`, status: 400, code: "DUP_TRANSFER_ENCODING" },
  // chunked framing
  { name: "chunk size not hex", input: `${POSTCH}g\r\nx\r\n0\r\n\r\n`, status: 400, code: "BAD_CHUNK" },
  { name: "chunk size 0x5", input: `${POSTCH}0x5\r\nhello\r\n0\r\n\r\n`, status: 400, code: "BAD_CHUNK" },
  { name: "chunk size -1", input: `${POSTCH}-1\r\n`, status: 400, code: "BAD_CHUNK" },
  { name: "chunk size with 9 hex digits", input: `${POSTCH}000000005\r\nhello\r\n0\r\n\r\n`, status: 400, code: "BAD_CHUNK" },
  { name: "chunk size with a trailing space", input: `${POSTCH}5 \r\nhello\r\n0\r\n\r\n`, status: 400, code: "BAD_CHUNK" },
  { name: "chunk size missing", input: `${POSTCH}\r\nhello\r\n0\r\n\r\n`, status: 400, code: "BAD_CHUNK" },
  { name: "chunk extension with spaces", input: `${POSTCH}5; a=b\r\nhello\r\n0\r\n\r\n`, status: 400, code: "BAD_CHUNK" },
  { name: "chunk extension with an empty value", input: `${POSTCH}5;a=\r\nhello\r\n0\r\n\r\n`, status: 400, code: "BAD_CHUNK" },
  { name: "chunk extension with an unterminated quote", input: `${POSTCH}5;a="b\r\nhello\r\n0\r\n\r\n`, status: 400, code: "BAD_CHUNK" },
  { name: "chunk data longer than its size (no CRLF after the data)", input: `${POSTCH}5\r\nhelloXX\r\n0\r\n\r\n`, status: 400, code: "BAD_CHUNK" },
  { name: "next chunk size right after the data (CRLF missing)", input: `${POSTCH}5\r\nhello0\r\n\r\n`, status: 400, code: "BAD_CHUNK" },
  { name: "chunk data followed by CR without LF", input: `${POSTCH}5\r\nhello\rX0\r\n\r\n`, status: 400, code: "BAD_CHUNK" },
  { name: "chunk size line ended by a bare LF", input: `${POSTCH}5\nhello\r\n0\r\n\r\n`, status: 400, code: "BARE_LF" },
  { name: "one chunk over the body limit", input: `${POSTCH}${(MAX_BODY + 1).toString(16)}\r\n${"a".repeat(MAX_BODY + 1)}\r\n0\r\n\r\n`, status: 413, code: "BODY_TOO_LARGE" },
  { name: "chunks adding up to more than the body limit", input: `${POSTCH}${MAX_BODY.toString(16)}\r\n${"a".repeat(MAX_BODY)}\r\n1\r\nb\r\n0\r\n\r\n`, status: 413, code: "BODY_TOO_LARGE" },
  // percent-encoding
  { name: "bad percent-encoding in the path", input: `GET /hello%zz HTTP/1.1\r\n${H}\r\n`, status: 400, code: "BAD_ENCODING" },
  { name: "truncated percent-encoding in the path", input: `GET /hel%6 HTTP/1.1\r\n${H}\r\n`, status: 400, code: "BAD_ENCODING" },
  { name: "%00 in the path", input: `GET /hello%00 HTTP/1.1\r\n${H}\r\n`, status: 400, code: "BAD_ENCODING" },
  { name: "invalid UTF-8 in the path", input: `GET /%C3%28 HTTP/1.1\r\n${H}\r\n`, status: 400, code: "BAD_ENCODING" },
  { name: "bad percent-encoding in the query", input: `GET /hello?q=%zz HTTP/1.1\r\n${H}\r\n`, status: 400, code: "BAD_ENCODING" },
  { name: "truncated percent-encoding in the query", input: `GET /hello?q=%4 HTTP/1.1\r\n${H}\r\n`, status: 400, code: "BAD_ENCODING" },
  { name: "invalid UTF-8 in the query", input: `GET /hello?%C3%28=1 HTTP/1.1\r\n${H}\r\n`, status: 400, code: "BAD_ENCODING" },
];

// ---------------------------------------------------------------------------------------------
// helpers

/** A client socket that records everything it receives and can wait for it (no fixed sleeps). */
class Client {
  readonly socket: net.Socket;
  text = "";
  isClosed = false;
  readonly closed: Promise<void>;
  private waiters: (() => void)[] = [];

  private constructor(socket: net.Socket) {
    this.socket = socket;
    socket.on("data", (d: Buffer) => {
      this.text += d.toString("latin1");
      this.wake();
    });
    socket.on("error", () => {});
    this.closed = new Promise((resolve) =>
      socket.on("close", () => {
        this.isClosed = true;
        this.wake();
        resolve();
      }),
    );
  }

  static open(port: number): Promise<Client> {
    return new Promise((resolve, reject) => {
      const s = net.connect(port, "127.0.0.1");
      s.once("connect", () => resolve(new Client(s)));
      s.once("error", reject);
    });
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  /** Resolves once the bytes are handed to the kernel. */
  write(data: string | Buffer): Promise<void> {
    return new Promise((resolve, reject) => this.socket.write(typeof data === "string" ? B(data) : data, (e) => (e ? reject(e) : resolve())));
  }

  /** Waits until pred(text) holds; fails if the socket closes first or nothing happens for timeoutMs. */
  until(pred: (text: string) => boolean, what: string, timeoutMs = 5000): Promise<string> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}; got ${JSON.stringify(this.text)}`)), timeoutMs);
      const check = () => {
        if (pred(this.text)) {
          clearTimeout(timer);
          resolve(this.text);
        } else if (this.isClosed) {
          clearTimeout(timer);
          reject(new Error(`closed before ${what}; got ${JSON.stringify(this.text)}`));
        } else this.waiters.push(check);
      };
      check();
    });
  }

  /** Waits for the server to close the connection. */
  waitClose(what: string, timeoutMs = 5000): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the server did not close the connection (${what}); got ${JSON.stringify(this.text)}`)), timeoutMs);
      void this.closed.then(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  responses(): RawResponse[] {
    return parseResponses(this.text);
  }

  destroy(): void {
    this.socket.destroy();
  }
}

interface Counts {
  total: number;
  byRoute: Record<string, number>;
  byClass: Record<string, number>;
}

/** Requests counted by all workers, per route and per status class. */
async function counts(srv: RunningServer): Promise<Counts> {
  const snap = await srv.stats();
  assert.deepEqual(snap.missing, [], "every worker answers its stats");
  const c: Counts = { total: 0, byRoute: {}, byClass: {} };
  for (const w of snap.workers) {
    for (const r of w.routes) {
      c.total += r.requests;
      c.byRoute[r.route] = (c.byRoute[r.route] ?? 0) + r.requests;
      for (const [k, v] of Object.entries(r.statuses)) c.byClass[k] = (c.byClass[k] ?? 0) + v;
    }
  }
  return c;
}

function delta(a: Counts, b: Counts): { total: number; canary: number; byClass: Record<string, number> } {
  const byClass: Record<string, number> = {};
  for (const k of new Set([...Object.keys(a.byClass), ...Object.keys(b.byClass)])) {
    const d = (b.byClass[k] ?? 0) - (a.byClass[k] ?? 0);
    if (d !== 0) byClass[k] = d;
  }
  return { total: b.total - a.total, canary: (b.byRoute["GET /canary"] ?? 0) - (a.byRoute["GET /canary"] ?? 0), byClass };
}

/** A JSON error response of the server, closing the connection. */
function assertError(r: RawResponse, status: number, code: string, label: string): void {
  assert.equal(r.status, status, `${label}: status (body ${r.body})`);
  assert.equal(r.headers["content-type"], "application/json", `${label}: content-type`);
  assert.equal(r.headers["connection"], "close", `${label}: Connection: close`);
  assert.equal(r.headers["content-length"], String(Buffer.byteLength(r.body)), `${label}: content-length`);
  const e = JSON.parse(r.body).error;
  assert.equal(e.code, code, `${label}: error code`);
  assert.match(e.code, /^MS_ERR_HTTP_[A-Z_]+$/);
  assert.equal(typeof e.message, "string");
  assert.ok(e.message.length > 10, `${label}: the message says what is wrong`);
}

async function assertHelloOnNewConnection(srv: RunningServer, label: string): Promise<void> {
  const r = await get(srv.port, "/hello");
  assert.equal(r.status, 200, `${label}: a new connection is served`);
  assert.deepEqual(JSON.parse(r.body), { message: "hello" });
}

// ---------------------------------------------------------------------------------------------

describe("hostile HTTP input over real sockets (2 workers, --request-timeout 400ms, --max-body 1KB)", () => {
  let srv: RunningServer;
  let pids: number[];

  before(async () => {
    srv = await startServer(writeApp(APP), [
      "--workers", "2",
      "--request-timeout", `${REQUEST_TIMEOUT_MS}ms`,
      "--max-body", "1KB",
      "--keep-alive-timeout", `${KEEP_ALIVE_TIMEOUT_MS}ms`,
    ]);
    pids = [...srv.pids].sort();
    assert.equal(pids.length, 2);
  });
  after(() => srv?.stop());

  test("the catalog has at least 40 cases with unique names", () => {
    assert.ok(CASES.length >= 40, `${CASES.length} cases`);
    assert.equal(new Set(CASES.map((c) => c.name)).size, CASES.length);
  });

  for (const c of CASES) {
    test(`${c.status} ${c.code}: ${c.name}`, async () => {
      const code = HTTP_ERROR_CODES[c.code];
      const before = await counts(srv);
      const res = await raw(srv.port, B(c.input + CANARY), { timeoutMs: 3000 });
      assert.equal(res.closed, true, "the server closes the connection");
      assert.equal(res.responses.length, 1, `exactly one response; got ${JSON.stringify(res.text.slice(0, 400))}`);
      assert.equal(res.text, res.responses[0].raw, "nothing but the error response (no 100 Continue, no stray bytes)");
      assert.ok(!res.text.includes("CANARY"), "the pipelined request after the bad bytes is not answered");
      assertError(res.responses[0], c.status, code, c.name);
      await assertHelloOnNewConnection(srv, c.name);
      const d = delta(before, await counts(srv));
      assert.equal(d.canary, 0, "no handler ran for the bytes after the rejected request");
      const cls = `${Math.floor(c.status / 100)}xx`;
      assert.deepEqual(d.byClass, { "2xx": 1, [cls]: 1 }, "only the rejected request and the follow-up GET /hello were counted");
      assert.equal(d.total, 2);
    });
  }

  test("413 by Content-Length is answered as soon as the head arrives, without the body", async () => {
    const c = await Client.open(srv.port);
    // No Expect header: a client that sends the body right away would send it now; we never do.
    await c.write(`POST /echo HTTP/1.1\r\n${H}Content-Type: text/plain\r\nContent-Length: ${MAX_BODY * 64}\r\n\r\n`);
    await c.until((t) => parseResponses(t).length >= 1, "the 413");
    await c.waitClose("after 413");
    const rs = c.responses();
    assert.equal(rs.length, 1);
    assert.equal(c.text, rs[0].raw);
    assertError(rs[0], 413, HTTP_ERROR_CODES.BODY_TOO_LARGE, "413 by Content-Length");
    assert.match(JSON.parse(rs[0].body).error.message, /1024 bytes/);
    await assertHelloOnNewConnection(srv, "413 by Content-Length");
  });

  test("a body exactly at the limit is accepted (by Content-Length and by chunks)", async () => {
    const body = "z".repeat(MAX_BODY);
    const a = await raw(srv.port, `POST /echo HTTP/1.1\r\n${H}Content-Length: ${MAX_BODY}\r\nConnection: close\r\n\r\n${body}`, { expect: 1 });
    assert.equal(a.responses[0].status, 200);
    assert.equal(JSON.parse(a.responses[0].body).len, MAX_BODY);
    const b = await raw(srv.port, `${POSTCH.replace("\r\n\r\n", "\r\nConnection: close\r\n\r\n")}200\r\n${body.slice(0, 512)}\r\n200\r\n${body.slice(512)}\r\n0\r\n\r\n`, { expect: 1 });
    assert.equal(b.responses[0].status, 200);
    assert.equal(JSON.parse(b.responses[0].body).len, MAX_BODY);
  });

  test("Expect: 100-continue: the client gets 100 Continue before sending the body, then the final response", async () => {
    for (const [label, head, body] of [
      ["Content-Length", `POST /echo HTTP/1.1\r\n${H}Expect: 100-continue\r\nContent-Length: 5\r\n\r\n`, "hello"],
      ["chunked", `POST /echo HTTP/1.1\r\n${H}Expect: 100-continue\r\nTransfer-Encoding: chunked\r\n\r\n`, "5\r\nhello\r\n0\r\n\r\n"],
    ] as const) {
      const c = await Client.open(srv.port);
      await c.write(head);
      const CONT = "HTTP/1.1 100 Continue\r\n\r\n";
      const got = await c.until((t) => t.length >= CONT.length, `100 Continue (${label})`);
      assert.equal(got, CONT, `${label}: exactly the interim response, and nothing else before the body`);
      await c.write(body);
      await c.until((t) => parseResponses(t.slice(CONT.length)).length >= 1, `final response (${label})`);
      const rs = parseResponses(c.text.slice(CONT.length));
      assert.equal(rs.length, 1);
      assert.equal(rs[0].status, 200, label);
      assert.deepEqual(JSON.parse(rs[0].body), { len: 5, body: "hello" }, label);
      assert.equal(rs[0].headers["connection"], undefined, `${label}: the connection stays open`);
      c.destroy();
    }
  });

  test("pipelined garbage after a good request: 200 first, then 400 and close; nothing after is answered", async () => {
    const before = await counts(srv);
    const res = await raw(srv.port, `GET /hello HTTP/1.1\r\n${H}\r\nGARBAGE\r\n\r\n${CANARY}`, { timeoutMs: 3000 });
    assert.equal(res.closed, true);
    assert.deepEqual(res.responses.map((r) => r.status), [200, 400]);
    assert.equal(res.text, res.responses[0].raw + res.responses[1].raw);
    assert.deepEqual(JSON.parse(res.responses[0].body), { message: "hello" });
    assert.equal(res.responses[0].headers["connection"], undefined, "the good request was keep-alive");
    assertError(res.responses[1], 400, HTTP_ERROR_CODES.BAD_REQUEST_LINE, "garbage");
    await assertHelloOnNewConnection(srv, "garbage");
    const d = delta(before, await counts(srv));
    assert.equal(d.canary, 0);
    assert.deepEqual(d.byClass, { "2xx": 2, "4xx": 1 });
  });

  test("after a response with Connection: close, pipelined bytes are neither run nor answered", async () => {
    for (const [label, first, status] of [
      ["Connection: close", `GET /hello HTTP/1.1\r\n${H}Connection: close\r\n\r\n`, 200],
      ["HTTP/1.0", "GET /hello HTTP/1.0\r\n\r\n", 200],
      ["bad query (400 by the worker)", `GET /hello?%zz HTTP/1.1\r\n${H}\r\n`, 400],
    ] as const) {
      const before = await counts(srv);
      const expect100 = `POST /echo HTTP/1.1\r\n${H}Expect: 100-continue\r\nContent-Length: 3\r\n\r\n`;
      const res = await raw(srv.port, first + CANARY + "GARBAGE\r\n\r\n" + expect100, { timeoutMs: 3000 });
      assert.equal(res.closed, true, label);
      assert.equal(res.responses.length, 1, `${label}: only the first request is answered; got ${JSON.stringify(res.text)}`);
      assert.equal(res.text, res.responses[0].raw, label);
      assert.equal(res.responses[0].status, status, label);
      assert.equal(res.responses[0].headers["connection"], "close", label);
      const d = delta(before, await counts(srv));
      assert.equal(d.canary, 0, `${label}: the pipelined GET /canary must not run`);
      assert.equal(d.total, 1, `${label}: nothing after the first request is parsed or counted (${JSON.stringify(d.byClass)})`);
    }
  });

  test("a half-closed socket still gets its response", async () => {
    const a = await raw(srv.port, `GET /hello HTTP/1.1\r\n${H}\r\n`, { halfClose: true, timeoutMs: 3000 });
    assert.equal(a.closed, true);
    assert.deepEqual(a.responses.map((r) => r.status), [200]);
    assert.deepEqual(JSON.parse(a.responses[0].body), { message: "hello" });
    const b = await raw(srv.port, `POST /echo HTTP/1.1\r\n${H}Content-Length: 3\r\n\r\nabcGET /hello HTTP/1.1\r\n${H}\r\n`, { halfClose: true, timeoutMs: 3000 });
    assert.equal(b.closed, true);
    assert.deepEqual(b.responses.map((r) => r.status), [200, 200], "pipelined requests before the FIN are all answered");
    assert.deepEqual(JSON.parse(b.responses[0].body), { len: 3, body: "abc" });
  });

  test("a half-close in the middle of a request: the server closes without a response", async () => {
    const before = await counts(srv);
    const res = await raw(srv.port, `GET /hello HTTP/1.1\r\nHo`, { halfClose: true, timeoutMs: 3000 });
    assert.equal(res.closed, true);
    assert.equal(res.text, "");
    await assertHelloOnNewConnection(srv, "half-close mid-request");
    assert.equal(delta(before, await counts(srv)).total, 1);
  });

  test("a client resetting mid-request does not disturb other connections", async () => {
    // One connection with a request in flight while others reset theirs.
    const other = await Client.open(srv.port);
    await other.write(`POST /echo HTTP/1.1\r\n${H}Content-Length: 6\r\n\r\nab`);
    for (let i = 0; i < 6; i++) {
      const c = await Client.open(srv.port);
      await c.write(i % 2 === 0 ? `GET /hello HTTP/1.1\r\nHost: ` : `POST /echo HTTP/1.1\r\n${H}Content-Length: 100\r\n\r\nhalf`);
      c.socket.resetAndDestroy();
      await c.closed;
    }
    await other.write("cdef");
    await other.until((t) => parseResponses(t).length >= 1, "the response on the other connection");
    const rs = other.responses();
    assert.equal(rs[0].status, 200);
    assert.deepEqual(JSON.parse(rs[0].body), { len: 6, body: "abcdef" });
    other.destroy();
    for (let i = 0; i < 4; i++) await assertHelloOnNewConnection(srv, "after resets");
  });

  test("slowloris: a partial head gets 408 within about request-timeout + sweep interval, then a close", async () => {
    for (const [label, bytes] of [
      ["partial request line", "GET /hel"],
      ["partial head", `GET /hello HTTP/1.1\r\n${H}X-Slow: 1\r\n`],
      ["partial head after a good keep-alive request", `GET /hello HTTP/1.1\r\n${H}\r\nGET /hello HTTP/1.1\r\n${H}`],
    ] as const) {
      const c = await Client.open(srv.port);
      const t0 = performance.now();
      await c.write(bytes);
      await c.waitClose(label, REQUEST_TIMEOUT_MS + SWEEP_MS + SLACK_MS + 2000);
      const took = performance.now() - t0;
      const rs = c.responses();
      assert.equal(c.text, rs.map((r) => r.raw).join(""), `${label}: only whole responses`);
      const last = rs[rs.length - 1];
      assertError(last, 408, HTTP_ERROR_CODES.REQUEST_TIMEOUT, label);
      if (label.includes("after a good")) assert.deepEqual(rs.map((r) => r.status), [200, 408], label);
      else assert.equal(rs.length, 1, label);
      assert.ok(took >= REQUEST_TIMEOUT_MS - 5, `${label}: 408 after ${took.toFixed(0)} ms, not before the request timeout`);
      assert.ok(took <= REQUEST_TIMEOUT_MS + SWEEP_MS + SLACK_MS, `${label}: 408 after ${took.toFixed(0)} ms`);
    }
    await assertHelloOnNewConnection(srv, "slowloris");
  });

  test("a slow body (head complete, body stalls) gets 408 and a close", async () => {
    for (const [label, bytes] of [
      ["Content-Length", `POST /echo HTTP/1.1\r\n${H}Content-Length: 10\r\n\r\nabc`],
      ["chunked", `${POSTCH}a\r\nabc`],
      ["Expect: 100-continue, body never sent", `POST /echo HTTP/1.1\r\n${H}Expect: 100-continue\r\nContent-Length: 10\r\n\r\n`],
    ] as const) {
      const c = await Client.open(srv.port);
      const t0 = performance.now();
      await c.write(bytes);
      await c.waitClose(label, REQUEST_TIMEOUT_MS + SWEEP_MS + SLACK_MS + 2000);
      const took = performance.now() - t0;
      const text = label.startsWith("Expect") ? c.text.replace(/^HTTP\/1\.1 100 Continue\r\n\r\n/, "") : c.text;
      const rs = parseResponses(text);
      assert.equal(rs.length, 1, label);
      assert.equal(text, rs[0].raw, label);
      assertError(rs[0], 408, HTTP_ERROR_CODES.REQUEST_TIMEOUT, label);
      assert.ok(took >= REQUEST_TIMEOUT_MS - 5 && took <= REQUEST_TIMEOUT_MS + SWEEP_MS + SLACK_MS, `${label}: 408 after ${took.toFixed(0)} ms`);
    }
    await assertHelloOnNewConnection(srv, "slow body");
  });

  test("an idle keep-alive connection is closed by the server after --keep-alive-timeout", async () => {
    const c = await Client.open(srv.port);
    await c.write(`GET /hello HTTP/1.1\r\n${H}\r\n`);
    await c.until((t) => parseResponses(t).length >= 1, "the response");
    const t0 = performance.now();
    const rs = c.responses();
    assert.equal(rs[0].status, 200);
    assert.equal(rs[0].headers["connection"], undefined, "keep-alive");
    await c.waitClose("idle keep-alive", KEEP_ALIVE_TIMEOUT_MS + SWEEP_MS + SLACK_MS + 2000);
    const took = performance.now() - t0;
    assert.equal(c.text, rs[0].raw, "nothing is sent when an idle connection is closed");
    assert.ok(took >= KEEP_ALIVE_TIMEOUT_MS - 50, `closed after ${took.toFixed(0)} ms of idleness`);
    assert.ok(took <= KEEP_ALIVE_TIMEOUT_MS + SWEEP_MS + SLACK_MS, `closed after ${took.toFixed(0)} ms of idleness`);
  });

  test("no worker died: both worker pids are unchanged after the whole catalog", async () => {
    const snap = await srv.stats();
    assert.deepEqual(snap.missing, []);
    assert.equal(snap.restarts, 0);
    assert.deepEqual(snap.workers.map((w) => w.pid).sort(), pids);
    const c = await counts(srv);
    assert.equal(c.byRoute["GET /canary"] ?? 0, 0, "the canary route never ran");
  });
});
