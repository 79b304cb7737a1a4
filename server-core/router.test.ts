import { test } from "node:test";
import assert from "node:assert/strict";
import { Router } from "./router";
import { parseQuery } from "./http/query";

const routes = [
  { method: "GET", path: "/users" },
  { method: "POST", path: "/users" },
  { method: "GET", path: "/users/:id" },
  { method: "DELETE", path: "/users/:id" },
  { method: "GET", path: "/users/me" },
  { method: "GET", path: "/" },
  { method: "GET", path: "/orgs/:org/repos/:repo" },
];
const r = new Router(routes);

test("static paths match exactly, also with a trailing slash", () => {
  assert.deepEqual(r.match("GET", "/users"), { kind: "ok", route: routes[0], params: null });
  assert.deepEqual(r.match("GET", "/users/"), { kind: "ok", route: routes[0], params: null });
  assert.deepEqual(r.match("GET", "/"), { kind: "ok", route: routes[5], params: null });
});

test("static routes win over parameter routes", () => {
  assert.deepEqual(r.match("GET", "/users/me"), { kind: "ok", route: routes[4], params: null });
});

test("parameters are captured in order", () => {
  assert.deepEqual(r.match("GET", "/users/42"), { kind: "ok", route: routes[2], params: ["id", "42"] });
  assert.deepEqual(r.match("GET", "/orgs/a/repos/b"), { kind: "ok", route: routes[6], params: ["org", "a", "repo", "b"] });
});

test("an empty segment does not match a parameter; extra segments do not match", () => {
  assert.deepEqual(r.match("GET", "/users//"), { kind: "none" });
  assert.deepEqual(r.match("GET", "/users/1/2"), { kind: "none" });
});

test("wrong method lists what is allowed; HEAD falls back to GET", () => {
  assert.deepEqual(r.match("PUT", "/users/1"), { kind: "method", allow: ["DELETE", "GET", "HEAD"] });
  assert.equal(r.match("HEAD", "/users").kind, "ok");
});

test("query strings decode + and %XX, keep order and duplicates, reject bad escapes", () => {
  assert.deepEqual(parseQuery("a=1&b=x+y&c=%C3%A9&flag&a=2"), ["a", "1", "b", "x y", "c", "é", "flag", "", "a", "2"]);
  assert.deepEqual(parseQuery(""), []);
  assert.deepEqual(parseQuery("&&x=1&"), ["x", "1"]);
  assert.equal(parseQuery("a=%zz"), null);
  assert.equal(parseQuery("a=%C3"), null);
});
