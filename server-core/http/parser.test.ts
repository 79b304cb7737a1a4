import { test, describe } from "node:test";
import assert from "node:assert/strict";
import {
  RequestParser,
  DEFAULT_LIMITS,
  HTTP_ERROR_CODES,
  requestTimeoutError,
  type HttpLimits,
  type HttpParseError,
  type ParsedRequest,
} from "./parser.js";
import { decodeComponent, decodePathBytes, PCT_BAD_ESCAPE, PCT_BAD_UTF8, PCT_NUL } from "./percent.js";

// ---------------------------------------------------------------------------------------------
// helpers

interface Outcome {
  reqs: ParsedRequest[];
  errs: HttpParseError[];
  ok: boolean;
  inRequest: boolean;
}

const B = (s: string): Buffer => Buffer.from(s, "latin1");

/** Feeds chunks; chunk i is passed with now = i. */
function feed(chunks: Buffer[], limits?: Partial<HttpLimits>): Outcome {
  const p = new RequestParser(limits);
  const reqs: ParsedRequest[] = [];
  const errs: HttpParseError[] = [];
  let ok = true;
  chunks.forEach((c, i) => {
    const r = p.execute(c, i, (q) => reqs.push(q), (e) => errs.push(e));
    if (!r) ok = false;
    else assert.ok(ok, "execute() must keep returning false after an error");
  });
  assert.ok(errs.length <= 1, "onError must be called at most once");
  assert.equal(ok, errs.length === 0);
  return { reqs, errs, ok, inRequest: p.inRequest };
}

function parse(input: string | Buffer, limits?: Partial<HttpLimits>): Outcome {
  return feed([typeof input === "string" ? B(input) : input], limits);
}

function one(input: string, limits?: Partial<HttpLimits>): ParsedRequest {
  const o = parse(input, limits);
  assert.deepEqual(o.errs, [], "unexpected error");
  assert.equal(o.reqs.length, 1);
  return o.reqs[0];
}

function header(r: ParsedRequest, name: string): string | undefined {
  for (let i = 0; i < r.headers.length; i += 2) if (r.headers[i] === name) return r.headers[i + 1];
  return undefined;
}

/** Comparable view of an outcome (timestamps depend on the chunking, everything else must not). */
function shape(o: Outcome): unknown {
  return {
    reqs: o.reqs.map((r) => ({ ...r, firstByteAt: 0, parsedAt: 0, body: r.body === null ? null : r.body.toString("latin1") })),
    errs: o.errs,
    inRequest: o.inRequest,
  };
}

/** Asserts that splitting `input` at every offset (in 2 chunks), byte-by-byte and at random gives the same outcome. */
function assertSplitInvariant(input: Buffer, limits?: Partial<HttpLimits>, label = ""): Outcome {
  const whole = feed([input], limits);
  const expected = shape(whole);
  for (let k = 1; k < input.length; k++) {
    const got = feed([input.subarray(0, k), input.subarray(k)], limits);
    assert.deepEqual(shape(got), expected, `${label}: split at ${k} differs`);
  }
  const bytes: Buffer[] = [];
  for (let k = 0; k < input.length; k++) bytes.push(Buffer.from([input[k]]));
  assert.deepEqual(shape(feed(bytes, limits)), expected, `${label}: byte-by-byte differs`);
  // three-way splits with a deterministic PRNG
  let seed = input.length * 7919 + 17;
  const rnd = (n: number) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  for (let t = 0; t < 30 && input.length > 2; t++) {
    const a = 1 + rnd(input.length - 1);
    const b = a + rnd(input.length - a + 1);
    const got = feed([input.subarray(0, a), Buffer.alloc(0), input.subarray(a, b), input.subarray(b)], limits);
    assert.deepEqual(shape(got), expected, `${label}: split at ${a},${b} differs`);
  }
  return whole;
}

const SMALL: Partial<HttpLimits> = { maxRequestLineBytes: 64, maxHeaderBytes: 256, maxHeaderCount: 5, maxBodyBytes: 32 };

// ---------------------------------------------------------------------------------------------
// valid requests

