// Apps written for Rover run as they are: rover.server, Rover's ctx methods, response builders,
// middleware, api.on_error, rover.env/config/html; what is out of scope says so at its first use.
// The fixtures are written from Rover's documentation (../shared/reference/rover-http-api.md).
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import { startProcess, startServer, writeAppTree, type RunningServer } from "../helpers/server";
import { get, raw, request } from "../helpers/http";

const APP = String.raw`
local api = rover.server { log_level = "info", strict_mode = false, cors_origin = "*" }

-- middleware: global, then scoped; before middleware may answer early with a response
function api.before.trace(ctx)
  ctx:set("trail", { "global-1" })
end
function api.before.second(ctx)
  local t = ctx:get("trail"); t[#t + 1] = "global-2"
  return { ignored = "a plain table from a before middleware does not answer" }
end
function api.admin.before.auth(ctx)
  local t = ctx:get("trail"); t[#t + 1] = "admin"
  if not ctx:headers()["Authorization"] then
    return api:error(401, "Unauthorized")
  end
  ctx:set("role", "admin")
end
function api.after.count(ctx)
  after_runs = (after_runs or 0) + 1
end

function api.admin.get(ctx)
  return api.json { role = ctx:get("role"), trail = ctx:get("trail") }
end
function api.admin.users.p_id.get(ctx)
  return api.json { id = ctx:params().id, trail = ctx:get("trail") }
end
function api.afters.get(ctx)
  return api.json { after_runs = after_runs or 0 }
end

-- ctx
function api.echo.get(ctx)
  local h = ctx:headers()
  return {
    method = ctx.method, path = ctx.path, page = ctx:query().page,
    ua_lower = h["user-agent"], ua_mixed = h["User-Agent"], auth = h["Authorization"],
    id1 = ctx:request_id(), id2 = ctx:request_id(),
  }
end
function api.users.p_id.posts.p_postId.get(ctx)
  local p = ctx:params()
  -- Moonscope's own forms keep working in a Rover app
  return { user = p.id, post = p.postId, same = ctx.params.id == p.id, q = ctx.query.q }
end
function api.users.post(ctx)
  local body = ctx:body()
  local decoded = body:json()
  return api.json:status(201, {
    name = decoded.name, text = body:text(), raw = body:as_string(), bytes = #body:bytes(), first = body:bytes()[1],
    same_as_ctx_json = ctx:json().name,
  })
end
function api.nobody.post(ctx)
  local body = ctx:body()
  return { json = body:json() == nil, text = body:text() }
end

-- responses
function api.r.json.get() return api.json { ok = true } end
function api.r.text.get() return api.text:status(503, "Service Unavailable") end
function api.r.html.get() return api.html("<h1>Welcome</h1>") end
function api.r.page.get()
  return api.html({ title = "Home", items = { "a", "b" }, admin = false }) [[<h1>{{ title }}</h1>{{ for _, item in ipairs(items) do }}<li>{{ item }}</li>{{ end }}{{ if admin then }}ADMIN{{ else }}guest{{ end }}]]
end
function api.r.nf.get() return api.html:status(404, "<h1>Not Found</h1>") end
function api.r.old.get() return api.redirect("/new") end
function api.r.legacy.get() return api.redirect:permanent("/new-url") end
function api.r.temp.get() return api.redirect:status(307, "/temporary") end
function api.r.err.get() return api:error(403, "Forbidden") end
function api.r.none.delete() return api.no_content() end
function api.r.bin.get() return api.raw("raw-bytes") end
function api.r.binpost.post() return api.raw:status(201, "created") end
function api.r.num.get() return 42 end
function api.r.bool.get() return true end
function api.r.str.get() return "plain" end
function api.r.tbl.get() return { message = "Hello" } end
function api.r.prejson.get() return api.json('{"already":"json"}') end
function rover.html.card(props)
  return rover.html(props) [=[<div class="card">{{ title }}</div>]=]
end
function api.r.comp.get() return api.html({}) [[{{ card { title = "Hi" } }}]] end

-- errors
function api.fail.get() error("record not found") end
function api.failtable.get() error({ status = 418, message = "teapot", code = "TEA" }) end
function api.failnil.get() error("left to the default") end
function api.admin.broken.get() return nil end
function api.spin.get() while true do end end
function api.on_error(err)
  if err.message:find("left to the default", 1, true) then return nil end
  return api.json:status(err.status, { message = err.message, status = err.status, code = err.code, path = err.path })
end

-- configuration
function api.env.get()
  return { home = rover.env.MOONSCOPE_ROVER_TEST, dotenv = rover.env.FROM_DOTENV, missing = rover.env.NOT_SET_ANYWHERE, cfg = rover.config.load("config.lua"), nested = rover.config.from_env("MSROVER") }
end

-- out of scope
function api.guard.post(ctx) return ctx:body():expect { name = rover.guard:string():required() } end
function api.stream.get() return api.stream(200, "text/plain", function() return nil end) end
function api.upload.post(ctx) return { f = ctx:body():form() } end

return api
`;

