// The structure of a run.json beyond its envelope (checkRun in run.ts): every section and tree that
// readers walk without looking first (summaries, lenses, exports, comparisons, the panel) is
// checked once when the file is read, so a damaged file is MS_ERR_RUN_CORRUPT naming the field,
// never a "Cannot read properties of undefined" somewhere later.
import { MoonscopeError } from "./errors";
import type { RunFile, StoredTree } from "./run";

type Json = Record<string, unknown>;

class Shape {
  constructor(private readonly where: string) {}

  fail(path: string, what: string): never {
    throw new MoonscopeError("MS_ERR_RUN_CORRUPT", `${this.where} is damaged: ${path} ${what}; the run cannot be read, profile the route again`);
  }
  object(v: unknown, path: string): Json {
    if (typeof v !== "object" || v === null || Array.isArray(v)) this.fail(path, "is not an object");
    return v as Json;
  }
  array(v: unknown, path: string): unknown[] {
    if (!Array.isArray(v)) this.fail(path, "is not a list");
    return v;
  }
  number(v: unknown, path: string): number {
    if (typeof v !== "number" || Number.isNaN(v)) this.fail(path, "is not a number");
    return v;
  }
  string(v: unknown, path: string): string {
    if (typeof v !== "string") this.fail(path, "is not a string");
    return v;
  }
  numbers(o: Json, path: string, keys: string[]): void {
    for (const k of keys) this.number(o[k], `${path}.${k}`);
  }

  tree(v: unknown, path: string): StoredTree {
    const t = this.object(v, path);
    const frames = this.array(t.frames, `${path}.frames`);
    frames.forEach((f, i) => {
      const fr = this.object(f, `${path}.frames[${i}]`);
      this.string(fr.name, `${path}.frames[${i}].name`);
      this.string(fr.kind, `${path}.frames[${i}].kind`);
    });
    const nodes = this.array(t.nodes, `${path}.nodes`);
    nodes.forEach((n, i) => {
      const p = `${path}.nodes[${i}]`;
      const node = this.array(n, p);
      const [fi, self, parent] = node;
      if (node.length !== 3 || !Number.isInteger(fi) || (fi as number) < 0 || (fi as number) >= frames.length) this.fail(p, "does not name a frame of the tree");
      this.number(self, `${p}[1]`);
      // Pre-order: a parent always comes before its children.
      if (!Number.isInteger(parent) || (parent as number) < -1 || (parent as number) >= i) this.fail(p, "has a parent that is not an earlier node");
    });
    this.number(t.total, `${path}.total`);
    return t as unknown as StoredTree;
  }

  stageRows(v: unknown, path: string): void {
    this.array(v, path).forEach((s, i) => {
      const row = this.object(s, `${path}[${i}]`);
      this.string(row.stage, `${path}[${i}].stage`);
      this.numbers(row, `${path}[${i}]`, ["p50Us", "p99Us", "meanUs", "share"]);
    });
  }
}

/** Checks the sections readers rely on; throws MS_ERR_RUN_CORRUPT naming the first damaged field. */
export function checkRunShape(run: RunFile, where: string): RunFile {
  const c = new Shape(where);
  const r = run as unknown as Json;
  c.string(r.id, "id");
  c.string(r.createdAt, "createdAt");
  const app = c.object(r.app, "app");
  c.string(app.file, "app.file");
  c.array(app.routes, "app.routes");
  const route = c.object(r.route, "route");
  c.string(route.method, "route.method");
  c.string(route.path, "route.path");
  c.object(r.options, "options");
  const client = c.object(r.client, "client");
  c.numbers(client, "client", ["requests", "rps", "non2xx", "errors"]);
  c.numbers(c.object(client.latencyUs, "client.latencyUs"), "client.latencyUs", ["p50", "p99"]);
  const server = c.object(r.server, "server");
  c.stageRows(server.stages, "server.stages");
  c.numbers(c.object(server.latencyUs, "server.latencyUs"), "server.latencyUs", ["p50", "p99", "mean"]);
  if (server.perWorker !== undefined) {
    c.array(server.perWorker, "server.perWorker").forEach((w, i) => c.stageRows(c.object(w, `server.perWorker[${i}]`).stages, `server.perWorker[${i}].stages`));
  }
  c.array(r.workers, "workers");
  c.string(c.object(r.verdict, "verdict").message, "verdict.message");
  c.array(r.hotSpots, "hotSpots").forEach((h, i) => c.string(c.object(c.object(h, `hotSpots[${i}]`).frame, `hotSpots[${i}].frame`).name, `hotSpots[${i}].frame.name`));
  if (r.hotLines !== undefined) {
    c.array(r.hotLines, "hotLines").forEach((h, i) => {
      const row = c.object(h, `hotLines[${i}]`);
      c.string(row.file, `hotLines[${i}].file`);
      c.string(row.fn, `hotLines[${i}].fn`);
      c.numbers(row, `hotLines[${i}]`, ["line", "fnLine", "selfUs", "totalUs", "selfShare", "totalShare"]);
    });
  }
  const profile = c.object(r.profile, "profile");
  if (profile.merged !== null) c.tree(profile.merged, "profile.merged");
  c.array(profile.perWorker, "profile.perWorker").forEach((w, i) => c.tree(c.object(w, `profile.perWorker[${i}]`).tree, `profile.perWorker[${i}].tree`));
  c.object(profile.files, "profile.files");
  if (profile.timeline !== undefined) {
    c.array(profile.timeline, "profile.timeline").forEach((x, i) => {
      const p = `profile.timeline[${i}]`;
      const chunk = c.object(x, p);
      c.numbers(chunk, p, ["startMs", "endMs", "requests", "p50Us", "p99Us"]);
      c.object(chunk.stageMeanUs, `${p}.stageMeanUs`);
      if (chunk.tree !== null) c.tree(chunk.tree, `${p}.tree`);
    });
  }
  c.array(r.budgets, "budgets").forEach((b, i) => c.string(c.object(b, `budgets[${i}]`).message, `budgets[${i}].message`));
  c.array(r.warnings, "warnings");
  return run;
}
