// require("cjson") / require("cjson.safe"): lua-cjson's encoding rules and error behaviour, on the server's JSON code.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { startServer, writeApp, type RunningServer } from "../helpers/server";
import { get, request } from "../helpers/http";

const APP = String.raw`
local cjson = require("cjson")
local safe = require("cjson.safe")

local function err(f, ...)
  local ok, e = pcall(f, ...)
  return ok and "no error" or tostring(e)
end

function api.encode.get(ctx)
  local sparse = {}
  sparse[1] = 1; sparse[20] = 2
  local r = {
    array = cjson.encode({ 1, 2, 3 }),
    object = cjson.encode({ a = 1 }),
    nested = cjson.encode({ list = { { id = 1 } } }),
    holes = cjson.encode({ [1] = 1, [3] = 3 }),
    empty = cjson.encode({}),
    empty_array = cjson.encode(cjson.empty_array),
    marked = cjson.encode(setmetatable({}, cjson.array_mt)),
    null = cjson.encode({ cjson.null }),
    slash = cjson.encode("a/b"),
    third = cjson.encode(1 / 3),
    float = cjson.encode(0.1),
    big = cjson.encode(9007199254740993),
    tiny = cjson.encode(1e-7),
    mixed = cjson.encode({ [1] = "a", x = "b" }),
    str = cjson.encode("quote \" and \n newline"),
    sparse_error = err(cjson.encode, sparse),
    nan_error = err(cjson.encode, 0 / 0),
    inf_error = err(cjson.encode, math.huge),
    fn_error = err(cjson.encode, { f = print }),
    key_error = err(cjson.encode, { [true] = 1 }),
    deep_error = err(function() local t = {} t.t = t return cjson.encode(t) end),
  }
  return api.json(r)
end

function api.settings.get(ctx)
  local c = cjson.new()
  c.encode_sparse_array(true)
  c.encode_escape_forward_slash(false)
  c.encode_invalid_numbers("null")
  c.encode_number_precision(3)
  c.encode_empty_table_as_object(false)
  local sparse = {}
  sparse[1] = 1; sparse[20] = 2
  return api.json {
    sparse = c.encode(sparse),
    slash = c.encode("a/b"),
    nan = c.encode({ 0 / 0 }),
    pi = c.encode(math.pi),
    empty = c.encode({}),
    -- the module's own instance keeps its defaults
    default_slash = cjson.encode("a/b"),
  }
end

function api.decode.post(ctx)
  local t = cjson.decode(ctx.body)
  return api.json {
    name = t.name,
    count = #t.list,
    null_is_cjson_null = t.missing == cjson.null,
    null_type = type(t.missing),
    empty_array_len = #t.empty,
    roundtrip = cjson.encode(t.list),
  }
end

function api.errors.get(ctx)
  local v, e = safe.decode("{bad json")
  local v2, e2 = safe.encode({ f = print })
  return api.json {
    raised = err(cjson.decode, "{bad json"),
    empty = err(cjson.decode, ""),
    not_string = err(cjson.decode, nil),
    safe_value = v == nil, safe_error = e,
    safe_encode = v2 == nil, safe_encode_error = e2,
  }
end

-- cjson's null and empty_array inside the server's own api.json
function api.mixed.get(ctx)
  return api.json { n = cjson.null, e = cjson.empty_array, d = cjson.decode('{"x":null}') }
end
`;

describe("cjson", () => {
  let srv: RunningServer;
  before(async () => {
    srv = await startServer(writeApp(APP));
  });
  after(() => srv?.stop());

  test("encode follows lua-cjson: arrays, holes, empty tables, 14 digits, escaped slashes, exact integers", async () => {
    const r = JSON.parse((await get(srv.port, "/encode")).body);
    assert.equal(r.array, "[1,2,3]");
    assert.equal(r.object, '{"a":1}');
    assert.equal(r.nested, '{"list":[{"id":1}]}');
    assert.equal(r.holes, "[1,null,3]");
    assert.equal(r.empty, "{}");
    assert.equal(r.empty_array, "[]");
    assert.equal(r.marked, "[]");
    assert.equal(r.null, "[null]");
    assert.equal(r.slash, '"a\\/b"');
    assert.equal(r.third, "0.33333333333333");
    assert.equal(r.float, "0.1");
    assert.equal(r.big, "9007199254740993");
    assert.equal(r.tiny, "1e-07");
    assert.ok(r.mixed === '{"1":"a","x":"b"}' || r.mixed === '{"x":"b","1":"a"}', r.mixed);
    assert.equal(r.str, '"quote \\" and \\n newline"');
  });

  test("encode refuses what lua-cjson refuses, with its messages", async () => {
    const { sparse_error, nan_error, inf_error, fn_error, key_error, deep_error } = JSON.parse((await get(srv.port, "/encode")).body);
    assert.deepEqual([sparse_error, nan_error, inf_error, fn_error, key_error, deep_error], [
      "Cannot serialise table: excessively sparse array",
      "Cannot serialise number: must not be NaN or Infinity",
      "Cannot serialise number: must not be NaN or Infinity",
      "Cannot serialise function: type not supported",
      "Cannot serialise boolean: table key must be a number or string",
      "Cannot serialise, excessive nesting (1001)",
    ]);
  });

  test("settings apply to their own instance (cjson.new)", async () => {
    const { sparse, ...rest } = JSON.parse((await get(srv.port, "/settings")).body);
    assert.ok(sparse === '{"1":1,"20":2}' || sparse === '{"20":2,"1":1}', sparse);
    assert.deepEqual(rest, { slash: '"a/b"', nan: "[null]", pi: "3.14", empty: "[]", default_slash: '"a\\/b"' });
  });

  test("decode: objects, arrays, null as cjson.null (a light userdata)", async () => {
    const r = await request(srv.port, "POST", "/decode", JSON.stringify({ name: "Ada", list: [1, 2, { a: [true] }], missing: null, empty: [] }));
    assert.deepEqual(JSON.parse(r.body), { name: "Ada", count: 3, null_is_cjson_null: true, null_type: "userdata", empty_array_len: 0, roundtrip: '[1,2,{"a":[true]}]' });
  });

  test("decode errors raise; cjson.safe answers nil and the message instead", async () => {
    const r = JSON.parse((await get(srv.port, "/errors")).body);
    assert.match(r.raised, /^Expected JSON: /);
    assert.equal(r.empty, "Expected value but found T_END at character 1");
    assert.match(r.not_string, /bad argument #1 to 'decode' \(string expected, got nil\)/);
    assert.equal(r.safe_value, true);
    assert.match(r.safe_error, /^Expected JSON: /);
    assert.equal(r.safe_encode, true);
    assert.equal(r.safe_encode_error, "Cannot serialise function: type not supported");
  });

  test("cjson.null and cjson.empty_array serialise inside api.json too", async () => {
    assert.deepEqual(JSON.parse((await get(srv.port, "/mixed")).body), { n: null, e: [], d: { x: null } });
  });
});
