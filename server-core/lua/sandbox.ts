// What an app may touch on the host and of the server, applied before the app's first line runs (so
// load-time code is held to it too). The sandbox keeps the host (its files, its programs, the worker
// process) and the server's own machinery (the registry, its closures, the watchdog's stop) out of
// an app's reach; what an app does to its own values (globals, metatables, the string metatable) is
// its own business. Decisions, and why:
// - `require` of Lua modules always works: real apps have modules, and reading a .lua file found on
//   the Lua path is what `lua app.lua` would do. C modules cannot load in WebAssembly; the searcher
//   says so and names the file.
// - `io` is a stub unless --allow io: real libraries touch it at load time (Penlight's pl.utils
//   reads io.stdout as it loads), so io.write, io.stdout and io.stderr write to the worker's output;
//   every function that reads or opens a file raises an error saying why. Even --allow io gives
//   only Lua's io over the WebAssembly runtime's in-memory file system, never the host's files.
//   The stub streams hold the real ones in closures, out of reach.
// - `os` keeps time, clock, date, difftime, setlocale and getenv (the real environment); exit,
//   execute, remove, rename and tmpname raise an error unless --allow os.
// - `dofile` and `loadfile` load Lua files of the app's own folder, as text only; `load` takes
//   text only too, and `string.dump` is gone with binary chunks: Lua does not check bytecode, and
//   one damaged byte of a binary chunk can crash the VM.
// - `debug` keeps traceback, getinfo and getlocal (reading the app's own stack), gethook and
//   sethook (refused while the watchdog stops the request: it must not lose its hook), getmetatable
//   and setmetatable (Penlight uses them). getregistry (the original io and os are there), the
//   upvalue functions and setlocal (the server's closures and frames), the user values and
//   debug.debug (standard input) raise an error. getinfo and getlocal never hand out what the
//   sandbox keeps back (the originals its wrappers call, the host functions, the real streams),
//   which a call hook or a __gc finalizer would otherwise meet on the stack.
// - `collectgarbage` keeps collect, count, step and isrunning. stop, restart and the tuning options
//   raise: a stopped collector grows the Lua heap of every worker to --memory-limit, and a wasm heap
//   never shrinks.
// - `coroutine.resume` and `coroutine.wrap` are the host's (coroutines.ts), so the watchdog can stop
//   a loop inside a coroutine; `xpcall` skips the app's message handler once the request is being
//   stopped (Lua runs a message handler with hooks off after an error raised by a hook).
// - `math.random` starts from a seed of the operating system's in each worker (Lua's own default is
//   the same in every worker's WebAssembly heap), and so does `math.randomseed()` without arguments.
// - package.loaded.io, .os and .debug are the sandboxed tables, so they cannot be fetched from there.

