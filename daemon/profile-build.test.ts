import { test } from "node:test";
import assert from "node:assert/strict";
import { buildWorkerTree } from "./profile-build";
import { toFolded } from "../profile/calltree";
import type { CpuProfile } from "../profile/cpuprofile";
import type { WorkerProfile } from "../server-core/ipc";

const W = "file:///x/dist/server-core/worker.js";
const GLUE = "file:///x/node_modules/wasmoon/dist/index.js";

/** A V8 profile with one chain of frames (root-first) sampled n times, 1 ms apart. */
function profileOf(chains: { frames: [string, string][]; samples: number }[]): CpuProfile {
  const nodes: CpuProfile["nodes"] = [{ id: 1, callFrame: { functionName: "(root)", scriptId: "0", url: "", lineNumber: -1, columnNumber: -1 }, children: [] }];
  const samples: number[] = [];
  for (const c of chains) {
    let parent = nodes[0];
    for (const [name, url] of c.frames) {
      const n = { id: nodes.length + 1, callFrame: { functionName: name, scriptId: "1", url, lineNumber: 10, columnNumber: 0 }, children: [] as number[] };
      nodes.push(n);
      parent.children!.push(n.id);
      parent = n;
    }
    for (let i = 0; i < c.samples; i++) samples.push(parent.id);
  }
  return { nodes, startTime: 0, endTime: (samples.length + 1) * 1000, samples, timeDeltas: samples.map(() => 1000) };
}

const lua = {
  samples: 4,
  missed: 0,
  frames: [
    { name: "api.crunch.get", file: "app.lua", line: 17, what: "Lua" },
    { name: "churn_numbers", file: "app.lua", line: 9, what: "Lua" },
  ],
  stacks: [
    { route: "GET /crunch", frames: [0, 1], count: 3 },
    { route: "GET /crunch", frames: [0], count: 1 },
  ],
  // Three samples deep in churn_numbers at line 12 (the handler waiting at line 19), one in the handler at line 18.
  lines: [
    { frame: 1, line: 12, self: 3, total: 3 },
    { frame: 0, line: 19, self: 0, total: 3 },
    { frame: 0, line: 18, self: 1, total: 1 },
  ],
};

for (const [shape, below] of [
  ["wasm directly under call", [["wasm-function[12]", "wasm://wasm/abc"]]],
  ["a js-to-wasm trampoline and wasmoon's invoke glue under call", [["js-to-wasm:iiiiii:i", ""], ["wasm-function[12]", "wasm://wasm/abc"], ["nc", GLUE], ["js-to-wasm:ii:", ""], ["wasm-function[40]", "wasm://wasm/abc"]]],
] as const) {
  test(`Lua time is split over the sampled Lua stacks under the entry frame (${shape})`, () => {
    const cpuprofile = profileOf([
      { frames: [["onData", W], ["execute", W], ["onRequest", W], ["runHandler", W], ["call", W], ...below.map((f) => [f[0], f[1]] as [string, string])], samples: 8 },
      { frames: [["onData", W], ["execute", W], ["onRequest", W], ["writeResponse", W], ["writeUtf8String", ""]], samples: 2 },
    ]);
    const p: WorkerProfile = { worker: 1, pid: 1, cpuprofile, lua };
    const folded = toFolded(buildWorkerTree(p).tree);
    assert.equal(
      folded,
      [
        "[handler];runHandler (server-core/worker.js:11);call (server-core/worker.js:11);api.crunch.get (app.lua:17) 2000",
        "[handler];runHandler (server-core/worker.js:11);call (server-core/worker.js:11);api.crunch.get (app.lua:17);churn_numbers (app.lua:9) 6000",
        "[write];writeResponse (server-core/worker.js:11);writeUtf8String 2000",
      ].join("\n") + "\n",
    );
    // Lines get the Lua VM's time (8 ms) split as the stacks are: 3 of 4 samples, 1 of 4.
    assert.deepEqual(
      buildWorkerTree(p).lines.map((l) => [l.frame.name, l.line, l.selfUs, l.totalUs]),
      [
        ["churn_numbers", 12, 6000, 6000],
        ["api.crunch.get", 19, 0, 6000],
        ["api.crunch.get", 18, 2000, 2000],
      ],
    );
  });
}

