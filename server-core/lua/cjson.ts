// The modules cjson and cjson.safe: lua-cjson 2.1's API (with OpenResty's additions),
// built on the server's JSON code (json.ts) so it costs what api.json costs. Registered as
// package.preload entries, so `require` finds them before any cjson on disk (a C module, which
// could not load in WebAssembly anyway).
import { CJ_EMPTY_AS_OBJECT, CJ_ESCAPE_SLASH, CJ_INVALID_AS_NULL, CJ_INVALID_NUMBERS, CJ_SPARSE_CONVERT } from "./json";

/** Run with (internals, encode, decode, null, empty_array); installs package.preload.cjson and cjson.safe. */
export const CJSON = String.raw`
local M, encode, decode, null, empty_array = ...
local type, error, pcall, tostring = type, error, pcall, tostring
local ArrayMarker = M.ArrayMarker
local SPARSE_CONVERT, INVALID_NUMBERS, INVALID_AS_NULL, ESCAPE_SLASH, EMPTY_AS_OBJECT = ${CJ_SPARSE_CONVERT}, ${CJ_INVALID_NUMBERS}, ${CJ_INVALID_AS_NULL}, ${CJ_ESCAPE_SLASH}, ${CJ_EMPTY_AS_OBJECT}

local function on_off(v, name, allow_null)
  if v == "on" then return true elseif v == "off" then return false end
  if allow_null and v == "null" then return "null" end
  if type(v) ~= "boolean" then error("bad argument #1 to '" .. name .. "' (invalid option '" .. tostring(v) .. "')", 3) end
  return v
end
local function int_arg(v, name, lo, hi)
  if type(v) ~= "number" or v % 1 ~= 0 or v < lo or v > hi then
    error("bad argument #1 to '" .. name .. "' (expected integer between " .. lo .. " and " .. hi .. ")", 3)
  end
  return v
end

local function new()
  local c = {
    sparse_convert = false, sparse_ratio = 2, sparse_safe = 10, encode_max_depth = 1000, decode_max_depth = 1000,
    precision = 14, encode_invalid = false, decode_invalid = true, escape_slash = true, empty_as_object = true,
    array_mt_on_decode = false, keep_buffer = true,
  }
  local flags
  local function update()
    flags = (c.sparse_convert and SPARSE_CONVERT or 0) + (c.encode_invalid == true and INVALID_NUMBERS or 0)
      + (c.encode_invalid == "null" and INVALID_AS_NULL or 0) + (c.escape_slash and ESCAPE_SLASH or 0)
      + (c.empty_as_object and EMPTY_AS_OBJECT or 0)
  end
  update()
  local m = {
    _NAME = "cjson", _VERSION = "2.1.0.13", null = null, empty_array = empty_array,
    array_mt = ArrayMarker, empty_array_mt = ArrayMarker,
  }
  function m.encode(value)
    return encode(value, flags, c.sparse_ratio, c.sparse_safe, c.encode_max_depth, c.precision)
  end
  function m.decode(text)
    if type(text) ~= "string" then error("bad argument #1 to 'decode' (string expected, got " .. type(text) .. ")", 2) end
    return decode(text, c.decode_max_depth, c.array_mt_on_decode)
  end
  function m.encode_sparse_array(convert, ratio, safe)
    if convert ~= nil then c.sparse_convert = on_off(convert, "encode_sparse_array") end
    if ratio ~= nil then c.sparse_ratio = int_arg(ratio, "encode_sparse_array", 0, 2147483647) end
    if safe ~= nil then c.sparse_safe = int_arg(safe, "encode_sparse_array", 0, 2147483647) end
    update()
    return c.sparse_convert, c.sparse_ratio, c.sparse_safe
  end
  -- The settings that take one value: each answers the current value, and sets it when given one.
  -- (decode_invalid_numbers is accepted for compatibility: the decoder is strict JSON.)
  for _, setting in ipairs({
    {"encode_max_depth", "encode_max_depth", "int", 1, 2147483647},
    {"decode_max_depth", "decode_max_depth", "int", 1, 2147483647},
    {"encode_number_precision", "precision", "int", 1, 16},
    {"encode_keep_buffer", "keep_buffer", "flag"},
    {"encode_invalid_numbers", "encode_invalid", "flag or null"},
    {"decode_invalid_numbers", "decode_invalid", "flag"},
    {"encode_escape_forward_slash", "escape_slash", "flag"},
    {"encode_empty_table_as_object", "empty_as_object", "flag"},
    {"decode_array_with_array_mt", "array_mt_on_decode", "flag"},
  }) do
    local name, key, kind, lo, hi = setting[1], setting[2], setting[3], setting[4], setting[5]
    m[name] = function(v)
      if v ~= nil then
        if kind == "int" then c[key] = int_arg(v, name, lo, hi) else c[key] = on_off(v, name, kind == "flag or null") end
        update()
      end
      return c[key]
    end
  end
  m.new = new
  return m
end

-- cjson.safe: encode and decode answer nil and the message instead of raising.
local function safe(m)
  local s = {}
  for k, v in pairs(m) do s[k] = v end
  local enc, dec = m.encode, m.decode
  s.encode = function(value)
    local ok, r = pcall(enc, value)
    if ok then return r end
    return nil, r
  end
  s.decode = function(text)
    local ok, r = pcall(dec, text)
    if ok then return r end
    return nil, r
  end
  s.new = function() return safe(new()) end
  return s
end

local cjson = new()
package.preload["cjson"] = function() return cjson end
package.preload["cjson.safe"] = function() return safe(new()) end
`;
