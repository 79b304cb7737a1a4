// What a handler's value can put on the wire, with a remote client choosing part of it: header
// values go out as the UTF-8 they are (no character of them becomes a CR or LF), statuses are final
// ones only, a 204 or 304 carries no body (a keep-alive client would read it as the next response),
// and integers beyond 2^53 keep every digit both ways.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { startServer, writeApp, type RunningServer } from "../helpers/server";
import { get, raw, request } from "../helpers/http";

const APP = `
function api.echo.get(ctx) return api.text("ok"):header("X-Echo", ctx.query.q or "") end
function api.echo_json.get(ctx) return api.json { ok = true }:header("X-Echo", ctx.query.q or "") end
function api.echo_header.get(ctx) return api.empty(204):header("X-Echo", ctx:header("x-in") or "") end

local statuses = {
  nan = function() return api.text("x"):status(0/0) end,
  ["99"] = function() return api.text("x"):status(99) end,
  ["1000"] = function() return api.json:status(1000, {}) end,
  ["-1"] = function() return api.empty(-1) end,
  ["200.5"] = function() return api.text:status(200.5, "x") end,
  ["101"] = function() return api.json:status(101, { a = 1 }) end,
  ["100"] = function() return api.redirect:status(100, "/x") end,
  text = function() return api.text("x"):status("200") end,
  -- written into the response table directly, past the builders' checks
  raw_nan = function() local r = api.json {} r[2] = 0/0 return r end,
  raw_101 = function() local r = api.text("x") r[2] = 101 return r end,
}
function api.status.p_which.get(ctx) return statuses[ctx.params.which]() end
function api.no_body.p_code.get(ctx) return api.json:status(tonumber(ctx.params.code), { a = 1 }) end
function api.no_body_text.get(ctx) return api.text("not sent"):status(304) end

function api.proto.get(ctx) return api.json { ["__proto__"] = { a = 1 }, b = 2, n = 9007199254740993 } end
function api.proto_plain.get(ctx) return { ["__proto__"] = "x" } end

function api.wide.get(ctx)
  return api.json {
    max = math.maxinteger, min = math.mininteger, above = 9007199254740993, float = 2^53,
    list = { 1, 9007199254740995 }, keyed = { [9007199254740993] = "k", n = 1 },
  }
end
function api.wide.post(ctx)
  local v = ctx:json()
  return api.json { id = v.id, kind = math.type(v.id), next = v.id + 1, small = v.small, huge = math.type(v.huge), frac = v.frac }
end
function api.wide_cjson.post(ctx)
  local cjson = require("cjson")
  local v = cjson.decode(ctx.body)
  return api.text(cjson.encode({ id = v.id, next = v.id + 1 }))
end
`;

