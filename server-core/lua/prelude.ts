// The Lua side of the handler API, loaded into every worker's state before the app.
// Responses are plain arrays {kind, status, body, headers} so the server reads them back with
// lua_rawgeti (integer keys, no string hashing) — one of the few crossings per request.
export const PRELUDE_CHUNK_NAME = "=moonscope";

export const PRELUDE = String.raw`
local setmetatable, getmetatable, rawset, rawget, type, pairs, tostring, error, select =
      setmetatable, getmetatable, rawset, rawget, type, pairs, tostring, error, select

local JSON, TEXT, EMPTY = 1, 2, 3

local Response = {}
Response.__index = Response
Response.__name = "moonscope.response"
-- Adds a response header; returns the response so calls chain: api.json{...}:header("Cache-Control", "no-store")
function Response:header(name, value)
  if type(name) ~= "string" or name == "" then error("header name must be a non-empty string", 2) end
  local h = self[4]
  if h == nil then h = {}; self[4] = h end
  h[#h + 1] = name
  h[#h + 1] = tostring(value)
  return self
end
-- Changes the status of an existing response: api.text("gone"):status(410)
function Response:status(code)
  self[2] = code
  return self
end

local function check_status(code, level)
  if type(code) ~= "number" or code < 100 or code > 999 or code % 1 ~= 0 then
    error("status must be an integer between 100 and 999, got " .. tostring(code), level + 1)
  end
  return code
end

local json = setmetatable({}, {
  __call = function(_, value) return setmetatable({JSON, 200, value}, Response) end,
})
-- api.json:status(201, value)
function json:status(code, value) return setmetatable({JSON, check_status(code, 2), value}, Response) end

local text = setmetatable({}, {
  __call = function(_, s) return setmetatable({TEXT, 200, tostring(s)}, Response) end,
})
-- api.text:status(404, "no such note")
function text:status(code, s) return setmetatable({TEXT, check_status(code, 2), tostring(s)}, Response) end

local ArrayMarker = {__name = "moonscope.array"}

local builtins = {
  json = json,
  text = text,
  -- api.empty(204): any status with no body
  empty = function(code) return setmetatable({EMPTY, check_status(code or 204, 2)}, Response) end,
  -- api.redirect("/new", 301)
  redirect = function(location, code)
    return setmetatable({EMPTY, check_status(code or 302, 2), nil, {"Location", tostring(location)}}, Response)
  end,
  -- api.array(t): serialise t as a JSON array even when it is empty
  array = function(t) return setmetatable(t or {}, ArrayMarker) end,
  -- api.null: JSON null inside a table (a nil would drop the key)
  null = setmetatable({}, {__name = "moonscope.null", __tostring = function() return "null" end}),
}

local Namespace = {}
local function namespace()
  return setmetatable({}, Namespace)
end
-- api.users.p_id.get = ... creates the intermediate tables on first use.
Namespace.__index = function(t, k)
  local child = namespace()
  rawset(t, k, child)
  return child
end

api = setmetatable({}, {
  __index = function(t, k)
    local b = builtins[k]
    if b ~= nil then return b end
    local child = namespace()
    rawset(t, k, child)
    return child
  end,
})

-- ctx:json() decodes the request body; the decoder lives in JS (__moonscope_json_decode).
local json_decode = __moonscope_json_decode
__moonscope_json_decode = nil
local Ctx = {}
Ctx.__index = Ctx
function Ctx:json()
  local body = rawget(self, "body")
  if body == nil or body == "" then return nil end
  return json_decode(body)
end
-- ctx:header("content-type"): case-insensitive lookup
function Ctx:header(name)
  return self.headers[string.lower(name)]
end

local methods = {get = "GET", post = "POST", put = "PUT", patch = "PATCH", delete = "DELETE", head = "HEAD", options = "OPTIONS"}

-- Walks the api tree and returns {method, path, function, name, ...} for the server to register.
local function collect_routes()
  local out = {}
  local function walk(tbl, segments, names)
    for k, v in pairs(tbl) do
      if type(k) == "string" then
        local m = methods[k]
        if m and type(v) == "function" then
          local path = "/" .. table.concat(segments, "/")
          out[#out + 1] = m
          out[#out + 1] = path
          out[#out + 1] = v
          out[#out + 1] = "api" .. (#names > 0 and ("." .. table.concat(names, ".")) or "") .. "." .. k
        elseif type(v) == "table" and getmetatable(v) == Namespace then
          local seg = k
          local param = k:match("^p_(.+)$")
          if param then seg = ":" .. param end
          segments[#segments + 1] = seg
          names[#names + 1] = k
          walk(v, segments, names)
          segments[#segments] = nil
          names[#names] = nil
        end
      end
    end
  end
  walk(api, {}, {})
  return out
end

local function traceback(msg)
  if type(msg) ~= "string" then
    local mt = getmetatable(msg)
    if mt and mt.__tostring then msg = tostring(msg) else msg = "(error object is a " .. type(msg) .. " value)" end
  end
  return debug.traceback(msg, 2)
end

return Ctx, collect_routes, traceback, ArrayMarker, builtins.null, Response
`;

/** Run after the app has loaded: keeps what handlers may use, removes what would let them touch the host. */
export const SANDBOX = String.raw`
local allow = ...
if not allow.io then io = nil end
if not allow.os then
  os = {time = os.time, clock = os.clock, date = os.date, difftime = os.difftime, getenv = os.getenv}
end
if not allow.require then
  require = nil
  package = nil
end
dofile = nil
loadfile = nil
`;