/** The line of APP (as app.lua) that holds text. */
function lineOf(text: string): number {
  return APP.split("\n").findIndex((l) => l.includes(text)) + 1;
}

const FILES = {
  "app.lua": APP,
  "config.lua": `return { feature = true }`,
  ".env": `FROM_DOTENV="dotenv value"\n# a comment\nMOONSCOPE_ROVER_TEST=overridden-by-the-real-env\n`,
};

describe("an app written for Rover", () => {
  let srv: RunningServer;
  before(async () => {
    srv = await startServer(writeAppTree(FILES), ["--workers", "2", "--handler-timeout", "300ms"], {
      env: { ...process.env, MOONSCOPE_ROVER_TEST: "from the env", MSROVER_DB_HOST: "db.local", MSROVER_DB_PORT: "5432", MSROVER_NAME: "svc" },
    });
  });
  after(() => srv?.stop());

  test("routes are the handlers only: middleware and on_error are not listed", async () => {
    const out = srv.stdout();
    assert.match(out, /GET \/admin\s+api\.admin\.get/);
    assert.match(out, /GET \/admin\/users\/:id\s+api\.admin\.users\.p_id\.get/);
    assert.doesNotMatch(out, /\.(before|after)\.|on_error/);
  });

  test("rover.server options without a Moonscope meaning are named in one warning, however many workers", async () => {
    const warns = srv.stderr().split("\n").filter((l) => l.includes("MS_WARN_ROVER_OPTIONS"));
    assert.equal(warns.length, 1, srv.stderr());
    assert.match(warns[0], /cors_origin, log_level, strict_mode/);
  });

  test("ctx: method, path, query, params, headers by any case, a request id", async () => {
    const r = JSON.parse((await get(srv.port, "/echo?page=2", { "User-Agent": "probe/1", Authorization: "Bearer t" })).body);
    assert.equal(r.method, "GET");
    assert.equal(r.path, "/echo");
    assert.equal(r.page, "2");
    assert.equal(r.ua_lower, "probe/1");
    assert.equal(r.ua_mixed, "probe/1");
    assert.equal(r.auth, "Bearer t");
    assert.match(r.id1, /^[0-9A-Za-z]{8,}$/);
    assert.equal(r.id1, r.id2, "one id for the whole request");
    const again = JSON.parse((await get(srv.port, "/echo")).body);
    assert.notEqual(again.id1, r.id1);
    const given = JSON.parse((await get(srv.port, "/echo", { "X-Request-ID": "req-from-client" })).body);
    assert.equal(given.id1, "req-from-client");
  });

  test("ctx:params() and Moonscope's ctx.params in the same app", async () => {
    assert.deepEqual(JSON.parse((await get(srv.port, "/users/7/posts/9?q=x")).body), { user: "7", post: "9", same: true, q: "x" });
  });

  test("ctx:body() with :json(), :text(), :as_string(), :bytes(); ctx:json() too", async () => {
    const body = JSON.stringify({ name: "Ada" });
    const r = await request(srv.port, "POST", "/users", body);
    assert.equal(r.status, 201);
    assert.deepEqual(JSON.parse(r.body), { name: "Ada", text: body, raw: body, bytes: body.length, first: 123, same_as_ctx_json: "Ada" });
    assert.deepEqual(JSON.parse((await request(srv.port, "POST", "/nobody")).body), { json: true, text: "" });
  });

  test("middleware: global before middleware in definition order, then scoped (also on sub-routes), then the handler", async () => {
    const r = JSON.parse((await get(srv.port, "/admin", { Authorization: "x" })).body);
    assert.deepEqual(r, { role: "admin", trail: ["global-1", "global-2", "admin"] });
    const sub = JSON.parse((await get(srv.port, "/admin/users/5", { Authorization: "x" })).body);
    assert.deepEqual(sub.trail, ["global-1", "global-2", "admin"]);
    const plain = JSON.parse((await get(srv.port, "/echo")).body);
    assert.equal(plain.method, "GET", "a plain table from a before middleware does not answer");
  });

  test("a before middleware that returns a response answers with it; the handler and after middleware do not run", async () => {
    // The count is per worker: pipelined on one connection, the requests meet the same worker.
    const { responses } = await raw(srv.port, "GET /admin HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", { expect: 1 });
    assert.equal(responses[0].status, 401);
    assert.deepEqual(JSON.parse(responses[0].body), { error: "Unauthorized" });
    const { responses: ok } = await raw(srv.port, "GET /afters HTTP/1.1\r\nHost: x\r\n\r\nGET /r/json HTTP/1.1\r\nHost: x\r\n\r\nGET /afters HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", { expect: 3 });
    const n0 = JSON.parse(ok[0].body).after_runs;
    const n2 = JSON.parse(ok[2].body).after_runs;
    assert.equal(n2 - n0, 2, "after middleware ran after /afters and /r/json");
    // The denied request added none: /afters just before and just after it differ by the /afters request itself only.
    const { responses: deny } = await raw(srv.port, "GET /afters HTTP/1.1\r\nHost: x\r\n\r\nGET /admin HTTP/1.1\r\nHost: x\r\n\r\nGET /afters HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", { expect: 3 });
    assert.equal(JSON.parse(deny[2].body).after_runs - JSON.parse(deny[0].body).after_runs, 1);
  });

  test("response builders: json, text, html, templates, components, redirects, api:error, no_content, raw, plain values", async () => {
    const r = async (p: string, method = "GET") => (method === "GET" ? get(srv.port, p) : request(srv.port, method, p));
    let x = await r("/r/json");
    assert.equal(x.headers["content-type"], "application/json");
    x = await r("/r/text");
    assert.equal(x.status, 503);
    assert.equal(x.body, "Service Unavailable");
    x = await r("/r/html");
    assert.equal(x.headers["content-type"], "text/html; charset=utf-8");
    assert.equal(x.body, "<h1>Welcome</h1>");
    assert.equal((await r("/r/page")).body, "<h1>Home</h1><li>a</li><li>b</li>guest");
    assert.equal((await r("/r/comp")).body, '<div class="card">Hi</div>');
    x = await r("/r/nf");
    assert.equal(x.status, 404);
    x = await r("/r/old");
    assert.equal(x.status, 302);
    assert.equal(x.headers.location, "/new");
    x = await r("/r/legacy");
    assert.equal(x.status, 301);
    assert.equal(x.headers.location, "/new-url");
    assert.equal((await r("/r/temp")).status, 307);
    x = await r("/r/err");
    assert.equal(x.status, 403);
    assert.deepEqual(JSON.parse(x.body), { error: "Forbidden" });
    x = await r("/r/none", "DELETE");
    assert.equal(x.status, 204);
    x = await r("/r/bin");
    assert.equal(x.body, "raw-bytes");
    assert.equal(x.headers["content-type"], undefined);
    assert.equal((await r("/r/binpost", "POST")).status, 201);
    assert.equal((await r("/r/num")).body, "42");
    assert.equal((await r("/r/bool")).body, "true");
    assert.equal((await r("/r/str")).body, "plain");
    assert.deepEqual(JSON.parse((await r("/r/tbl")).body), { message: "Hello" });
    assert.equal((await r("/r/prejson")).body, '{"already":"json"}');
  });

  test("api.on_error gets message, status, code and path, and its response is sent", async () => {
    let x = await get(srv.port, "/fail");
    assert.equal(x.status, 404, "Rover's status guess: the message says 'not found'");
    assert.deepEqual(JSON.parse(x.body), { message: `app.lua:${lineOf("record not found")}: record not found`, status: 404, code: "ERROR", path: "/fail" });
    x = await get(srv.port, "/failtable");
    assert.equal(x.status, 418);
    assert.deepEqual(JSON.parse(x.body), { message: "teapot", status: 418, code: "TEA", path: "/failtable" });
  });

  test("when api.on_error returns nil the error is a 500 as usual, logged with the traceback of where it happened", async () => {
    const x = await get(srv.port, "/failnil");
    assert.equal(x.status, 500);
    assert.equal(JSON.parse(x.body).error.code, "MS_ERR_LUA_RUNTIME");
    const at = `app.lua:${lineOf('error("left to the default")')}`;
    assert.equal(JSON.parse(x.body).error.message, `${at}: left to the default`);
    await srv.waitForOutput(/MS_ERR_LUA_RUNTIME: GET \/failnil/);
    assert.ok(srv.stderr().includes(`${at}: in `), srv.stderr());
  });

  test("a handler stopped by the watchdog is a 503, never handed to api.on_error", async () => {
    const x = await get(srv.port, "/spin");
    assert.equal(x.status, 503);
    assert.equal(JSON.parse(x.body).error.code, "MS_ERR_LUA_TIMEOUT");
    assert.equal((await get(srv.port, "/r/str")).body, "plain");
  });

  test("rover.env (the environment first, then the app's .env), rover.config.load and from_env", async () => {
    assert.deepEqual(JSON.parse((await get(srv.port, "/env")).body), {
      home: "from the env",
      dotenv: "dotenv value",
      cfg: { feature: true },
      nested: { db: { host: "db.local", port: "5432" }, name: "svc" },
    });
  });

  test("what Moonscope does not run of Rover says so at its first use", async () => {
    // (api.on_error answers these; its status guess for "validation" is 400)
    let x = await request(srv.port, "POST", "/guard", "{}");
    assert.match(x.body, /rover\.guard is not supported by Moonscope \(validation\)/);
    x = await get(srv.port, "/stream");
    assert.match(x.body, /api\.stream is not supported by Moonscope \(streaming responses\)/);
    x = await request(srv.port, "POST", "/upload", "x");
    assert.match(x.body, /ctx:body\(\):form is not supported by Moonscope \(multipart uploads\)/);
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

describe("rover.server options that are serve options", () => {
  test("port and body_size_limit apply when the command line does not give them", async () => {
    const port = await freePort();
    const app = writeAppTree({ "app.lua": `local api = rover.server { port = ${port}, host = "127.0.0.1", body_size_limit = 16 }\nfunction api.x.post(ctx) return "ok" end\nreturn api` });
    const p = await startProcess(["serve", app, "--workers", "1"]);
    const srv = await p.ready;
    try {
      assert.equal(srv.port, port);
      assert.equal((await request(port, "POST", "/x", "short")).status, 200);
      assert.equal((await request(port, "POST", "/x", "x".repeat(17))).status, 413);
    } finally {
      await srv.stop();
    }
  });

  test("the command line wins over rover.server", async () => {
    const app = writeAppTree({ "app.lua": `local api = rover.server { port = 1, body_size_limit = 4 }\nfunction api.x.post(ctx) return "ok" end\nreturn api` });
    const srv = await startServer(app, ["--max-body", "1KB"]);
    try {
      assert.notEqual(srv.port, 1);
      assert.equal((await request(srv.port, "POST", "/x", "longer than four")).status, 200);
    } finally {
      await srv.stop();
    }
  });

  test("using rover.guard while the app loads stops it with a message naming the feature", async () => {
    const app = writeAppTree({ "app.lua": `local api = rover.server {}\nlocal schema = { name = rover.guard:string() }\nfunction api.x.get() return 1 end\nreturn api` });
    await assert.rejects(startServer(app), /app\.lua:2: error while loading: rover\.guard is not supported by Moonscope \(validation\)/);
  });
});
