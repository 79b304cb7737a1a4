// The `rover` global, so an app written for Rover (github.com/thalesgelinger/rover) runs as it is:
// rover.server {...} returns the app's api table, rover.env and rover.config read configuration,
// rover.html renders templates. What Moonscope does not run of Rover (validation, databases,
// outbound HTTP, auth, sessions, websockets) fails at its first use with a message saying so.

/** Rover's rover.server options that map to `moonscope serve` options (honoured unless given on the command line). */
export const ROVER_SERVE_OPTIONS = ["host", "port", "body_size_limit"] as const;

/**
 * Run with (internals, host); sets the global `rover` and returns a function the server calls after
 * the app has loaded: it answers the rover.server options as (called, host, port, body_size_limit,
 * "ignored,option,names").
 */
export const ROVER = String.raw`
local M, host = ...
local type, error, pairs, tostring, setmetatable = type, error, pairs, tostring, setmetatable

local rover = {}
local options, called = {}, false

-- local api = rover.server { port = 3000, ... }
function rover.server(opts)
  if opts ~= nil and type(opts) ~= "table" then error("rover.server expects a table of options, got a " .. type(opts), 2) end
  M.set_rover_mode()
  called = true
  if opts ~= nil then
    for k, v in pairs(opts) do options[k] = v end
  end
  return M.api
end

-- rover.env.NAME: the environment (and the app folder's .env file), nil when unset.
rover.env = setmetatable({}, {
  __index = function(_, k)
    if type(k) ~= "string" then return nil end
    return host.getenv(k)
  end,
  __newindex = function(_, k) error("rover.env is read-only (rover.env." .. tostring(k) .. ")", 2) end,
})

-- rover.html(data) [[<h1>{{ title }}</h1>]]; functions stored in rover.html are components.
rover.html = setmetatable({}, {
  __call = function(self, data)
    if data ~= nil and type(data) ~= "table" then error("rover.html expects a table of data, got a " .. type(data), 2) end
    return function(tpl) return M.render_template(tpl, data or {}, self) end
  end,
})
M.set_html_components(rover.html)

rover.config = {
  -- rover.config.load("config.lua"): runs a Lua file of the app's folder and returns its value
  load = function(path)
    if type(path) ~= "string" then error("rover.config.load expects a file path, got a " .. type(path), 2) end
    local fn, err = host.loadfile(path)
    if not fn then error(err, 2) end
    return fn()
  end,
  -- rover.config.from_env("APP"): APP_DB_HOST=x becomes { db = { host = "x" } } (values are strings)
  from_env = function(prefix)
    if type(prefix) ~= "string" or prefix == "" then error("rover.config.from_env expects a prefix such as \"APP\"", 2) end
    local out = {}
    for name, value in pairs(host.env_with_prefix(prefix .. "_")) do
      local parts = {}
      for part in name:sub(#prefix + 2):lower():gmatch("[^_]+") do parts[#parts + 1] = part end
      if #parts > 0 then
        local t = out
        for i = 1, #parts - 1 do
          if type(t[parts[i]]) ~= "table" then t[parts[i]] = {} end
          t = t[parts[i]]
        end
        t[parts[#parts]] = value
      end
    end
    return out
  end,
}

local function not_here(name, why)
  local fail = M.unsupported(name, why)
  return setmetatable({}, {__index = fail, __call = fail, __newindex = fail})
end
for name, why in pairs({
  guard = "validation", db = "databases", http = "outbound HTTP requests", auth = "JWT helpers",
  cookie = "cookie helpers", session = "sessions", ws = "WebSockets",
}) do
  rover[name] = not_here("rover." .. name, why)
end

_G.rover = rover

local honoured = {${ROVER_SERVE_OPTIONS.map((k) => `${k} = true`).join(", ")}}
return function()
  local ignored = {}
  for k in pairs(options) do
    if not honoured[k] then ignored[#ignored + 1] = tostring(k) end
  end
  table.sort(ignored)
  return called, options.host, options.port, options.body_size_limit, table.concat(ignored, ",")
end
`;
