// The Lua handler API over real HTTP: routes, params, query, headers, bodies, statuses.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { ROOT, startServer, writeApp, type RunningServer } from "../helpers/server";
import { get, raw, request } from "../helpers/http";

describe("the hello example", () => {
  let srv: RunningServer;
  before(async () => {
    srv = await startServer(path.join(ROOT, "examples/hello/app.lua"), ["--workers", "2"]);
  });
  after(() => srv?.stop());

  test("GET /hello answers exactly the expected JSON", async () => {
    const r = await get(srv.port, "/hello");
    assert.equal(r.status, 200);
    assert.equal(r.headers["content-type"], "application/json");
    assert.equal(r.body, '{"message":"We are all good champs"}');
    assert.equal(r.headers["content-length"], String(Buffer.byteLength(r.body)));
    assert.match(r.headers["date"], /GMT$/);
  });

  test("an unknown route is a JSON 404", async () => {
    const r = await get(srv.port, "/nope");
    assert.equal(r.status, 404);
    assert.equal(JSON.parse(r.body).error.code, "MS_ERR_NOT_FOUND");
  });

  test("a wrong method on a known route is a 405 with Allow", async () => {
    const r = await request(srv.port, "DELETE", "/hello");
    assert.equal(r.status, 405);
    assert.equal(r.headers["allow"], "GET, HEAD");
    assert.equal(JSON.parse(r.body).error.code, "MS_ERR_METHOD_NOT_ALLOWED");
  });

  test("HEAD answers the headers of GET without a body", async () => {
    const res = await raw(srv.port, "HEAD /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    assert.match(res.text, /^HTTP\/1\.1 200 OK\r\n/);
    assert.match(res.text, /Content-Length: 36\r\n/);
    assert.ok(res.text.endsWith("\r\n\r\n"), "no body after the head");
  });

  test("keep-alive and pipelining: three requests on one connection, answered in order", async () => {
    const one = "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n";
    const res = await raw(srv.port, one + "GET /nope HTTP/1.1\r\nHost: x\r\n\r\n" + one, { expect: 3 });
    assert.deepEqual(
      res.responses.map((r) => r.status),
      [200, 404, 200],
    );
  });

  test("HTTP/1.0 closes by default and keeps alive when asked", async () => {
    const a = await raw(srv.port, "GET /hello HTTP/1.0\r\n\r\n");
    assert.equal(a.responses[0].status, 200);
    assert.equal(a.closed, true);
    const b = await raw(srv.port, "GET /hello HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", { expect: 1 });
    assert.equal(b.responses[0].headers["connection"], "keep-alive");
  });
});

describe("the handler API", () => {
  let srv: RunningServer;
  before(async () => {
    srv = await startServer(
      writeApp(`
function api.hello.get(ctx) return api.json { message = "We are all good champs" } end
function api.users.p_id.get(ctx) return api.json { id = ctx.params.id } end
function api.users.post(ctx) local u = ctx:json(); return api.json:status(201, u) end
function api.note.get(ctx) return api.text("plain words") end
function api.gone.delete(ctx) return api.empty(204) end
function api.teapot.get(ctx) return api.text:status(418, "short and stout"):header("X-Kind", "teapot") end
function api.echo.post(ctx)
  return api.json {
    method = ctx.method, path = ctx.path, body = ctx.body,
    q = ctx.query.q, page = ctx.query.page,
    agent = ctx.headers["user-agent"], custom = ctx:header("X-Custom"),
  }
end
function api.orgs.p_org.repos.p_repo.get(ctx) return api.json { org = ctx.params.org, repo = ctx.params.repo } end
function api.move.get(ctx) return api.redirect("/hello", 301) end
function api.plain.get(ctx) return "just a string" end
function api.nothing.get(ctx) end
function api.table.get(ctx) return { list = {1, 2, 3}, empty = api.array(), none = api.null, nested = { deep = true } } end
function api.bad_header.get(ctx) return api.text("x"):header("X-Evil", "a\\r\\nSet-Cookie: y") end
function api.unicode.get(ctx) return api.json { word = "caf\\u{e9} \\u{1F319}", raw = ctx.query.w } end
function api.deep.get(ctx)
  local root = {}
  local t = root
  for i = 1, 98 do t.n = {} t = t.n end
  -- a full collection shrinks the Lua stack to what is in use, so the serializer starts with little room
  collectgarbage() collectgarbage()
  return api.json(root)
end
function api.deep_body.post(ctx) local v = ctx:json() local d = 0 while type(v) == "table" do d = d + 1 v = v[1] end return api.json { depth = d } end
`),
    );
  });
  after(() => srv?.stop());

  test("p_<name> segments are path parameters", async () => {
    const r = await get(srv.port, "/users/42");
    assert.equal(r.status, 200);
    assert.deepEqual(JSON.parse(r.body), { id: "42" });
    const r2 = await get(srv.port, "/orgs/moon/repos/scope");
    assert.deepEqual(JSON.parse(r2.body), { org: "moon", repo: "scope" });
  });

  test("percent-encoded parameters arrive decoded", async () => {
    const r = await get(srv.port, "/users/a%20b%C3%A9");
    assert.deepEqual(JSON.parse(r.body), { id: "a bé" });
  });

  test("POST with a JSON body: ctx:json() and api.json:status(201, ...)", async () => {
    const body = JSON.stringify({ name: "Ada", age: 36, tags: ["x", "y"], admin: false, boss: null });
    const r = await request(srv.port, "POST", "/users", body, { "Content-Type": "application/json" });
    assert.equal(r.status, 201);
    assert.deepEqual(JSON.parse(r.body), { name: "Ada", age: 36, tags: ["x", "y"], admin: false, boss: null });
  });

  test("a body that is not JSON makes ctx:json() raise, which is a 500 naming the problem", async () => {
    const r = await request(srv.port, "POST", "/users", "{nope");
    assert.equal(r.status, 500);
    assert.match(JSON.parse(r.body).error.message, /not valid JSON/);
  });

  test("api.text answers text/plain", async () => {
    const r = await get(srv.port, "/note");
    assert.equal(r.status, 200);
    assert.equal(r.headers["content-type"], "text/plain; charset=utf-8");
    assert.equal(r.body, "plain words");
  });

  test("api.empty(204) has no body and no Content-Length", async () => {
    const res = await raw(srv.port, "DELETE /gone HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    assert.match(res.text, /^HTTP\/1\.1 204 No Content\r\n/);
    assert.doesNotMatch(res.text, /Content-Length/i);
    assert.ok(res.text.endsWith("\r\n\r\n"));
  });

  test("any status and custom headers", async () => {
    const r = await get(srv.port, "/teapot");
    assert.equal(r.status, 418);
    assert.equal(r.headers["x-kind"], "teapot");
    assert.equal(r.body, "short and stout");
  });

  test("ctx carries method, path, raw body, decoded query and lowercased headers", async () => {
    const r = await request(srv.port, "POST", "/echo?q=a+b%21&page=2", "raw bytes", { "User-Agent": "tester/1", "X-Custom": "yes" });
    assert.deepEqual(JSON.parse(r.body), { method: "POST", path: "/echo", body: "raw bytes", q: "a b!", page: "2", agent: "tester/1", custom: "yes" });
  });

  test("redirects, plain strings, nil and plain tables", async () => {
    const m = await get(srv.port, "/move");
    assert.equal(m.status, 301);
    assert.equal(m.headers["location"], "/hello");
    const p = await get(srv.port, "/plain");
    assert.equal(p.body, "just a string");
    const n = await raw(srv.port, "GET /nothing HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    assert.match(n.text, /^HTTP\/1\.1 204/);
    const t = await get(srv.port, "/table");
    assert.deepEqual(JSON.parse(t.body), { list: [1, 2, 3], empty: [], none: null, nested: { deep: true } });
  });

  test("a header value with CR/LF is refused (no header injection)", async () => {
    const r = await get(srv.port, "/bad_header");
    assert.equal(r.status, 500);
    assert.equal(r.headers["set-cookie"], undefined);
    assert.match(JSON.parse(r.body).error.message, /control character/);
  });

  test("tables nested nearly to the limit serialise both ways, and the worker keeps its memory intact (the walk reserves its Lua stack)", async () => {
    for (let i = 0; i < 5; i++) {
      const r = await get(srv.port, "/deep");
      assert.equal(r.status, 200);
      assert.equal(r.body.split('{"n":').length - 1, 98);
    }
    const nested = "[".repeat(99) + "]".repeat(99);
    const b = await request(srv.port, "POST", "/deep_body", nested);
    assert.deepEqual(JSON.parse(b.body), { depth: 99 });
    assert.deepEqual(JSON.parse((await get(srv.port, "/users/7")).body), { id: "7" });
  });

  test("UTF-8 survives both ways", async () => {
    const r = await get(srv.port, "/unicode?w=%E2%9C%93");
    assert.deepEqual(JSON.parse(r.body), { word: "café 🌙", raw: "✓" });
  });
});