test("without Lua samples the Lua time stays visible as (Lua VM)", () => {
  const cpuprofile = profileOf([{ frames: [["runHandler", W], ["call", W], ["wasm-function[1]", "wasm://wasm/abc"]], samples: 3 }]);
  const folded = toFolded(buildWorkerTree({ worker: 1, pid: 1, cpuprofile, lua: null }).tree);
  assert.match(folded, /^\[handler\];runHandler \(server-core\/worker\.js:11\);call \(server-core\/worker\.js:11\);\(Lua VM\) 3000$/m);
});

test("a frame named like an Object.prototype member is not taken for a stage", () => {
  const cpuprofile = profileOf([{ frames: [["toString", W], ["helper", W]], samples: 2 }]);
  const folded = toFolded(buildWorkerTree({ worker: 1, pid: 1, cpuprofile, lua: null }).tree);
  assert.doesNotMatch(folded, /\[function/);
  assert.match(folded, /^\[server: other\];toString/m);
});

test("with inlined stage methods (V8 --prof, as 0x records) the functions they call still name the stage", () => {
  const cpuprofile = profileOf([
    { frames: [["onData", W], ["execute", W], ["onRequest", W], ["call", W], ["wasm-function[3]", "wasm://wasm"]], samples: 4 },
    { frames: [["onData", W], ["execute", W], ["onRequest", W], ["Writable.write", "node:internal/streams/writable"], ["writeGeneric", "node:internal/stream_base_commons"]], samples: 2 },
    { frames: [["onData", W], ["execute", W], ["onRequest", W], ["readResult", W], ["tableToJs", W]], samples: 1 },
  ]);
  const folded = toFolded(buildWorkerTree({ worker: 1, pid: 1, cpuprofile, lua }).tree);
  assert.match(folded, /^\[handler\];call \(server-core\/worker\.js:11\);api\.crunch\.get \(app\.lua:17\);churn_numbers \(app\.lua:9\) 3000$/m);
  assert.match(folded, /^\[write\];Writable\.write \(node:internal\/streams\/writable:11\);writeGeneric/m);
  assert.match(folded, /^\[serialize\];readResult \(server-core\/worker\.js:11\);tableToJs \(server-core\/worker\.js:11\) 1000$/m);
  assert.doesNotMatch(folded, /^\[parse\]/m);
});

test("with call and runHandler inlined into onRequest, the Lua VM under onRequest is still the handler's Lua time", () => {
  const cpuprofile = profileOf([{ frames: [["onData", W], ["execute", W], ["onRequest", W], ["wasm-function[9]", "wasm://wasm"], ["wasm-function[3]", "wasm://wasm"]], samples: 4 }]);
  const folded = toFolded(buildWorkerTree({ worker: 1, pid: 1, cpuprofile, lua }).tree);
  assert.match(folded, /^\[handler\];onRequest \(server-core\/worker\.js:11\);api\.crunch\.get \(app\.lua:17\);churn_numbers \(app\.lua:9\) 3000$/m);
  assert.doesNotMatch(folded, /^\[parse\]/m);
});

test("with no usable CPU profile, the Lua samples alone make the tree (each worth one sampling interval)", () => {
  const folded = toFolded(buildWorkerTree({ worker: 1, pid: 1, cpuprofile: null, lua }, { luaIntervalUs: 2000 }).tree);
  assert.equal(folded, "[handler];api.crunch.get (app.lua:17) 2000\n[handler];api.crunch.get (app.lua:17);churn_numbers (app.lua:9) 6000\n");
});

test("with no usable CPU profile, samples from the stack reader are worth the time they say they stand for (its pace varies)", () => {
  // 4 samples that stood for 20 ms in all (the reader looked every 5 ms on average), not 4 × 2 ms
  const folded = toFolded(buildWorkerTree({ worker: 1, pid: 1, cpuprofile: null, lua: { ...lua, sampledMs: 20 } }, { luaIntervalUs: 2000 }).tree);
  assert.equal(folded, "[handler];api.crunch.get (app.lua:17) 5000\n[handler];api.crunch.get (app.lua:17);churn_numbers (app.lua:9) 15000\n");
});
