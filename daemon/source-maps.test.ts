import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { SourceMaps } from "./source-maps";

const ROOT = path.resolve(__dirname, "..");
const BUNDLE = path.join(ROOT, "dist", "server-core", "worker.js");

test("a position in the worker bundle maps back to its TypeScript file and line", { skip: existsSync(BUNDLE) ? false : "dist/ is not built (npm test builds it first)" }, () => {
  const bundle = readFileSync(BUNDLE, "utf8").split("\n");
  const source = readFileSync(path.join(ROOT, "server-core", "worker.ts"), "utf8").split("\n");
  const genLine = bundle.findIndex((l) => /^\s*runHandler\(routeKey\) \{/.test(l));
  const srcLine = source.findIndex((l) => /^\s*private runHandler\(routeKey: string\)/.test(l)) + 1;
  assert.ok(genLine >= 0 && srcLine > 0, "both definitions are found");
  const col = bundle[genLine].indexOf("runHandler");
  assert.deepEqual(new SourceMaps().original(BUNDLE, genLine, col), { file: "server-core/worker.ts", line: srcLine });
});

test("a bundle without a map, or a line without mappings, maps to nothing", () => {
  const maps = new SourceMaps();
  assert.equal(maps.original(path.join(ROOT, "no-such-bundle.js"), 1, 0), null);
  if (existsSync(BUNDLE)) assert.equal(maps.original(BUNDLE, 10_000_000, 0), null);
});