describe("valid requests", () => {
  test("simple GET", () => {
    const r = one("GET /hello HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n");
    assert.equal(r.method, "GET");
    assert.equal(r.target, "/hello");
    assert.equal(r.path, "/hello");
    assert.equal(r.rawPath, "/hello");
    assert.equal(r.rawQuery, "");
    assert.equal(r.httpMinor, 1);
    assert.deepEqual(r.headers, ["host", "127.0.0.1:8080"]);
    assert.equal(r.keepAlive, true);
    assert.equal(r.body, null);
    assert.equal(r.expectContinue, false);
    assert.equal(r.firstByteAt, 0);
    assert.equal(r.parsedAt, 0);
  });

  test("query string stays raw; path before the first '?'", () => {
    const r = one("GET /users/42?x=1&y=%20a?b HTTP/1.1\r\nHost: h\r\n\r\n");
    assert.equal(r.target, "/users/42?x=1&y=%20a?b");
    assert.equal(r.path, "/users/42");
    assert.equal(r.rawPath, "/users/42");
    assert.equal(r.rawQuery, "x=1&y=%20a?b");
    const e = one("GET /a? HTTP/1.1\r\nHost: h\r\n\r\n");
    assert.equal(e.path, "/a");
    assert.equal(e.rawQuery, "");
  });

  test("headers keep their order, names are lowercased and values OWS-trimmed", () => {
    const r = one(
      "GET / HTTP/1.1\r\nHOST: h\r\nX-Custom-Thing:   a b  \t\r\nx-lower:v\r\nAccept:\t*/*\r\nEmpty:\r\nEmpty2:   \r\n" +
        "Content-TYPE: text/plain\r\nx-obs: caf\xe9\r\nX-Dup: 1\r\nx-dup: 2\r\n\r\n",
    );
    assert.deepEqual(r.headers, [
      "host", "h",
      "x-custom-thing", "a b",
      "x-lower", "v",
      "accept", "*/*",
      "empty", "",
      "empty2", "",
      "content-type", "text/plain",
      "x-obs", "caf\xe9",
      "x-dup", "1",
      "x-dup", "2",
    ]);
  });

  test("keep-alive defaults for HTTP/1.0 and HTTP/1.1, Connection tokens", () => {
    assert.equal(one("GET / HTTP/1.0\r\n\r\n").keepAlive, false);
    assert.equal(one("GET / HTTP/1.0\r\n\r\n").httpMinor, 0);
    assert.equal(one("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n").keepAlive, true);
    assert.equal(one("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n").keepAlive, true);
    assert.equal(one("GET / HTTP/1.1\r\nHost: h\r\n\r\n").keepAlive, true);
    assert.equal(one("GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n").keepAlive, false);
    assert.equal(one("GET / HTTP/1.1\r\nHost: h\r\nConnection: CLOSE\r\n\r\n").keepAlive, false);
    assert.equal(one("GET / HTTP/1.1\r\nHost: h\r\nConnection: Upgrade, close\r\n\r\n").keepAlive, false);
    assert.equal(one("GET / HTTP/1.1\r\nHost: h\r\nConnection: keep-alive, close\r\n\r\n").keepAlive, false);
    assert.equal(one("GET / HTTP/1.0\r\nConnection: upgrade,  keep-alive \r\n\r\n").keepAlive, true);
    assert.equal(one("GET / HTTP/1.1\r\nHost: h\r\nConnection: closed\r\n\r\n").keepAlive, true);
  });

  test("POST with a Content-Length body", () => {
    const r = one("POST /submit HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\nContent-Type: text/plain\r\n\r\nhello world");
    assert.equal(r.method, "POST");
    assert.ok(r.body);
    assert.equal(r.body.toString(), "hello world");
    assert.equal(header(r, "content-length"), "11");
  });

  test("Content-Length: 0 gives a null body; GET/HEAD bodies are read", () => {
    assert.equal(one("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n").body, null);
    assert.equal(one("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 000\r\n\r\n").body, null);
    const g = parse("GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabcHEAD / HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\nxy");
    assert.equal(g.reqs.length, 2);
    assert.equal(g.reqs[0].body?.toString(), "abc");
    assert.equal(g.reqs[1].method, "HEAD");
    assert.equal(g.reqs[1].body?.toString(), "xy");
  });

  test("chunked body with extensions and trailers", () => {
    const r = one(
      "POST /up HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n" +
        "5;name=value;flag\r\nhello\r\n" +
        "6;q=\"quoted \\\" str\"\r\n world\r\n" +
        "A\r\n0123456789\r\n" +
        "0;last=1\r\nX-Trailer: yes\r\nX-Other:  2 \r\n\r\n",
    );
    assert.equal(r.body?.toString(), "hello world0123456789");
    assert.equal(header(r, "transfer-encoding"), "chunked");
    assert.equal(header(r, "x-trailer"), undefined, "trailers are not added to headers");
    const empty = one("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: Chunked\r\n\r\n0\r\n\r\n");
    assert.equal(empty.body, null);
    assert.equal(one("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding:  CHUNKED \t\r\n\r\n1\r\nx\r\n0\r\n\r\n").body?.toString(), "x");
    const upper = one("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\nfF\r\n" + "x".repeat(255) + "\r\n0\r\n\r\n");
    assert.equal(upper.body?.length, 255);
  });

  test("pipelined requests in one chunk", () => {
    const o = parse(
      "GET /a HTTP/1.1\r\nHost: h\r\n\r\n" +
        "POST /b HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nxyz" +
        "PUT /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n" +
        "DELETE /d?q HTTP/1.0\r\n\r\n",
    );
    assert.deepEqual(o.errs, []);
    assert.deepEqual(o.reqs.map((r) => [r.method, r.path, r.rawQuery, r.body?.toString() ?? null]), [
      ["GET", "/a", "", null],
      ["POST", "/b", "", "xyz"],
      ["PUT", "/c", "", "ok"],
      ["DELETE", "/d", "q", null],
    ]);
    assert.equal(o.inRequest, false);
  });

  test("percent-decoded paths (UTF-8), raw parts kept", () => {
    const r = one("GET /caf%C3%A9/a%20b/%2F%25?x=%41 HTTP/1.1\r\nHost: h\r\n\r\n");
    assert.equal(r.path, "/caf\u00e9/a b//%");
    assert.equal(r.rawPath, "/caf%C3%A9/a%20b/%2F%25");
    assert.equal(r.rawQuery, "x=%41");
    assert.equal(one("GET /%e2%82%ac HTTP/1.1\r\nHost: h\r\n\r\n").path, "/\u20ac");
    assert.equal(one("GET /a+b HTTP/1.1\r\nHost: h\r\n\r\n").path, "/a+b");
    assert.equal(one("GET /?%zz HTTP/1.1\r\nHost: h\r\n\r\n").rawQuery, "%zz", "the query is not decoded");
  });

  test("absolute-form and asterisk-form targets", () => {
    const r = one("GET http://example.com:8080/p/a%20th?q=1 HTTP/1.1\r\nHost: example.com:8080\r\n\r\n");
    assert.equal(r.target, "http://example.com:8080/p/a%20th?q=1");
    assert.equal(r.rawPath, "/p/a%20th");
    assert.equal(r.path, "/p/a th");
    assert.equal(r.rawQuery, "q=1");
    const e = one("GET HTTPS://[::1]:8443?x HTTP/1.1\r\nHost: h\r\n\r\n");
    assert.equal(e.rawPath, "/");
    assert.equal(e.path, "/");
    assert.equal(e.rawQuery, "x");
    const s = one("OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n");
    assert.equal(s.target, "*");
    assert.equal(s.path, "*");
    assert.equal(s.rawPath, "*");
  });

  test("leading empty lines before a request are ignored", () => {
    const o = parse("\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n\r\nGET /2 HTTP/1.1\r\nHost: h\r\n\r\n");
    assert.deepEqual(o.errs, []);
    assert.deepEqual(o.reqs.map((r) => r.path), ["/", "/2"]);
  });

  test("methods are case-sensitive tokens", () => {
    assert.equal(one("get / HTTP/1.1\r\nHost: h\r\n\r\n").method, "get");
    assert.equal(one("PROPFIND / HTTP/1.1\r\nHost: h\r\n\r\n").method, "PROPFIND");
    assert.equal(one("M-SEARCH * HTTP/1.1\r\nHost: h\r\n\r\n".replace("*", "/")).method, "M-SEARCH");
    for (const m of ["GET", "PUT", "POST", "HEAD", "PATCH", "DELETE", "OPTIONS", "PATCHY", "GETS"]) {
      assert.equal(one(`${m} / HTTP/1.1\r\nHost: h\r\n\r\n`).method, m);
    }
  });

  test("Expect: 100-continue and onContinue", () => {
    const p = new RequestParser();
    let continues = 0;
    p.onContinue = () => continues++;
    const reqs: ParsedRequest[] = [];
    const errs: HttpParseError[] = [];
    p.execute(B("POST / HTTP/1.1\r\nHost: h\r\nExpect: 100-Continue\r\nContent-Length: 4\r\n\r\n"), 1, (r) => reqs.push(r), (e) => errs.push(e));
    assert.equal(continues, 1);
    assert.equal(p.inRequest, true);
    p.execute(B("body"), 2, (r) => reqs.push(r), (e) => errs.push(e));
    assert.equal(reqs.length, 1);
    assert.equal(reqs[0].expectContinue, true);
    assert.equal(reqs[0].firstByteAt, 1);
    assert.equal(reqs[0].parsedAt, 2);
    // body already there: no 100 needed
    p.execute(B("POST / HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\nx"), 3, (r) => reqs.push(r), (e) => errs.push(e));
    assert.equal(continues, 1);
    assert.equal(reqs[1].expectContinue, true);
    // too-large body: 413, no 100
    p.execute(B("POST / HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 99999999\r\n\r\n"), 4, (r) => reqs.push(r), (e) => errs.push(e));
    assert.equal(continues, 1);
    assert.equal(errs[0]?.status, 413);
    assert.equal(one("GET / HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\n\r\n").expectContinue, true);
    assert.equal(one("POST / HTTP/1.0\r\nExpect: 100-continue\r\n\r\n").expectContinue, false);
    assert.equal(one("GET / HTTP/1.1\r\nHost: h\r\nExpect: something\r\n\r\n").expectContinue, false);
  });

  test("limits: values exactly at the limit are accepted", () => {
    const lim = { maxRequestLineBytes: 30, maxHeaderBytes: 200, maxHeaderCount: 3, maxBodyBytes: 10 };
    const line = "GET /" + "a".repeat(30 - "GET / HTTP/1.1".length) + " HTTP/1.1";
    assert.equal(line.length, 30);
    assert.equal(one(line + "\r\nHost: h\r\n\r\n", lim).method, "GET");
    assert.equal(one("GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 2\r\n\r\n", lim).headers.length, 6);
    assert.equal(one("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\n0123456789", lim).body?.length, 10);
    assert.equal(one("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n01234\r\n5\r\n56789\r\n0\r\n\r\n", lim).body?.length, 10);
    const head = "GET / HTTP/1.1\r\nHost: h\r\nX: ";
    const exact = head + "v".repeat(200 - head.length - 4) + "\r\n\r\n";
    assert.equal(exact.length, 200);
    assert.equal(one(exact, lim).method, "GET");
    const over = parse(head + "v".repeat(200 - head.length - 3) + "\r\n\r\n", lim);
    assert.equal(over.errs[0]?.status, 431);
    const over414 = parse("GET /" + "a".repeat(31 - "GET / HTTP/1.1".length) + " HTTP/1.1\r\nHost: h\r\n\r\n", lim);
    assert.equal(over414.errs[0]?.status, 414);
    assert.equal(parse("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\n", lim).errs[0]?.status, 413);
    assert.equal(parse("GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", lim).errs[0]?.status, 431);
  });

  test("default limits", () => {
    assert.deepEqual({ ...DEFAULT_LIMITS }, { maxRequestLineBytes: 8192, maxHeaderBytes: 16384, maxHeaderCount: 100, maxBodyBytes: 1048576 });
    assert.throws(() => new RequestParser({ maxBodyBytes: -1 }), RangeError);
    const long = "GET /" + "x".repeat(8192 - 15) + " HTTP/1.1";
    assert.equal(long.length, 8191);
    assert.equal(one(long + "\r\nHost: h\r\n\r\n").rawPath.length, 8192 - 14);
    const o = parse("GET /" + "x".repeat(9000) + " HTTP/1.1\r\nHost: h\r\n\r\n");
    assert.equal(o.errs[0]?.status, 414);
    assert.equal(o.errs[0]?.code, "MS_ERR_HTTP_URI_TOO_LONG");
    let many = "GET / HTTP/1.1\r\nHost: h\r\n";
    for (let i = 0; i < 99; i++) many += `X-H${i}: ${i}\r\n`;
    assert.equal(one(many + "\r\n").headers.length, 200);
    assert.equal(parse(many + "X-Last: 1\r\n\r\n").errs[0]?.status, 431);
    const big = parse("GET / HTTP/1.1\r\nHost: h\r\nX-Big: " + "b".repeat(17000) + "\r\n\r\n");
    assert.equal(big.errs[0]?.code, "MS_ERR_HTTP_HEADERS_TOO_LARGE");
  });
});