/** Run with (allow, host) after the prelude, cjson and rover chunks. */
export const SANDBOX = String.raw`
local allow, host = ...
local real_io, real_os, real_debug = io, os, debug
local real_load, real_dump, real_collect, real_xpcall, real_randomseed = load, string.dump, collectgarbage, xpcall, math.randomseed
local error, setmetatable, getmetatable, select, type, tostring, pairs = error, setmetatable, getmetatable, select, type, tostring, pairs
local sbyte, sfind = string.byte, string.find

if not allow.io then
  local function off(name)
    return function()
      error(name .. " is not available: Moonscope's sandbox keeps handlers off the host's files (serve with --allow io for Lua's io over the worker's in-memory file system)", 2)
    end
  end
  local Stream = {__name = "FILE*"}
  Stream.__index = Stream
  Stream.__tostring = function(self) return "file (" .. self.name .. ")" end
  function Stream:setvbuf() return true end
  function Stream:close() return nil, "cannot close standard file" end
  Stream.read = off("reading a standard stream")
  Stream.lines = off("reading a standard stream")
  Stream.seek = off("seeking a standard stream")
  local function std_stream(real, name)
    local s = setmetatable({name = name}, Stream)
    s.write = function(self, ...) real:write(...); return self end
    s.flush = function(self) real:flush(); return self end
    return s
  end
  local stdout = std_stream(real_io.stdout, "stdout")
  local stderr = std_stream(real_io.stderr, "stderr")
  io = {
    stdout = stdout,
    stderr = stderr,
    write = function(...) return stdout:write(...) end,
    type = function(f) if getmetatable(f) == Stream then return "file" end return nil end,
    read = off("io.read"), open = off("io.open"), lines = off("io.lines"), popen = off("io.popen"),
    input = off("io.input"), output = off("io.output"), close = off("io.close"), tmpfile = off("io.tmpfile"),
  }
end

if not allow.os then
  local function off(name)
    return function()
      error("os." .. name .. " is not available: Moonscope's sandbox keeps handlers from running programs, changing files or ending the worker (serve with --allow os to allow it)", 2)
    end
  end
  os = {
    time = real_os.time, clock = real_os.clock, date = real_os.date, difftime = real_os.difftime,
    setlocale = real_os.setlocale, getenv = host.getenv,
    exit = off("exit"), execute = off("execute"), remove = off("remove"), rename = off("rename"), tmpname = off("tmpname"),
  }
else
  os.getenv = host.getenv
end

do
  local function off(name, why)
    return function()
      error("debug." .. name .. " is not available: Moonscope's sandbox " .. why, 2)
    end
  end
  local INTERNALS = "keeps handlers out of the server's internals"
  local real_sethook = real_debug.sethook
  debug = {
    traceback = real_debug.traceback, getinfo = real_debug.getinfo, getlocal = real_debug.getlocal,
    getmetatable = real_debug.getmetatable, setmetatable = real_debug.setmetatable, gethook = real_debug.gethook,
    sethook = function(...)
      if host.stopping() then error("debug.sethook is not available while the handler is being stopped (it ran past --handler-timeout)", 2) end
      real_sethook(...)
      -- The stop can land between the check and the call, which then takes its hook away: asking
      -- again puts the hook back (host.stopping re-arms a stop that is pending).
      host.stopping()
    end,
    getregistry = off("getregistry", INTERNALS), getupvalue = off("getupvalue", INTERNALS), setupvalue = off("setupvalue", INTERNALS),
    upvalueid = off("upvalueid", INTERNALS), upvaluejoin = off("upvaluejoin", INTERNALS), setlocal = off("setlocal", INTERNALS),
    getuservalue = off("getuservalue", INTERNALS), setuservalue = off("setuservalue", INTERNALS),
    debug = off("debug", "has no standard input to read commands from"),
  }
end

do
  local BINARY = "binary chunks cannot be loaded: Moonscope's sandbox runs Lua source only (Lua does not check bytecode, and a damaged chunk can crash the worker)"
  load = function(chunk, name, mode, ...)
    if type(chunk) == "string" and sbyte(chunk, 1) == 27 then return nil, BINARY end
    if type(mode) == "string" and not sfind(mode, "t", 1, true) then return nil, BINARY end
    -- An env given as nil is not the same as none (the chunk would get a nil _ENV).
    if select("#", ...) > 0 then return real_load(chunk, name, "t", ...) end
    return real_load(chunk, name, "t")
  end
  string.dump = function()
    error("string.dump is not available: Moonscope's sandbox loads no binary chunks, so there is nothing to load its output with", 2)
  end
end

do
  local REFUSED = {stop = true, restart = true, incremental = true, generational = true, setpause = true, setstepmul = true}
  collectgarbage = function(opt, ...)
    if REFUSED[opt] then
      error("collectgarbage(\"" .. tostring(opt) .. "\") is not available: the server owns the collector's settings (a stopped or retuned collector grows every worker's Lua heap toward --memory-limit, and a WebAssembly heap never shrinks)", 2)
    end
    return real_collect(opt, ...)
  end
end

coroutine.resume = host.co_resume
coroutine.wrap = host.co_wrap

do
  -- Lua calls a message handler with hooks off when the error came from a hook, so a handler that
  -- loops could not be stopped: once the request is being stopped, the app's handler is skipped.
  local stopping = host.stopping
  xpcall = function(f, msgh, ...)
    if type(msgh) ~= "function" then return real_xpcall(f, msgh, ...) end
    return real_xpcall(f, function(e)
      if stopping() then return e end
      return msgh(e)
    end, ...)
  end
end

do
  local random_seed = host.random_seed
  real_randomseed(random_seed())
  math.randomseed = function(...)
    if select("#", ...) == 0 then return real_randomseed(random_seed()) end
    return real_randomseed(...)
  end
end

package.loaded.io = io
package.loaded.os = os
package.loaded.debug = debug
package.loadlib = function() return nil, "Moonscope runs Lua in WebAssembly and cannot load C libraries", "absent" end
package.path = host.path
package.cpath = host.cpath
package.searchpath = host.searchpath
package.searchers = {package.searchers[1], host.searcher}

local loadfile_in_app = host.loadfile
loadfile = loadfile_in_app
dofile = function(file)
  if file == nil then error("dofile: reading standard input is not available; pass a file of the app's folder", 2) end
  local fn, err = loadfile_in_app(file)
  if not fn then error(err, 2) end
  return fn()
end

do
  -- The wrappers in this chunk call the originals they replace, and the prelude calls host functions, so a
  -- call hook (debug.sethook) or a __gc finalizer, which runs inside whatever allocated, can meet
  -- them on the stack: the real load (binary chunks), collectgarbage and sethook, the real standard
  -- streams. debug.getinfo and debug.getlocal describe those frames but never hand the values out.
  local hidden = {}
  local real_getinfo, real_getlocal, running = real_debug.getinfo, real_debug.getlocal, coroutine.running
  -- Called through these wrappers, a level of the running thread is one frame further down.
  debug.getinfo = function(...)
    local info
    if type((...)) == "thread" then
      local co, f, what = ...
      if co == running() and type(f) == "number" then f = f + 1 end
      info = real_getinfo(co, f, what)
    else
      local f, what = ...
      if type(f) == "number" then f = f + 1 end
      info = real_getinfo(f, what)
    end
    if info ~= nil and hidden[info.func] then info.func = nil end
    return info
  end
  local function without_hidden(name, ...)
    if select("#", ...) == 0 then return name end
    local value = ...
    if hidden[value] then return name, nil end
    return name, value
  end
  debug.getlocal = function(...)
    if type((...)) == "thread" then
      local co, f, n = ...
      if co == running() and type(f) == "number" then f = f + 1 end
      return without_hidden(real_getlocal(co, f, n))
    end
    local f, n = ...
    if type(f) == "number" then f = f + 1 end
    return without_hidden(real_getlocal(f, n))
  end
  -- Computed once every replacement is in place: what an app can name anyway is not hidden.
  local exposed = {}
  for _, t in pairs({_G, io, os, debug, coroutine, string, math, table, utf8, package, package.searchers}) do
    for _, v in pairs(t) do exposed[v] = true end
  end
  local function hide(v)
    local t = type(v)
    if not exposed[v] and (t == "function" or t == "userdata" or t == "table") then hidden[v] = true end
  end
  for _, t in pairs({real_io, real_os, real_debug, host}) do
    for _, v in pairs(t) do hide(v) end
  end
  for _, v in pairs({real_load, real_dump, real_collect, real_xpcall, real_randomseed, real_io.stdout, real_io.stderr, host}) do hide(v) end
  if io ~= real_io then
    -- The stub streams call the real file's write and flush, whose first argument is the real handle.
    for _, v in pairs(getmetatable(real_io.stdout).__index) do hide(v) end
  end
end
`;
