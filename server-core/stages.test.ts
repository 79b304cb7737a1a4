// The profile builder finds stages by function name, so a renamed stage function must fail here
// rather than mis-root every flamegraph without a word.
import { test } from "node:test";
import assert from "node:assert/strict";
import { LUA_CALLER_FUNCTIONS, STAGE_FUNCTION_LIST, STAGE_FUNCTIONS, STAGES, type StageFunctionHolder } from "./stages";
import { ServerWorker } from "./worker";
import { RequestParser } from "./http/parser";
import { Router } from "./router";
import { LuaApp } from "./lua/app";
import { LuaJson } from "./lua/json";
import * as query from "./http/query";
import * as response from "./http/response";

const HOLDERS: Record<StageFunctionHolder, object> = {
  ServerWorker: ServerWorker.prototype,
  RequestParser: RequestParser.prototype,
  Router: Router.prototype,
  LuaApp: LuaApp.prototype,
  LuaJson: LuaJson.prototype,
  "http/query": query,
  "http/response": response,
};

for (const f of [...STAGE_FUNCTION_LIST, ...LUA_CALLER_FUNCTIONS.map((c) => ({ ...c, stage: "Lua caller" }))]) {
  test(`stage function ${f.name} (${f.stage}) is defined by ${f.holder} under that name`, () => {
    const holder = HOLDERS[f.holder];
    // Own properties only: an inherited name (Function.prototype.call) must not pass for a method.
    assert.ok(Object.hasOwn(holder, f.name), `${f.holder} has no ${f.name}; update STAGE_FUNCTION_LIST in stages.ts after a rename`);
    const fn = (holder as Record<string, unknown>)[f.name];
    assert.equal(typeof fn, "function");
    // The name a CPU profile shows for it.
    assert.equal((fn as { name: string }).name, f.name);
  });
}

test("the request pipeline's stage methods each mark their own stage", () => {
  const pipeline: [string, string][] = [
    ["execute", "parse"],
    ["extract", "extract"],
    ["pushContext", "context"],
    ["runHandler", "handler"],
    ["serialize", "serialize"],
    ["writeResponse", "write"],
  ];
  for (const [name, stage] of pipeline) assert.equal(STAGE_FUNCTIONS.get(name), stage, name);
});

test("every stage but queue (waiting, no code of its own) is marked by some function", () => {
  const marked = new Set(STAGE_FUNCTIONS.values());
  assert.deepEqual(
    STAGES.filter((s) => s !== "queue" && !marked.has(s)),
    [],
  );
});

test("no function name is listed twice", () => {
  assert.equal(STAGE_FUNCTIONS.size, STAGE_FUNCTION_LIST.length);
});