// ---------------------------------------------------------------------------------------------
// incremental behaviour

describe("incremental parsing", () => {
  const corpus = [
    "GET /hello HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n",
    "GET /users/42?x=1 HTTP/1.1\r\nHost: localhost\r\nUser-Agent: wrk\r\nAccept: */*\r\nConnection: keep-alive\r\n\r\n",
    "POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 12\r\nContent-Type: application/json\r\n\r\n{\"a\":[1,2]}\n",
    "PUT /c%C3%A9 HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3;x=\"y\\\"z\"\r\nabc\r\n10\r\n0123456789abcdef\r\n0\r\nT: 1\r\n\r\n",
    "\r\nGET http://h/x?y HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
    "OPTIONS * HTTP/1.1\r\nHost: h\r\nX-Obs: \xe9t\xe9\r\n\r\n",
    "HEAD / HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\n!",
  ];

  test("every request of the corpus, split at every offset and byte by byte", () => {
    for (const c of corpus) {
      const o = assertSplitInvariant(B(c), undefined, JSON.stringify(c));
      assert.equal(o.reqs.length, 1, JSON.stringify(c));
      assert.deepEqual(o.errs, []);
    }
  });

  test("the whole corpus pipelined, split at every offset", () => {
    const o = assertSplitInvariant(B(corpus.join("")), undefined, "pipelined corpus");
    assert.equal(o.reqs.length, corpus.length);
    assert.deepEqual(o.errs, []);
  });

  test("many random chunkings of the pipelined corpus", () => {
    const input = B(corpus.join("").repeat(3));
    const expected = shape(feed([input]));
    let seed = 12345;
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    for (let t = 0; t < 300; t++) {
      const chunks: Buffer[] = [];
      for (let i = 0; i < input.length; ) {
        const n = 1 + rnd(t % 3 === 0 ? 4 : 80);
        chunks.push(input.subarray(i, i + n));
        i += n;
      }
      assert.deepEqual(shape(feed(chunks)), expected);
    }
  });

  test("firstByteAt / parsedAt follow the chunks' `now`", () => {
    const o = feed([B("GET /a HTTP/1.1\r\nHo"), B("st: h\r\n\r\nGET /b HTTP/1.1\r\n"), B("Host: h\r\n\r"), B("\n")]);
    assert.equal(o.reqs.length, 2);
    assert.equal(o.reqs[0].firstByteAt, 0);
    assert.equal(o.reqs[0].parsedAt, 1);
    assert.equal(o.reqs[1].firstByteAt, 1);
    assert.equal(o.reqs[1].parsedAt, 3);
  });

  test("inRequest is true only while a request is partially received", () => {
    const p = new RequestParser();
    const reqs: ParsedRequest[] = [];
    const onErr = () => assert.fail("no error expected");
    assert.equal(p.inRequest, false);
    p.execute(B("G"), 0, (r) => reqs.push(r), onErr);
    assert.equal(p.inRequest, true);
    p.execute(B("ET / HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\n"), 0, (r) => reqs.push(r), onErr);
    assert.equal(p.inRequest, true);
    p.execute(B("ab"), 0, (r) => reqs.push(r), onErr);
    assert.equal(p.inRequest, false);
    assert.equal(reqs.length, 1);
    p.execute(B("\r"), 0, (r) => reqs.push(r), onErr);
    assert.equal(p.inRequest, true);
  });

  test("bodies are exact even when the chunk buffers are separate allocations", () => {
    const body = Buffer.alloc(5000, 0x61);
    body[0] = 0x62;
    body[4999] = 0x63;
    const head = B(`POST / HTTP/1.1\r\nHost: h\r\nContent-Length: ${body.length}\r\n\r\n`);
    const input = Buffer.concat([head, body, B("GET /next HTTP/1.1\r\nHost: h\r\n\r\n")]);
    for (const size of [1, 7, 100, 1000, 4096, 70000]) {
      const chunks: Buffer[] = [];
      for (let i = 0; i < input.length; i += size) chunks.push(Buffer.from(input.subarray(i, i + size)));
      const o = feed(chunks);
      assert.equal(o.reqs.length, 2);
      assert.ok(o.reqs[0].body?.equals(body));
      assert.equal(o.reqs[1].path, "/next");
    }
  });

  test("pause() stops dispatch between pipelined requests; resume() + execute(empty) continues", () => {
    const p = new RequestParser();
    const seen: string[] = [];
    const onReq = (r: ParsedRequest) => {
      seen.push(`${r.path}@${r.firstByteAt}/${r.parsedAt}`);
      p.pause();
    };
    const onErr = () => assert.fail("no error expected");
    const two = "GET /1 HTTP/1.1\r\nHost: h\r\n\r\nGET /2 HTTP/1.1\r\nHost: h\r\n\r\nGET /3 HTTP/1.1\r\nHo";
    assert.equal(p.execute(B(two), 1, onReq, onErr), true);
    assert.deepEqual(seen, ["/1@1/1"]);
    assert.equal(p.paused, true);
    assert.ok(p.queuedBytes > 0);
    assert.equal(p.inRequest, false);
    // more data while paused is only queued
    p.execute(B("st: h\r\n\r\nGET /4 HTTP/1.1\r\nHost: h\r\n\r\n"), 2, onReq, onErr);
    assert.deepEqual(seen, ["/1@1/1"]);
    p.resume();
    p.execute(Buffer.alloc(0), 3, onReq, onErr);
    assert.deepEqual(seen, ["/1@1/1", "/2@1/1"]);
    p.resume();
    p.execute(Buffer.alloc(0), 4, onReq, onErr);
    assert.deepEqual(seen, ["/1@1/1", "/2@1/1", "/3@1/2"]);
    p.resume();
    p.execute(Buffer.alloc(0), 5, onReq, onErr);
    assert.deepEqual(seen, ["/1@1/1", "/2@1/1", "/3@1/2", "/4@2/2"]);
    assert.equal(p.queuedBytes, 0);
    p.resume();
    p.execute(Buffer.alloc(0), 6, onReq, onErr);
    assert.equal(seen.length, 4);
  });

  test("pausing after every request gives the same requests for every split", () => {
    const input = B(corpus.join(""));
    const run = (chunks: Buffer[]) => {
      const p = new RequestParser();
      const out: unknown[] = [];
      const onReq = (r: ParsedRequest) => {
        out.push([r.method, r.target, r.body?.toString("latin1") ?? null]);
        p.pause();
      };
      const onErr = (e: HttpParseError) => out.push(e);
      for (const c of chunks) p.execute(c, 0, onReq, onErr);
      for (let i = 0; i < 20; i++) {
        p.resume();
        p.execute(Buffer.alloc(0), 0, onReq, onErr);
      }
      return out;
    };
    const expected = run([input]);
    assert.equal(expected.length, corpus.length);
    for (let k = 1; k < input.length; k++) assert.deepEqual(run([input.subarray(0, k), input.subarray(k)]), expected);
  });

  test("randomly mutated requests behave the same for every split (fuzz)", () => {
    const alphabet = B("\r\n \t:;=\"\\%/?#*0aZ\x00\x01\x7f\x80\xff,-5fF");
    let seed = 987654321;
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    for (let t = 0; t < Number(process.env.FUZZ_N ?? 400); t++) {
      const base = B(corpus[rnd(corpus.length)] + corpus[rnd(corpus.length)]);
      const bytes = [...base];
      const edits = 1 + rnd(3);
      for (let e = 0; e < edits; e++) {
        const at = rnd(bytes.length);
        const op = rnd(3);
        const ch = alphabet[rnd(alphabet.length)];
        if (op === 0) bytes[at] = ch;
        else if (op === 1) bytes.splice(at, 0, ch);
        else bytes.splice(at, 1);
      }
      const limits = t % 2 === 0 ? undefined : { maxRequestLineBytes: 40, maxHeaderBytes: 120, maxHeaderCount: 4, maxBodyBytes: 20 };
      assertSplitInvariant(Buffer.from(bytes), limits, `fuzz #${t}`);
    }
  });

  test("a throwing onRequest stops the parser (no byte is reframed later)", () => {
    const p = new RequestParser();
    assert.throws(() =>
      p.execute(B("GET /a HTTP/1.1\r\nHost: h\r\n\r\nGET /b HTTP/1.1\r\nHost: h\r\n\r\n"), 0, () => {
        throw new Error("boom");
      }, () => assert.fail()),
    );
    assert.equal(p.failed, true);
    assert.equal(p.execute(B("GET /c HTTP/1.1\r\nHost: h\r\n\r\n"), 0, () => assert.fail(), () => assert.fail()), false);
  });

  test("memory stays bounded when a client drips an endless header line", () => {
    const p = new RequestParser({ maxHeaderBytes: 2048 });
    const errs: HttpParseError[] = [];
    p.execute(B("GET / HTTP/1.1\r\nX: "), 0, () => assert.fail(), (e) => errs.push(e));
    for (let i = 0; i < 5000 && errs.length === 0; i++) p.execute(B("a"), 0, () => assert.fail(), (e) => errs.push(e));
    assert.equal(errs.length, 1);
    assert.equal(errs[0].status, 431);
  });
});

