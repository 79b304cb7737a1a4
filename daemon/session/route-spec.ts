// "--route 'GET /users/42'" → the method, the concrete path to load, and the app route it hits.
import type { RouteInfo } from "../../server-core/ipc";
import { MoonscopeError } from "../../profile/errors";

export interface RouteSpec {
  method: string;
  /** The path requests are sent to (":id" parameters replaced by "1"). */
  requestPath: string;
  /** As typed. */
  path: string;
}

export function parseRouteSpec(spec: string): RouteSpec {
  const m = /^\s*([A-Za-z]+)\s+(\/\S*)\s*$/.exec(spec);
  if (!m) throw new MoonscopeError("MS_ERR_USAGE", `--route takes a method and a path, like --route "GET /hello", got "${spec}"`);
  const method = m[1].toUpperCase();
  const path = m[2];
  const requestPath = path.replace(/\/:([^/?]+)/g, "/1");
  return { method, path, requestPath };
}

/** Whether a --route spec ("GET /users/42" or "GET /users/:id") hits the route method + pattern. */
export function specHits(spec: string, method: string, pattern: string): boolean {
  let s: RouteSpec;
  try {
    s = parseRouteSpec(spec);
  } catch {
    return false;
  }
  const m = s.method === "HEAD" ? "GET" : s.method;
  return m === method && (s.path === pattern || matches(pattern, s.requestPath));
}

function matches(pattern: string, path: string): boolean {
  const a = pattern.split("/");
  const b = path.split("?")[0].replace(/\/$/, "").split("/");
  if (pattern === "/" || path === "/") return pattern === path.split("?")[0];
  if (a.length !== b.length) return false;
  return a.every((seg, i) => seg.startsWith(":") ? b[i] !== "" : seg === b[i]);
}

/**
 * The app route the spec hits, or a clear error listing the routes there are. As in the server's
 * router, a route written as typed wins, then a static route, then one with :params
 * ("GET /orders/summary" is /orders/summary, not /orders/:id).
 */
export function resolveRoute(spec: RouteSpec, routes: RouteInfo[], appFile: string): RouteInfo {
  const method = spec.method === "HEAD" ? "GET" : spec.method;
  const mine = routes.filter((r) => r.method === method);
  const hit =
    mine.find((r) => r.path === spec.path) ??
    mine.find((r) => !r.path.includes("/:") && matches(r.path, spec.requestPath)) ??
    mine.find((r) => matches(r.path, spec.requestPath));
  if (hit) return hit;
  const list = routes.map((r) => `${r.method} ${r.path}`).join(", ");
  const samePath = routes.filter((r) => matches(r.path, spec.requestPath)).map((r) => r.method);
  if (samePath.length) throw new MoonscopeError("MS_ERR_ROUTE_NOT_FOUND", `${appFile} has no ${spec.method} handler for ${spec.path}; that path answers ${samePath.join(", ")}`);
  throw new MoonscopeError("MS_ERR_ROUTE_NOT_FOUND", `${appFile} has no route ${spec.method} ${spec.path}; its routes are: ${list}`);
}
