// coroutine.resume and coroutine.wrap on the C API, with lcorolib.c's semantics (auxresume and
// auxwrap of Lua 5.4), so the server knows which coroutines are running: a stop must put its hook
// on the thread a runaway loop runs in, and Lua hooks are per thread (see stop.ts). The list is
// kept in a try/finally around lua_resume, so no error can leave a stale thread in it.
import { LUA_ERRMEM, LUA_OK, LUA_REGISTRYINDEX, LUA_YIELD, LuaType, type LuaRuntime } from "./runtime";
import type { LuaStop } from "./stop";

/** lua_upvalueindex(1): where a wrapped coroutine keeps its thread. */
const UPVALUE_1 = LUA_REGISTRYINDEX - 1;

/** The C functions that replace coroutine.resume and coroutine.wrap in the app's state. */
export function coroutineFunctions(rt: LuaRuntime, stop: LuaStop): { resume: number; wrap: number } {
  const x = rt.x;
  const coroutineName = rt.cstr("coroutine");

  /** Resumes co with the top narg values of l; answers the result count, or -1 with the error on l's top. */
  const auxresume = (l: number, co: number, narg: number): number => {
    // After a stop nothing of the request may start running again.
    if (stop.requested) return stop.raise(l);
    if (x.lua_checkstack(co, narg) === 0) {
      rt.pushString(l, "too many arguments to resume");
      return -1;
    }
    x.lua_xmove(l, co, narg);
    stop.resuming.push(co);
    let status: number;
    try {
      status = x.lua_resume(co, l, narg, rt.lenPtr);
    } finally {
      stop.resuming.pop();
    }
    if (status === LUA_OK || status === LUA_YIELD) {
      const nres = rt.readInt(rt.lenPtr);
      if (x.lua_checkstack(l, nres + 1) === 0) {
        x.lua_settop(co, -nres - 1);
        rt.pushString(l, "too many results to resume");
        return -1;
      }
      x.lua_xmove(co, l, nres);
      return nres;
    }
    x.lua_xmove(co, l, 1);
    return -1;
  };

  const resume = rt.addCFunction((l) => {
    const co = x.lua_tothread(l, 1);
    if (co === 0) return x.luaL_typeerror(l, 1, coroutineName);
    const r = auxresume(l, co, x.lua_gettop(l) - 1);
    if (r < 0) {
      x.lua_pushboolean(l, 0);
      x.lua_rotate(l, -2, 1);
      return 2;
    }
    x.lua_pushboolean(l, 1);
    x.lua_rotate(l, -(r + 1), 1);
    return r + 1;
  });

  const auxwrap = rt.addCFunction((l) => {
    const co = x.lua_tothread(l, UPVALUE_1);
    const r = auxresume(l, co, x.lua_gettop(l));
    if (r >= 0) return r;
    let stat = x.lua_status(co);
    if (stat !== LUA_OK && stat !== LUA_YIELD) {
      // An error in the coroutine: close its to-be-closed variables, take its error object.
      stat = x.lua_resetthread(co);
      x.lua_xmove(co, l, 1);
    }
    if (stat !== LUA_ERRMEM && x.lua_type(l, -1) === LuaType.String) {
      x.luaL_where(l, 1);
      x.lua_rotate(l, -2, 1);
      x.lua_concat(l, 2);
    }
    return x.lua_error(l);
  });

  const wrap = rt.addCFunction((l) => {
    x.luaL_checktype(l, 1, LuaType.Function);
    const co = x.lua_newthread(l);
    x.lua_pushvalue(l, 1);
    x.lua_xmove(l, co, 1);
    x.lua_pushcclosure(l, auxwrap, 1);
    return 1;
  });

  return { resume, wrap };
}
