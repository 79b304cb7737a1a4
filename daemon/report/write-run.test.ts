import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { CallTreeBuilder } from "../../profile/calltree";
import { EXPORT_FORMATS } from "../../profile/exports";
import type { RunFile } from "../../profile/run";
import { writeRunFolder } from "./write-run";

// Only what the writer reads of a run: what the exports' titles are made of.
const run = {
  id: "r1",
  createdAt: "2024-01-02T03:04:05.678Z",
  app: { file: "/apps/users/app.lua", routes: [] },
  route: { method: "GET", path: "/users/:id", name: "api.users.get", line: 7 },
  options: { workers: 2, cpuIntervalUs: 2500 },
  profile: { merged: null, perWorker: [] },
  client: { rps: 1234.4 },
  session: { windowMs: 2000, firstSnapshotMs: null },
} as unknown as RunFile;

test("the exports are written beside run.json, titled, and no temp file is left", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "moonscope-write-run-"));
  const b = new CallTreeBuilder();
  b.add([{ name: "[handler]", kind: "stage" }, { name: "api.users.get", file: "app.lua", line: 7, kind: "lua" }], 100);
  writeRunFolder(dir, run, b.build());
  assert.deepEqual(readdirSync(dir).sort(), ["run.json", ...Object.values(EXPORT_FORMATS).map((f) => f.file)].sort());
  assert.equal((JSON.parse(readFileSync(path.join(dir, "run.json"), "utf8")) as RunFile).id, "r1");
  const svg = readFileSync(path.join(dir, "flamegraph.svg"), "utf8");
  assert.ok(svg.includes("GET /users/:id — app.lua"), "the SVG's title");
  assert.ok(svg.includes("1234 req/s, 2 worker(s), 2.0 s, 2024-01-02T03:04:05.678Z"), "the SVG's subtitle");
  assert.equal((JSON.parse(readFileSync(path.join(dir, "profile.speedscope.json"), "utf8")) as { name: string }).name, "GET /users/:id — app.lua");
  assert.match(readFileSync(path.join(dir, "profile.folded"), "utf8"), /^\[handler\];api\.users\.get \(app\.lua:7\) 100$/m);
});

test("without a profile only run.json is written", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "moonscope-write-run-"));
  writeRunFolder(dir, run, null);
  assert.deepEqual(readdirSync(dir), ["run.json"]);
  assert.ok(existsSync(path.join(dir, "run.json")));
});