// ---------------------------------------------------------------------------------------------
// malformed / hostile inputs

const H = "Host: h\r\n";
const POSTCH = "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n";

type Case = [name: string, input: string, status: number, code: keyof typeof HTTP_ERROR_CODES, limits?: Partial<HttpLimits>];

const CATALOG: Case[] = [
  ["CL then TE", `POST / HTTP/1.1\r\n${H}Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`, 400, "CL_TE"],
  ["TE then CL", `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n`, 400, "CL_TE"],
  ["CL + TE gzip", `POST / HTTP/1.1\r\n${H}Transfer-Encoding: gzip\r\nContent-Length: 5\r\n\r\n`, 400, "CL_TE"],
  ["duplicate equal CL", `POST / HTTP/1.1\r\n${H}Content-Length: 5\r\nContent-Length: 5\r\n\r\nhello`, 400, "DUP_CONTENT_LENGTH"],
  ["CL list 5, 5", `POST / HTTP/1.1\r\n${H}Content-Length: 5, 5\r\n\r\nhello`, 400, "DUP_CONTENT_LENGTH"],
  ["CL negative", `POST / HTTP/1.1\r\n${H}Content-Length: -5\r\n\r\n`, 400, "BAD_CONTENT_LENGTH"],
  ["CL plus sign", `POST / HTTP/1.1\r\n${H}Content-Length: +5\r\n\r\nhello`, 400, "BAD_CONTENT_LENGTH"],
  ["CL hex", `POST / HTTP/1.1\r\n${H}Content-Length: 0x5\r\n\r\nhello`, 400, "BAD_CONTENT_LENGTH"],
  ["CL inner space", `POST / HTTP/1.1\r\n${H}Content-Length: 1 2\r\n\r\n`, 400, "BAD_CONTENT_LENGTH"],
  ["CL empty", `POST / HTTP/1.1\r\n${H}Content-Length:\r\n\r\n`, 400, "BAD_CONTENT_LENGTH"],
  ["CL 16 digits", `POST / HTTP/1.1\r\n${H}Content-Length: 1000000000000000\r\n\r\n`, 400, "BAD_CONTENT_LENGTH"],
  ["CL decimal point", `POST / HTTP/1.1\r\n${H}Content-Length: 5.0\r\n\r\n`, 400, "BAD_CONTENT_LENGTH"],
  ["CL huge", `POST / HTTP/1.1\r\n${H}Content-Length: 999999999999999\r\n\r\n`, 413, "BODY_TOO_LARGE"],
  ["body over limit by CL", `POST / HTTP/1.1\r\n${H}Content-Length: 33\r\n\r\n`, 413, "BODY_TOO_LARGE", SMALL],
  ["body over limit by chunks", `${POSTCH}10\r\n0123456789abcdef\r\n11\r\n`, 413, "BODY_TOO_LARGE", SMALL],
  ["chunk size 0x5", `${POSTCH}0x5\r\nhello\r\n0\r\n\r\n`, 400, "BAD_CHUNK"],
  ["chunk size -1", `${POSTCH}-1\r\n`, 400, "BAD_CHUNK"],
  ["chunk size leading space", `${POSTCH} 5\r\nhello\r\n0\r\n\r\n`, 400, "BAD_CHUNK"],
  ["chunk size trailing space", `${POSTCH}5 \r\nhello\r\n0\r\n\r\n`, 400, "BAD_CHUNK"],
  ["chunk size too long", `${POSTCH}000000005\r\nhello\r\n0\r\n\r\n`, 400, "BAD_CHUNK"],
  ["chunk size missing", `${POSTCH}\r\n`, 400, "BAD_CHUNK"],
  ["chunk size non-hex", `${POSTCH}g\r\n`, 400, "BAD_CHUNK"],
  ["chunk ext empty name", `${POSTCH}5;\r\nhello\r\n0\r\n\r\n`, 400, "BAD_CHUNK"],
  ["chunk ext with spaces", `${POSTCH}5; a=b\r\nhello\r\n0\r\n\r\n`, 400, "BAD_CHUNK"],
  ["chunk ext empty value", `${POSTCH}5;a=\r\nhello\r\n0\r\n\r\n`, 400, "BAD_CHUNK"],
  ["chunk ext unterminated quote", `${POSTCH}5;a="b\r\nhello\r\n0\r\n\r\n`, 400, "BAD_CHUNK"],
  ["chunk ext CTL in quoted value", `${POSTCH}5;a="\x01"\r\nhello\r\n0\r\n\r\n`, 400, "BAD_CHUNK"],
  ["chunk ext bad name char", `${POSTCH}5;a@b\r\nhello\r\n0\r\n\r\n`, 400, "BAD_CHUNK"],
  ["chunk line too long", `${POSTCH}5;a="${"x".repeat(5000)}"\r\nhello\r\n0\r\n\r\n`, 400, "BAD_CHUNK"],
  ["chunk data longer than size", `${POSTCH}5\r\nhelloXX\r\n0\r\n\r\n`, 400, "BAD_CHUNK"],
  ["chunk data then CR without LF", `${POSTCH}5\r\nhello\rX0\r\n\r\n`, 400, "BAD_CHUNK"],
  ["chunk size bare LF", `${POSTCH}5\nhello\r\n0\r\n\r\n`, 400, "BARE_LF"],
  ["chunk size bare CR", `${POSTCH}5\rhello\r\n0\r\n\r\n`, 400, "BARE_CR"],
  ["trailer obs-fold", `${POSTCH}0\r\nT: 1\r\n  more\r\n\r\n`, 400, "OBS_FOLD"],
  ["trailer NUL", `${POSTCH}0\r\nT: a\x00b\r\n\r\n`, 400, "BAD_HEADER"],
  ["trailers count toward the header limit", `POST / HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 2\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nC: 1\r\nD: 2\r\n\r\n`, 431, "HEADERS_TOO_LARGE", SMALL],
  ["obs-fold", `GET / HTTP/1.1\r\n${H}X-A: 1\r\n 2\r\n\r\n`, 400, "OBS_FOLD"],
  ["obs-fold with tab on first field", `GET / HTTP/1.1\r\n\tX: 1\r\n${H}\r\n`, 400, "OBS_FOLD"],
  ["NUL in header value", `GET / HTTP/1.1\r\n${H}X: a\x00b\r\n\r\n`, 400, "BAD_HEADER"],
  ["CTL in header value", `GET / HTTP/1.1\r\n${H}X: a\x01b\r\n\r\n`, 400, "BAD_HEADER"],
  ["DEL in header value", `GET / HTTP/1.1\r\n${H}X: a\x7fb\r\n\r\n`, 400, "BAD_HEADER"],
  ["space before colon", `GET / HTTP/1.1\r\nHost : h\r\n\r\n`, 400, "BAD_HEADER"],
  ["tab before colon", `GET / HTTP/1.1\r\n${H}X\t: 1\r\n\r\n`, 400, "BAD_HEADER"],
  ["empty header name", `GET / HTTP/1.1\r\n${H}: x\r\n\r\n`, 400, "BAD_HEADER"],
  ["header without colon", `GET / HTTP/1.1\r\n${H}NoColon\r\n\r\n`, 400, "BAD_HEADER"],
  ["invalid char in header name", `GET / HTTP/1.1\r\n${H}X(y): 1\r\n\r\n`, 400, "BAD_HEADER"],
  ["obs-text in header name", `GET / HTTP/1.1\r\n${H}X\xe9: 1\r\n\r\n`, 400, "BAD_HEADER"],
  ["bare LF after request line", `GET / HTTP/1.1\n${H}\r\n`, 400, "BARE_LF"],
  ["bare LF after header", `GET / HTTP/1.1\r\nHost: h\n\r\n`, 400, "BARE_LF"],
  ["bare LF as final empty line", `GET / HTTP/1.1\r\nHost: h\r\n\n`, 400, "BARE_LF"],
  ["leading bare LF", `\nGET / HTTP/1.1\r\n${H}\r\n`, 400, "BARE_LF"],
  ["bare CR in header value", `GET / HTTP/1.1\r\n${H}X: a\rb\r\n\r\n`, 400, "BARE_CR"],
  ["bare CR after version", `GET / HTTP/1.1\r\r\n${H}\r\n`, 400, "BARE_CR"],
  ["bare CR as final line", `GET / HTTP/1.1\r\n${H}\rX\r\n`, 400, "BARE_CR"],
  ["bare CR in leading empty line", `\rGET / HTTP/1.1\r\n${H}\r\n`, 400, "BARE_CR"],
  ["oversized request line", `GET /${"a".repeat(100)} HTTP/1.1\r\n${H}\r\n`, 414, "URI_TOO_LONG", SMALL],
  ["oversized request line, never terminated", `GET /${"a".repeat(100)}`, 414, "URI_TOO_LONG", SMALL],
  ["oversized headers", `GET / HTTP/1.1\r\n${H}X: ${"v".repeat(300)}\r\n\r\n`, 431, "HEADERS_TOO_LARGE", SMALL],
  ["oversized headers, never terminated", `GET / HTTP/1.1\r\n${H}X: 1\r\nY: 2\r\nZ: ${"v".repeat(300)}`, 431, "HEADERS_TOO_LARGE", SMALL],
  ["too many headers", `GET / HTTP/1.1\r\n${H}A: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\nE: 5\r\n\r\n`, 431, "HEADERS_TOO_LARGE", SMALL],
  ["endless leading empty lines", "\r\n".repeat(200), 431, "HEADERS_TOO_LARGE", SMALL],
  ["invalid method char", `GE(T / HTTP/1.1\r\n${H}\r\n`, 400, "BAD_METHOD"],
  ["method with obs-text", `G\xc9T / HTTP/1.1\r\n${H}\r\n`, 400, "BAD_METHOD"],
  ["empty method", ` / HTTP/1.1\r\n${H}\r\n`, 400, "BAD_REQUEST_LINE"],
  ["lowercase http version", `GET / http/1.1\r\n${H}\r\n`, 400, "BAD_VERSION"],
  ["HTTP/2.0", `GET / HTTP/2.0\r\n${H}\r\n`, 505, "UNSUPPORTED_VERSION"],
  ["HTTP/1.2", `GET / HTTP/1.2\r\n${H}\r\n`, 505, "UNSUPPORTED_VERSION"],
  ["HTTP/1.10", `GET / HTTP/1.10\r\n${H}\r\n`, 400, "BAD_VERSION"],
  ["HTTP/1", `GET / HTTP/1\r\n${H}\r\n`, 400, "BAD_VERSION"],
  ["version followed by space", `GET / HTTP/1.1 \r\n${H}\r\n`, 400, "BAD_VERSION"],
  ["missing version", `GET /\r\n${H}\r\n`, 400, "BAD_REQUEST_LINE"],
  ["missing target and version", `GET\r\n${H}\r\n`, 400, "BAD_REQUEST_LINE"],
  ["two spaces after method", `GET  / HTTP/1.1\r\n${H}\r\n`, 400, "BAD_REQUEST_LINE"],
  ["two spaces before version", `GET /  HTTP/1.1\r\n${H}\r\n`, 400, "BAD_REQUEST_LINE"],
  ["tab as separator", `GET\t/ HTTP/1.1\r\n${H}\r\n`, 400, "BAD_REQUEST_LINE"],
  ["tab before version", `GET /\tHTTP/1.1\r\n${H}\r\n`, 400, "BAD_REQUEST_LINE"],
  ["target not starting with /", `GET foo HTTP/1.1\r\n${H}\r\n`, 400, "BAD_TARGET"],
  ["asterisk with GET", `GET * HTTP/1.1\r\n${H}\r\n`, 400, "BAD_TARGET"],
  ["authority-form CONNECT", `CONNECT h:443 HTTP/1.1\r\n${H}\r\n`, 400, "BAD_TARGET"],
  ["absolute-form ftp", `GET ftp://h/x HTTP/1.1\r\n${H}\r\n`, 400, "BAD_TARGET"],
  ["absolute-form without host", `GET http:///x HTTP/1.1\r\n${H}\r\n`, 400, "BAD_TARGET"],
  ["absolute-form with userinfo", `GET http://u:p@h/x HTTP/1.1\r\n${H}\r\n`, 400, "BAD_TARGET"],
  ["obs-text in target", `GET /caf\xe9 HTTP/1.1\r\n${H}\r\n`, 400, "BAD_TARGET"],
  ["CTL in target", `GET /a\x01b HTTP/1.1\r\n${H}\r\n`, 400, "BAD_TARGET"],
  ["DEL in target", `GET /a\x7f HTTP/1.1\r\n${H}\r\n`, 400, "BAD_TARGET"],
  ["fragment in target", `GET /a#frag HTTP/1.1\r\n${H}\r\n`, 400, "BAD_TARGET"],
  ["bad percent-encoding", `GET /a%zz HTTP/1.1\r\n${H}\r\n`, 400, "BAD_ENCODING"],
  ["truncated percent-encoding", `GET /a%4 HTTP/1.1\r\n${H}\r\n`, 400, "BAD_ENCODING"],
  ["percent at end of path", `GET /a%?x HTTP/1.1\r\n${H}\r\n`, 400, "BAD_ENCODING"],
  ["%00 in path", `GET /a%00b HTTP/1.1\r\n${H}\r\n`, 400, "BAD_ENCODING"],
  ["invalid UTF-8 in path", `GET /%C3%28 HTTP/1.1\r\n${H}\r\n`, 400, "BAD_ENCODING"],
  ["overlong UTF-8 in path", `GET /%C0%AF HTTP/1.1\r\n${H}\r\n`, 400, "BAD_ENCODING"],
  ["missing Host on HTTP/1.1", `GET / HTTP/1.1\r\nX: 1\r\n\r\n`, 400, "MISSING_HOST"],
  ["duplicate Host", `GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n`, 400, "DUP_HOST"],
  ["Host with space", `GET / HTTP/1.1\r\nHost: a b\r\n\r\n`, 400, "BAD_HOST"],
  ["Host with path", `GET / HTTP/1.1\r\nHost: a/b\r\n\r\n`, 400, "BAD_HOST"],
  ["TE gzip", `POST / HTTP/1.1\r\n${H}Transfer-Encoding: gzip\r\n\r\n`, 501, "UNSUPPORTED_TE"],
  ["TE gzip, chunked", `POST / HTTP/1.1\r\n${H}Transfer-Encoding: gzip, chunked\r\n\r\n`, 501, "UNSUPPORTED_TE"],
  ["TE identity", `POST / HTTP/1.1\r\n${H}Transfer-Encoding: identity\r\n\r\n`, 501, "UNSUPPORTED_TE"],
  ["TE chunked, chunked", `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked, chunked\r\n\r\n`, 400, "BAD_TRANSFER_ENCODING"],
  ["TE chunked not last", `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked, gzip\r\n\r\n`, 400, "BAD_TRANSFER_ENCODING"],
  ["TE empty list element", `POST / HTTP/1.1\r\n${H}Transfer-Encoding: , chunked\r\n\r\n`, 400, "BAD_TRANSFER_ENCODING"],
  ["TE chunked with parameter", `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked;q=1\r\n\r\n`, 400, "BAD_TRANSFER_ENCODING"],
  ["TE empty", `POST / HTTP/1.1\r\n${H}Transfer-Encoding:\r\n\r\n`, 400, "BAD_TRANSFER_ENCODING"],
  ["TE on HTTP/1.0", `POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`, 400, "BAD_TRANSFER_ENCODING"],
  ["two TE headers", `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`, 400, "DUP_TRANSFER_ENCODING"],
];

