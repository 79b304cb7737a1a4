// Maps (method, path) to a route. Static paths are one Map lookup; paths with :params are matched
// segment by segment, static routes winning over parameter routes.

export interface RouteLike {
  method: string;
  path: string;
}

interface ParamPattern<R> {
  segments: string[]; // ":id" marks a parameter
  byMethod: Map<string, R>;
}

export type Match<R> =
  | { kind: "ok"; route: R; params: string[] | null }
  | { kind: "method"; allow: string[] }
  | { kind: "none" };

export class Router<R extends RouteLike> {
  private readonly statics = new Map<string, Map<string, R>>();
  private readonly patterns: ParamPattern<R>[] = [];

  constructor(routes: R[]) {
    for (const r of routes) this.add(r);
  }

  private add(r: R): void {
    if (!r.path.includes("/:")) {
      let m = this.statics.get(r.path);
      if (!m) this.statics.set(r.path, (m = new Map()));
      m.set(r.method, r);
      return;
    }
    const segments = r.path.split("/").slice(1);
    let p = this.patterns.find((q) => q.segments.join("/") === segments.join("/"));
    if (!p) this.patterns.push((p = { segments, byMethod: new Map() }));
    p.byMethod.set(r.method, r);
  }

  match(method: string, path: string): Match<R> {
    const s = this.statics.get(path) ?? (path.length > 1 && path.endsWith("/") ? this.statics.get(path.slice(0, -1)) : undefined);
    if (s) return pick(s, method, null);
    if (this.patterns.length === 0) return NONE;
    const parts = path.split("/");
    if (parts.length > 1 && parts[parts.length - 1] === "" ) parts.pop();
    outer: for (const p of this.patterns) {
      if (p.segments.length !== parts.length - 1) continue;
      let params: string[] | null = null;
      for (let i = 0; i < p.segments.length; i++) {
        const seg = p.segments[i];
        const part = parts[i + 1];
        if (seg.charCodeAt(0) === 58 /* : */) {
          if (part === "") continue outer;
          (params ??= []).push(seg.slice(1), part);
        } else if (seg !== part) continue outer;
      }
      return pick(p.byMethod, method, params);
    }
    return NONE;
  }
}

const NONE = { kind: "none" } as const;

function pick<R extends RouteLike>(m: Map<string, R>, method: string, params: string[] | null): Match<R> {
  const r = m.get(method) ?? (method === "HEAD" ? m.get("GET") : undefined);
  if (r) return { kind: "ok", route: r, params };
  const allow = [...m.keys()];
  if (allow.includes("GET") && !allow.includes("HEAD")) allow.push("HEAD");
  return { kind: "method", allow: allow.sort() };
}
