// What an app may touch on the host, applied before the app's first line runs (so load-time code is
// held to it too). Decisions, and why:
// - `require` of Lua modules always works: real apps have modules, and reading a .lua file found on
//   the Lua path is what `lua app.lua` would do. C modules cannot load in WebAssembly; the searcher
//   says so and names the file.
// - `io` is a stub unless --allow io: real libraries touch it at load time (Penlight's pl.utils
//   reads io.stdout as it loads), so io.write, io.stdout and io.stderr write to the worker's output;
//   every function that reads or opens a file raises an error saying why. Even --allow io gives
//   only Lua's io over the WebAssembly runtime's in-memory file system, never the host's files.
// - `os` keeps time, clock, date, difftime, setlocale and getenv (the real environment); exit,
//   execute, remove, rename and tmpname raise an error unless --allow os.
// - `dofile` and `loadfile` load Lua files of the app's own folder, as text only.
// - package.loaded.io and .os are the sandboxed tables, so they cannot be fetched from there.

/** Run with (allow, host) after the prelude, cjson and rover chunks. */
export const SANDBOX = String.raw`
local allow, host = ...
local real_io, real_os = io, os
local error, setmetatable, getmetatable = error, setmetatable, getmetatable

if not allow.io then
  local function off(name)
    return function()
      error(name .. " is not available: Moonscope's sandbox keeps handlers off the host's files (serve with --allow io for Lua's io over the worker's in-memory file system)", 2)
    end
  end
  local Stream = {__name = "FILE*"}
  Stream.__index = Stream
  Stream.__tostring = function(self) return "file (" .. self.name .. ")" end
  function Stream:write(...) self.f:write(...); return self end
  function Stream:flush() self.f:flush(); return self end
  function Stream:setvbuf() return true end
  function Stream:close() return nil, "cannot close standard file" end
  Stream.read = off("reading a standard stream")
  Stream.lines = off("reading a standard stream")
  Stream.seek = off("seeking a standard stream")
  local stdout = setmetatable({f = real_io.stdout, name = "stdout"}, Stream)
  local stderr = setmetatable({f = real_io.stderr, name = "stderr"}, Stream)
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

package.loaded.io = io
package.loaded.os = os
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
`;
