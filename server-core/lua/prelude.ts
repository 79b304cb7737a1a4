// The Lua side of the handler API, loaded into every worker's state before the app: the `api`
// table (routes, response builders, middleware), `ctx`'s methods, and the route collector.
// Both dialects live here: Moonscope's (ctx.params.id, ctx:json(), api.empty(204)) and Rover's
// (ctx:params().id, ctx:body():json(), api.no_content(), before/after middleware, api.on_error);
// rover.lua.ts adds the `rover` global on top.
//
// Responses are plain arrays {kind, status, body, headers} so the server reads them back with
// lua_rawgeti (integer keys, no string hashing) — one of the few crossings per request.

/** Chunk names of our own Lua code; the sampler shows their functions as "(moonscope ...)". */
export const CHUNK = { prelude: "=moonscope", rover: "=moonscope/rover", cjson: "=moonscope/cjson", sandbox: "=moonscope/sandbox" } as const;

/** Response kinds, shared by the Lua builders below and the serializer in worker.ts. */
export const enum ResponseKind {
  Json = 1,
  Text = 2,
  Empty = 3,
  Html = 4,
  Raw = 5,
}

/**
 * Run with one argument, the host functions (json_decode, request_id); returns the internals
 * table the server and the later chunks use (see LuaInternals in app.ts for the fields it reads).
 */