describe("what a handler's value puts on the wire", () => {
  let srv: RunningServer;
  before(async () => {
    srv = await startServer(writeApp(APP));
  });
  after(() => srv?.stop());

  test("a query that decodes to U+010D U+010A cannot inject a header or split the response (text and JSON bodies)", async () => {
    for (const route of ["/echo", "/echo_json"]) {
      const r = await raw(srv.port, `GET ${route}?q=%C4%8D%C4%8ASet-Cookie:%20pwn=1 HTTP/1.1\r\nHost: x\r\n\r\nGET ${route} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`, { expect: 2 });
      const bytes = Buffer.from(r.text, "latin1");
      // The value arrives as the UTF-8 bytes it is: C4 8D C4 8A, never CR LF.
      assert.ok(bytes.includes(Buffer.from("X-Echo: \u010d\u010aSet-Cookie: pwn=1\r\n", "utf8")), r.text);
      assert.doesNotMatch(r.text, /\r\nSet-Cookie:/i);
      assert.equal(r.responses.length, 2);
      assert.deepEqual(r.responses.map((x) => x.status), [200, 200]);
      assert.equal(r.responses[1].headers["x-echo"], "");
    }
  });

  test("a request header's bytes echoed into a response header go out as UTF-8 text, never as a CR or LF", async () => {
    // \xc4\x8a is U+010A in UTF-8; a lone \x8a is not UTF-8 and becomes U+FFFD.
    const r = await raw(srv.port, Buffer.from("GET /echo_header HTTP/1.1\r\nHost: x\r\nX-In: a\xc4\x8ab\x8ac\r\nConnection: close\r\n\r\n", "latin1"), { expect: 1 });
    assert.equal(r.responses[0].status, 204);
    const bytes = Buffer.from(r.text, "latin1");
    assert.ok(bytes.includes(Buffer.from("X-Echo: a\u010ab\ufffdc\r\n", "utf8")), r.text);
  });

  test("a status that is not an integer from 200 to 599 is a 500 saying so, from the builders and from the response table alike", async () => {
    for (const which of ["nan", "99", "1000", "-1", "200.5", "101", "100", "text"]) {
      const r = await get(srv.port, `/status/${which}`);
      assert.equal(r.status, 500, `${which}: ${r.raw}`);
      assert.equal(JSON.parse(r.body).error.code, "MS_ERR_LUA_RUNTIME", which);
      assert.match(JSON.parse(r.body).error.message, /status must be an integer from 200 to 599, got /, which);
    }
    for (const which of ["raw_nan", "raw_101"]) {
      const r = await get(srv.port, `/status/${which}`);
      assert.equal(r.status, 500, `${which}: ${r.raw}`);
      assert.equal(JSON.parse(r.body).error.code, "MS_ERR_LUA_RESULT", which);
      assert.match(JSON.parse(r.body).error.message, /response has status (NaN|101); a status is an integer from 200 to 599/, which);
    }
  });

  test("a 204 or 304 carries no body whatever the handler gave, so the next response on the connection reads right", async () => {
    for (const path of ["/no_body/204", "/no_body/304", "/no_body_text"]) {
      const r = await raw(srv.port, `GET ${path} HTTP/1.1\r\nHost: x\r\n\r\nGET /echo?q=next HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`, { expect: 2 });
      const [first, second] = r.responses;
      assert.ok(first.status === 204 || first.status === 304, r.text);
      assert.equal(first.headers["content-length"], undefined, path);
      assert.equal(first.body, "");
      assert.equal(second.status, 200, `${path}: the second response is read as one: ${r.text}`);
      assert.equal(second.headers["x-echo"], "next");
      assert.ok(r.text.indexOf("HTTP/1.1 200") === r.text.indexOf("\r\n\r\n") + 4, `${path}: nothing between the two responses: ${JSON.stringify(r.text)}`);
    }
  });

  test("integers beyond 2^53 keep all their digits in api.json, as keys too; a float stays a float", async () => {
    const r = await get(srv.port, "/wide");
    assert.match(r.body, /"max":9223372036854775807/);
    assert.match(r.body, /"min":-9223372036854775808/);
    assert.match(r.body, /"above":9007199254740993/);
    assert.match(r.body, /"float":9007199254740992\b/);
    assert.match(r.body, /"list":\[1,9007199254740995\]/);
    assert.match(r.body, /"9007199254740993":"k"/);
  });

  test("a table key named __proto__ is a key like any other", async () => {
    assert.deepEqual(JSON.parse((await get(srv.port, "/proto")).body), { ["__proto__"]: { a: 1 }, b: 2, n: 9007199254740993 });
    assert.match((await get(srv.port, "/proto")).body, /"__proto__":\{"a":1\}/);
    assert.equal((await get(srv.port, "/proto_plain")).body, '{"__proto__":"x"}');
  });

  test("and they are read exactly from a request body, by ctx:json() and cjson.decode", async () => {
    const body = '{"id": 9007199254740993, "small": 12, "huge": 123456789012345678901234567890, "frac": 0.12345678901234567}';
    const r = await request(srv.port, "POST", "/wide", body);
    assert.equal(r.status, 200, r.body);
    assert.match(r.body, /"id":9007199254740993/);
    assert.match(r.body, /"next":9007199254740994/);
    assert.match(r.body, /"kind":"integer"/);
    assert.match(r.body, /"small":12/);
    assert.match(r.body, /"huge":"float"/);
    assert.match(r.body, /"frac":0\.12345678901234566/);
    const c = await request(srv.port, "POST", "/wide_cjson", '{"id": 9007199254740993}');
    assert.match(c.body, /"id":9007199254740993/);
    assert.match(c.body, /"next":9007199254740994/);
  });
});
