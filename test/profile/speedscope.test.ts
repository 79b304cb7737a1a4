import { test } from "node:test";
import assert from "node:assert/strict";
import { fromFolded, toFolded } from "../../profile/calltree";
import { SPEEDSCOPE_SCHEMA, fromSpeedscope, toSpeedscope } from "../../profile/speedscope";

const FOLDED = `(garbage collector) 900
[handler];api.users.get (app.lua:12);json_encode (app.lua:30) 120345
[handler];api.users.get (app.lua:12);string.rep ([C]) 7
[handler];fib (app.lua:4);fib (app.lua:4) 50
[parse] 3333
`;

test("toSpeedscope writes a sampled profile in microseconds", () => {
  const t = fromFolded(FOLDED);
  const file = toSpeedscope(t, "GET /users");
  assert.equal(file.$schema, SPEEDSCOPE_SCHEMA);
  assert.equal(file.$schema, "https://www.speedscope.app/file-format-schema.json");
  const p = file.profiles[0];
  assert.equal(file.profiles.length, 1);
  assert.equal(p.type, "sampled");
  assert.equal(p.unit, "microseconds");
  assert.equal(p.name, "GET /users");
  if (p.type !== "sampled") throw new Error("sampled");
  assert.equal(p.samples.length, p.weights.length);
  assert.equal(p.endValue - p.startValue, t.total);
  // Frames are shared, each once, with name/file/line.
  const names = file.shared.frames.map((f) => `${f.name}${f.file ? ` @${f.file}:${f.line ?? "?"}` : ""}`);
  assert.deepEqual(names, ["[handler]", "api.users.get @app.lua:12", "json_encode @app.lua:30", "string.rep @[C]:?", "fib @app.lua:4", "[parse]", "(garbage collector)"]);
  for (const s of p.samples) for (const i of s) assert.ok(i >= 0 && i < file.shared.frames.length);
  // Plain JSON.
  assert.deepEqual(JSON.parse(JSON.stringify(file)), file);
});

test("speedscope round-trip keeps the tree", () => {
  const t = fromFolded(FOLDED);
  const back = fromSpeedscope(JSON.parse(JSON.stringify(toSpeedscope(t, "x"))));
  assert.equal(toFolded(back), FOLDED);
  assert.equal(back.total, t.total);
  // Kinds are guessed again from file names.
  assert.equal(back.root.children[0].children[0].frame.kind, "lua");
  assert.equal(back.root.children[0].frame.kind, "stage");
});

test("fromSpeedscope reads evented profiles and converts units", () => {
  const file = {
    $schema: SPEEDSCOPE_SCHEMA,
    shared: { frames: [{ name: "main", file: "a.lua", line: 1 }, { name: "work", file: "a.lua", line: 5 }] },
    profiles: [
      {
        type: "evented",
        name: "e",
        unit: "milliseconds",
        startValue: 0,
        endValue: 10,
        events: [
          { type: "O", at: 0, frame: 0 },
          { type: "O", at: 2, frame: 1 },
          { type: "C", at: 7, frame: 1 },
          { type: "C", at: 10, frame: 0 },
        ],
      },
      { type: "sampled", name: "s", unit: "nanoseconds", startValue: 0, endValue: 4000, samples: [[0, 1]], weights: [4000] },
    ],
  };
  assert.equal(toFolded(fromSpeedscope(file)), "main (a.lua:1) 5000\nmain (a.lua:1);work (a.lua:5) 5004\n");
  assert.throws(() => fromSpeedscope({}), /not a speedscope file/);
});
