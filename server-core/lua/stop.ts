// Stopping one request's Lua code when the watchdog says it ran past its budget (see watchdog.ts).
//
// Lua's hooks belong to one thread (lua_State) each, and lua_sethook is the only call that may be
// made from an interrupt. So the stop is a count hook put on every thread that may be running the
// request's code: the main thread and every coroutine being resumed at that moment (the host's
// coroutine.resume and coroutine.wrap keep that list, see coroutines.ts). The hook raises the
// prelude's Stop value at every Lua instruction until the request is over, so no pcall, xpcall,
// error handler or loop around them can swallow it: the first instruction after a catch raises it
// again. The one Lua call that could take the hook away, debug.sethook, is refused while a stop is
// pending and puts the hook back after its real call (sandbox.ts), in case the stop landed between
// the two. A coroutine created afterwards inherits the hook from the thread that creates it, and one
// resumed afterwards is refused. What a hook cannot reach is a long C call (a pathological string
// pattern) or a __gc finalizer (Lua runs finalizers with hooks off); for those the watchdog kills
// the worker a second later, and the master starts another.
import { LUA_MASKCOUNT, LUA_REGISTRYINDEX, big, type LuaRuntime } from "./runtime";

export class LuaStop {
  /** Set from the watchdog's interrupt; stays set until the request is over (clear()). */
  requested = false;
  /** lua_States being resumed right now through coroutine.resume/wrap, outermost first. */
  readonly resuming: number[] = [];
  private readonly rt: LuaRuntime;
  private readonly L: number;
  private readonly refs: { readonly stopRef: number };
  private readonly hookFn: number;

  /** refs.stopRef is read when a stop happens (the prelude that makes Stop runs after this is built). */
  constructor(rt: LuaRuntime, L: number, refs: { readonly stopRef: number }) {
    this.rt = rt;
    this.L = L;
    this.refs = refs;
    this.hookFn = rt.addHookFunction((l) => {
      this.raise(l);
    });
  }

  /** From the interrupt: from the next instruction on, every thread of the request raises Stop. */
  request(): void {
    this.requested = true;
    const x = this.rt.x;
    x.lua_sethook(this.L, this.hookFn, LUA_MASKCOUNT, 1);
    for (const co of this.resuming) x.lua_sethook(co, this.hookFn, LUA_MASKCOUNT, 1);
  }

  /** After the request: the main thread's hook off (the stopped coroutines are dead), the flag down. */
  clear(): void {
    this.rt.x.lua_sethook(this.L, 0, 0, 0);
    this.requested = false;
  }

  /** Raises Stop in thread l (does not return: lua_error unwinds through the caller). */
  raise(l: number): number {
    this.rt.x.lua_rawgeti(l, LUA_REGISTRYINDEX, big(this.refs.stopRef));
    return this.rt.x.lua_error(l);
  }
}
