import { test } from "node:test";
import assert from "node:assert/strict";
import { parseRouteSpec, resolveRoute } from "./route-spec";

const routes = [
  { method: "GET", path: "/orders/:id", name: "api.orders.p_id.get", file: "handlers/orders.lua", line: 16 },
  { method: "GET", path: "/orders/summary", name: "api.orders.summary.get", file: "handlers/orders.lua", line: 25 },
  { method: "POST", path: "/orders", name: "api.orders.post", file: "app.lua", line: 3 },
];

test("a static route wins over a :param route that would also match, whatever their order", () => {
  assert.equal(resolveRoute(parseRouteSpec("GET /orders/summary"), routes, "app.lua").name, "api.orders.summary.get");
  assert.equal(resolveRoute(parseRouteSpec("GET /orders/summary"), [...routes].reverse(), "app.lua").name, "api.orders.summary.get");
  assert.equal(resolveRoute(parseRouteSpec("GET /orders/42"), routes, "app.lua").name, "api.orders.p_id.get");
  assert.equal(resolveRoute(parseRouteSpec("GET /orders/:id"), routes, "app.lua").name, "api.orders.p_id.get");
});

test("no such route: the error lists the app's routes, or the methods the path answers", () => {
  assert.throws(() => resolveRoute(parseRouteSpec("GET /nope"), routes, "app.lua"), /app\.lua has no route GET \/nope; its routes are: GET \/orders\/:id, GET \/orders\/summary, POST \/orders/);
  assert.throws(() => resolveRoute(parseRouteSpec("DELETE /orders"), routes, "app.lua"), /has no DELETE handler for \/orders; that path answers POST/);
});