export const PRELUDE = String.raw`
local setmetatable, getmetatable, rawset, rawget, type, pairs, ipairs, tostring, error, xpcall =
      setmetatable, getmetatable, rawset, rawget, type, pairs, ipairs, tostring, error, xpcall
local lower, byte, concat, math_type = string.lower, string.byte, table.concat, math.type
local debug_traceback = debug.traceback
local host = ...

local JSON, TEXT, EMPTY, HTML, RAW = 1, 2, 3, 4, 5

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
-- A final status: 1xx are interim answers (a 101 would switch protocols under the client), and
-- nothing outside 100..599 is a status at all.
local function check_status(code, level)
  if math_type(code) == nil or code < 200 or code > 599 or code % 1 ~= 0 then
    error("status must be an integer from 200 to 599, got " .. tostring(code), level + 1)
  end
  return code
end

-- Changes the status of an existing response: api.text("gone"):status(410)
function Response:status(code)
  self[2] = check_status(code, 2)
  return self
end

local function response(kind, status, body)
  return setmetatable({kind, status, body}, Response)
end

-- HTML templates (Rover's api.html(data) [[...]] and rover.html): "{{ expr }}" is tostring(expr),
-- not escaped (as in Rover); "{{ if ... then }}", "{{ elseif ... then }}", "{{ else }}", "{{ end }}",
-- "{{ for ... do }}" and "{{ while ... do }}" are Lua control flow. Compiled once per template text.
local template_cache, template_count = {}, 0
local TEMPLATE_GLOBALS = {
  tostring = tostring, tonumber = tonumber, ipairs = ipairs, pairs = pairs, table = table, string = string,
  math = math, type = type, next = next, select = select, unpack = table.unpack, pcall = pcall, error = error,
  rawget = rawget, rawset = rawset, setmetatable = setmetatable, getmetatable = getmetatable,
}
local function is_statement(s)
  return s == "else" or s == "end" or s:match("^if%s.*%sthen$") ~= nil or s:match("^elseif%s.*%sthen$") ~= nil
    or s:match("^for%s.*%sdo$") ~= nil or s:match("^while%s.*%sdo$") ~= nil
end
local function compile_template(tpl)
  local code, pos = {"local _ENV, _out, _tostring, _concat = ...\nlocal _n = 0\n"}, 1
  while true do
    local s, e = tpl:find("{{", pos, true)
    local literal = tpl:sub(pos, (s or 0) - 1)
    if literal ~= "" then code[#code + 1] = "_n = _n + 1; _out[_n] = " .. string.format("%q", literal) .. "\n" end
    if not s then break end
    local cs, ce = tpl:find("}}", e + 1, true)
    if not cs then error("html template: '{{' at character " .. s .. " is never closed with '}}'", 0) end
    local inner = tpl:sub(e + 1, cs - 1):match("^%s*(.-)%s*$")
    if is_statement(inner) then code[#code + 1] = inner .. "\n"
    else code[#code + 1] = "_n = _n + 1; _out[_n] = _tostring(" .. inner .. ")\n" end
    pos = ce + 1
  end
  code[#code + 1] = "return _concat(_out, '', 1, _n)\n"
  local fn, err = load(concat(code), "=html template", "t")
  if not fn then error(err, 0) end
  return fn
end
local function render_template(tpl, data, components)
  if type(tpl) ~= "string" then error("an html template must be a string, got " .. type(tpl), 3) end
  local fn = template_cache[tpl]
  if fn == nil then
    fn = compile_template(tpl)
    if template_count >= 256 then template_cache, template_count = {}, 0 end
    template_cache[tpl] = fn
    template_count = template_count + 1
  end
  local env = setmetatable({}, {__index = function(_, k)
    if components ~= nil and type(k) == "string" and k:sub(1, 2) ~= "__" then
      local c = rawget(components, k)
      if c ~= nil then return c end
    end
    if k == "rover" then return rawget(_G, "rover") end
    local v = data[k]
    if v ~= nil then return v end
    return TEMPLATE_GLOBALS[k]
  end})
  return fn(env, {}, tostring, concat)
end

local html_components = nil   -- rover.html, once the rover chunk made it: components usable in templates
local function html_make(status, x)
  if type(x) == "table" then
    return function(tpl) return response(HTML, status, render_template(tpl, x, html_components)) end
  end
  return response(HTML, status, tostring(x))
end

local function unsupported(what, why)
  return function() error(what .. " is not supported by Moonscope (" .. why .. "); see \"Running an app written for Rover\" in Moonscope's README", 2) end
end

local ArrayMarker = {__name = "moonscope.array"}
local null = setmetatable({}, {__name = "moonscope.null", __tostring = function() return "null" end})

-- The route tree. api.users.p_id.get = ... creates the intermediate namespaces on first use;
-- "before" and "after" under any namespace are middleware lists that keep definition order.
local Namespace, Middleware = {}, {}
local names = setmetatable({}, {__mode = "k"})       -- namespace, builtin or middleware table → "api.users"
local nodes = setmetatable({}, {__mode = "k"})       -- tables whose fields may hold routes: namespaces and builtins
local mw_order = setmetatable({}, {__mode = "k"})    -- middleware table → its names in definition order
local function child_of(parent_name, k)
  local name = parent_name .. "." .. tostring(k)
  local t
  if k == "before" or k == "after" then
    t = setmetatable({}, Middleware)
    mw_order[t] = {}
  else
    t = setmetatable({}, Namespace)
    nodes[t] = true
  end
  names[t] = name
  return t
end
local function node_index(t, k)
  local child = child_of(names[t], k)
  rawset(t, k, child)
  return child
end
Namespace.__index = node_index
Namespace.__call = function(t)
  local name = names[t]
  local last = name:match("[^.]+$")
  local why = (last == "static" or last == "ws") and (" (Rover's api.<path>." .. last .. " is not supported by Moonscope)") or ""
  error(name .. " is a route namespace, not a function" .. why, 2)
end
Middleware.__newindex = function(t, k, v)
  if type(v) ~= "function" then error(names[t] .. "." .. tostring(k) .. " must be a function (middleware)", 2) end
  rawset(t, k, v)
  local order = mw_order[t]
  order[#order + 1] = k
end

-- A builtin (api.json, api.error, ...) is a callable table that is also a namespace, so an app may
-- still have a route named like one: function api.error.get(ctx) ... end is GET /error.
local function builtin(name, call, fields)
  local t = setmetatable(fields or {}, {__call = call, __index = node_index})
  names[t] = "api." .. name
  nodes[t] = true
  return t
end
-- b(...) answers 200; b:status(code, ...) answers code.
local function builder(name, make)
  return builtin(name, function(_, ...) return make(200, ...) end, {status = function(_, code, ...) return make(check_status(code, 2), ...) end})
end
local function redirect_to(code, location) return response(EMPTY, code, nil):header("Location", location) end

local api_root
local builtins = {
  -- api.json(value), api.json:status(201, value); a string is JSON text that is sent as it is
  json = builder("json", function(status, value) return response(JSON, status, value) end),
  -- api.text("plain"), api.text:status(404, "no such note")
  text = builder("text", function(status, s) return response(TEXT, status, tostring(s)) end),
  -- api.html("<h1>hi</h1>"), api.html(data) [[<h1>{{ title }}</h1>]], api.html:status(404, ...)
  html = builder("html", html_make),
  -- api.raw(bytes): no Content-Type is added
  raw = builder("raw", function(status, bytes) return response(RAW, status, tostring(bytes)) end),
  -- api.empty(204): any status with no body
  empty = builtin("empty", function(_, code) return response(EMPTY, check_status(code or 204, 2), nil) end),
  -- Rover's api.no_content() (and api:no_content())
  no_content = builtin("no_content", function() return response(EMPTY, 204, nil) end),
  -- Rover's api:error(401, "Unauthorized") → {"error": "Unauthorized"}; api.error(401, "...") works too
  error = builtin("error", function(_, a, b, c)
    local status, message = a, b
    if a == api_root then status, message = b, c end
    return response(JSON, check_status(status, 2), {error = message ~= nil and tostring(message) or nil})
  end),
  -- api.redirect("/new") is 302, api.redirect("/new", 301) picks the status;
  -- Rover's api.redirect:permanent("/new") is 301, api.redirect:status(307, "/new") any.
  redirect = builtin("redirect", function(_, location, code) return redirect_to(check_status(code or 302, 2), location) end, {
    permanent = function(_, location) return redirect_to(301, location) end,
    status = function(_, code, location) return redirect_to(check_status(code, 2), location) end,
  }),
  -- api.array(t): serialise t as a JSON array even when it is empty
  array = builtin("array", function(_, t) return setmetatable(t or {}, ArrayMarker) end),
  -- api.null: JSON null inside a table (a nil would drop the key)
  null = null,
  stream = builtin("stream", unsupported("api.stream", "streaming responses")),
  stream_with_headers = builtin("stream_with_headers", unsupported("api.stream_with_headers", "streaming responses")),
  sse = builtin("sse", unsupported("api.sse", "server-sent events")),
  idempotent = builtin("idempotent", unsupported("api.idempotent", "idempotency keys")),
}

api = setmetatable({}, {
  __index = function(t, k)
    local b = builtins[k]
    if b ~= nil then return b end
    local child = child_of("api", k)
    rawset(t, k, child)
    return child
  end,
})
api_root = api
names[api] = "api"

-- ctx: the request. Fields are set by the server for each request; these are its methods.
local json_decode, request_id = host.json_decode, host.request_id
local Ctx = {}
Ctx.__index = Ctx
local body_key = "body"
-- ctx:json() decodes the request body (nil when there is none)
function Ctx:json()
  local body = rawget(self, body_key)
  if body == nil or body == "" then return nil end
  return json_decode(body)
end
-- ctx:header("Content-Type"): a header by any case
function Ctx:header(name)
  return self.headers[lower(name)]
end
local STATE, REQUEST_ID = {}, {}
-- Request-scoped state shared by middleware and the handler (Rover's ctx:set/ctx:get).
function Ctx:set(key, value)
  local s = rawget(self, STATE)
  if s == nil then s = {}; rawset(self, STATE, s) end
  s[key] = value
end
function Ctx:get(key)
  local s = rawget(self, STATE)
  if s == nil then return nil end
  return s[key]
end
-- The client's X-Request-ID when it sent a usable one, else an id made here; the same for the whole request.
function Ctx:request_id()
  local id = rawget(self, REQUEST_ID)
  if id == nil then
    id = self.headers["x-request-id"]
    if id == nil or id == "" or #id > 256 then id = request_id() end
    rawset(self, REQUEST_ID, id)
  end
  return id
end
function Ctx:next() end

-- ctx.params, ctx.query and ctx.headers are also callable (Rover's ctx:params(), ctx:query(),
-- ctx:headers()), and headers are found by any case (["User-Agent"] and ["user-agent"]).
local Callable = {__call = function(t) return t end}
local Headers = {
  __call = function(t) return t end,
  __index = function(t, k)
    if type(k) == "string" then
      local l = lower(k)
      if l ~= k then return rawget(t, l) end
    end
    return nil
  end,
}

-- Rover's ctx:body(): a body value with :json(), :text(), :as_string(), :bytes().
local Body = {__name = "rover.body"}
Body.__index = Body
Body.__tostring = function(self) return self[1] end
function Body:json()
  local s = self[1]
  if s == "" then return nil end
  return json_decode(s)
end
function Body:text() return self[1] end
Body.as_string, Body.echo, Body.raw = Body.text, Body.text, Body.json
function Body:bytes()
  local s, out = self[1], {}
  for i = 1, #s, 4096 do
    local chunk = {byte(s, i, i + 4095)}
    for j = 1, #chunk do out[i + j - 1] = chunk[j] end
  end
  return out
end
Body.expect = unsupported("ctx:body():expect", "validation with rover.guard")
Body.form = unsupported("ctx:body():form", "multipart uploads")
Body.file = unsupported("ctx:body():file", "multipart uploads")
Body.files = unsupported("ctx:body():files", "multipart uploads")
Body.multipart = unsupported("ctx:body():multipart", "multipart uploads")
local function rover_body(self)
  return setmetatable({rawget(self, "__body") or ""}, Body)
end

-- An app that calls rover.server {} is a Rover app: its ctx.body is Rover's method, and the raw
-- body moves to a field of its own (the two meanings of ctx.body cannot share one name).
local rover_mode = false
local function set_rover_mode()
  rover_mode = true
  body_key = "__body"
  Ctx.body = rover_body
end

-- The error a stopped handler raises (the watchdog's hook): never handed to api.on_error.
local Stop = setmetatable({}, {__name = "moonscope.stop", __tostring = function() return "handler stopped: it ran longer than its time budget" end})
local MEMORY = "not enough memory"

-- An error caught by api.on_error's wrapper keeps its traceback, so a rethrow logs where it happened.
local Carried = {__tostring = function(self) return tostring(self.err) end}
local function error_text(e)
  if type(e) == "string" then return e end
  local mt = getmetatable(e)
  if mt and mt.__tostring then return tostring(e) end
  if type(e) == "table" and e.message ~= nil then return tostring(e.message) end
  return "(error object is a " .. type(e) .. " value)"
end
local function carry(e)
  if e == Stop or e == MEMORY then return e end
  return setmetatable({err = e, tb = debug_traceback(error_text(e), 2)}, Carried)
end

-- What api.on_error(err) gets: message, status, code and path (Rover's fields), plus the raw error.
local function error_info(e, ctx)
  local info = {path = ctx.path, method = ctx.method, code = "ERROR", error = e}
  if type(e) == "table" and getmetatable(e) == nil then
    info.message = e.message ~= nil and tostring(e.message) or error_text(e)
    info.status = type(e.status) == "number" and e.status or nil
    if e.code ~= nil then info.code = e.code end
  else
    info.message = error_text(e)
  end
  if info.status == nil then
    -- Rover guesses the status from the message; apps that read err.status rely on it.
    local m = info.message
    info.status = m:find("not found", 1, true) and 404 or (m:find("validation", 1, true) or m:find("required", 1, true)) and 400 or 500
  end
  return info
end

-- The function the server calls for a route: the handler itself, or the handler inside its
-- middleware and api.on_error. A before middleware that returns a response answers with it.
local function wrap(handler, befores, afters, on_error)
  local nb, na = #befores, #afters
  if nb == 0 and na == 0 and on_error == nil then return handler end
  local function chain(ctx)
    for i = 1, nb do
      local r = befores[i](ctx)
      if r ~= nil and getmetatable(r) == Response then return r end
    end
    local res = handler(ctx)
    for i = 1, na do afters[i](ctx) end
    return res
  end
  if on_error == nil then return chain end
  return function(ctx)
    local ok, res = xpcall(chain, carry, ctx)
    if ok then return res end
    if res == Stop or res == MEMORY then error(res, 0) end
    local r = on_error(error_info(getmetatable(res) == Carried and res.err or res, ctx))
    if r == nil then error(res, 0) end
    return r
  end
end

local methods = {get = "GET", post = "POST", put = "PUT", patch = "PATCH", delete = "DELETE", head = "HEAD", options = "OPTIONS"}
local function append(list, more)
  if #more == 0 then return list end
  local out = {}
  for i = 1, #list do out[i] = list[i] end
  for i = 1, #more do out[#out + 1] = more[i] end
  return out
end

-- Walks the api tree. Returns the routes as a flat list {method, path, function to call, name,
-- handler, ...} and the named functions (middleware, on_error) as {name, function, ...}.
local function collect_routes()
  local routes, named = {}, {}
  local on_error = rawget(api, "on_error")
  if on_error ~= nil and type(on_error) ~= "function" then error("api.on_error must be a function, got a " .. type(on_error), 0) end
  if on_error ~= nil then named[#named + 1] = "api.on_error"; named[#named + 1] = on_error end
  local function listed(t)
    local list = {}
    if t == nil or getmetatable(t) ~= Middleware then return list end
    for _, k in ipairs(mw_order[t]) do
      local f = rawget(t, k)
      list[#list + 1] = f
      named[#named + 1] = names[t] .. "." .. tostring(k)
      named[#named + 1] = f
    end
    return list
  end
  local walk
  local function visit(tbl, k, v, segments, befores, afters)
    if type(k) ~= "string" then return end
    local m = methods[k]
    if m and type(v) == "function" then
      routes[#routes + 1] = m
      routes[#routes + 1] = "/" .. concat(segments, "/")
      routes[#routes + 1] = wrap(v, befores, afters, on_error)
      routes[#routes + 1] = names[tbl] .. "." .. k
      routes[#routes + 1] = v
    elseif type(v) == "table" and nodes[v] then
      local param = k:match("^p_(.+)$")
      segments[#segments + 1] = param and (":" .. param) or k
      walk(v, segments, befores, afters)
      segments[#segments] = nil
    end
  end
  walk = function(tbl, segments, befores, afters)
    befores = append(befores, listed(rawget(tbl, "before")))
    afters = append(afters, listed(rawget(tbl, "after")))
    for k, v in pairs(tbl) do visit(tbl, k, v, segments, befores, afters) end
    -- Routes named like a builtin (api.error.get) live in the builtin's table.
    if tbl == api then
      for k, v in pairs(builtins) do visit(tbl, k, v, segments, befores, afters) end
    end
  end
  walk(api, {}, {}, {})
  return routes, named
end

-- The message handler of every call the server makes: the error with a Lua traceback.
local function traceback(msg)
  if getmetatable(msg) == Carried then return msg.tb end
  return debug_traceback(error_text(msg), 2)
end

return {
  Ctx = Ctx, Callable = Callable, Headers = Headers, Response = Response, ArrayMarker = ArrayMarker, null = null,
  Stop = Stop, api = api, builtins = builtins, collect_routes = collect_routes, traceback = traceback,
  render_template = render_template, set_rover_mode = set_rover_mode, unsupported = unsupported,
  set_html_components = function(t) html_components = t end,
  is_rover = function() return rover_mode end,
}
`;