describe("malformed and hostile inputs", () => {
  test("catalog has at least 40 cases with unique names", () => {
    assert.ok(CATALOG.length >= 40);
    assert.equal(new Set(CATALOG.map((c) => c[0])).size, CATALOG.length);
  });

  for (const [name, input, status, code, limits] of CATALOG) {
    test(`${status} ${code}: ${name}`, () => {
      const o = assertSplitInvariant(B(input), limits, name);
      assert.equal(o.reqs.length, 0, "no request may be delivered");
      assert.equal(o.errs.length, 1, "exactly one error");
      const e = o.errs[0];
      assert.equal(e.status, status);
      assert.equal(e.code, HTTP_ERROR_CODES[code]);
      assert.match(e.code, /^MS_ERR_HTTP_[A-Z_]+$/);
      assert.ok(e.message.length > 10 && /[.]$/.test(e.message), `message should be a sentence: ${e.message}`);
      assert.equal(o.ok, false);
      assert.equal(o.inRequest, false);
    });
  }

  test("garbage after a good pipelined request: the good one is delivered, then the error", () => {
    const input = B(`GET /good HTTP/1.1\r\n${H}\r\nGARBAGE\r\n\r\n`);
    const o = assertSplitInvariant(input, undefined, "garbage");
    assert.deepEqual(o.reqs.map((r) => r.path), ["/good"]);
    assert.equal(o.errs.length, 1);
    assert.equal(o.errs[0].code, "MS_ERR_HTTP_BAD_REQUEST_LINE");
    const order: string[] = [];
    new RequestParser().execute(input, 0, (r) => order.push(r.path), (e) => order.push(e.code));
    assert.deepEqual(order, ["/good", "MS_ERR_HTTP_BAD_REQUEST_LINE"]);
  });

  test("bytes after an error are ignored even if they hold a valid request", () => {
    const smuggle = `POST / HTTP/1.1\r\n${H}Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /admin HTTP/1.1\r\n${H}\r\n`;
    const o = assertSplitInvariant(B(smuggle), undefined, "smuggle");
    assert.equal(o.reqs.length, 0);
    assert.equal(o.errs[0].code, "MS_ERR_HTTP_CL_TE");
    const p = new RequestParser();
    const reqs: ParsedRequest[] = [];
    const errs: HttpParseError[] = [];
    assert.equal(p.execute(B("GET / HTTP/1.1\r\nHost: h\r\nX: \x00\r\n\r\n"), 0, (r) => reqs.push(r), (e) => errs.push(e)), false);
    assert.equal(p.execute(B("GET /ok HTTP/1.1\r\nHost: h\r\n\r\n"), 1, (r) => reqs.push(r), (e) => errs.push(e)), false);
    assert.equal(p.execute(Buffer.alloc(0), 2, (r) => reqs.push(r), (e) => errs.push(e)), false);
    assert.equal(reqs.length, 0);
    assert.equal(errs.length, 1);
    assert.equal(p.failed, true);
  });

  test("a pipelined request after an unterminated body is never parsed as a request", () => {
    const o = assertSplitInvariant(B(`POST / HTTP/1.1\r\n${H}Content-Length: 40\r\n\r\nGET /admin HTTP/1.1\r\nHost: h\r\n\r\n`), undefined, "cl");
    assert.equal(o.reqs.length, 0);
    assert.equal(o.inRequest, true);
  });

  test("errors found while dripping are the same as in one chunk (default limits)", () => {
    const input = B("GET /" + "x".repeat(8300) + " HTTP/1.1\r\n");
    const whole = parse(input);
    assert.equal(whole.errs[0].status, 414);
    const bytes: Buffer[] = [];
    for (let k = 0; k < input.length; k++) bytes.push(input.subarray(k, k + 1));
    assert.deepEqual(feed(bytes).errs, whole.errs);
    for (const k of [1, 100, 8190, 8191, 8192, 8193, 8194, 8195, 8196, 8300]) {
      assert.deepEqual(feed([input.subarray(0, k), input.subarray(k)]).errs, whole.errs, `split ${k}`);
    }
  });

  test("a bad byte inside an over-long line wins over the limit (first error by position)", () => {
    const o = assertSplitInvariant(B(`GET /a\x01${"b".repeat(100)}`), SMALL, "ctl+long");
    assert.equal(o.errs[0].code, "MS_ERR_HTTP_BAD_TARGET");
  });
});

// ---------------------------------------------------------------------------------------------
// helpers exported for the server

describe("helpers", () => {
  test("requestTimeoutError", () => {
    const e = requestTimeoutError();
    assert.equal(e.status, 408);
    assert.equal(e.code, "MS_ERR_HTTP_REQUEST_TIMEOUT");
  });

  test("percent decoding helpers", () => {
    const b = B("/a%20b%C3%A9");
    assert.equal(decodePathBytes(b, 0, b.length), "/a b\u00e9");
    assert.equal(decodePathBytes(B("%zz"), 0, 3), PCT_BAD_ESCAPE);
    assert.equal(decodePathBytes(B("%FF"), 0, 3), PCT_BAD_UTF8);
    assert.equal(decodePathBytes(B("%00"), 0, 3), PCT_NUL);
    assert.equal(decodeComponent("a+b%2Bc", true), "a b+c");
    assert.equal(decodeComponent("a+b", false), "a+b");
    assert.equal(decodeComponent("%E2%82%AC"), "\u20ac");
    assert.equal(decodeComponent("%E2%82"), null);
    assert.equal(decodeComponent("%4"), null);
    assert.equal(decodeComponent("plain"), "plain");
  });
});
