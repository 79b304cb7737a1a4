// Reading a Lua call stack straight out of the wasm heap, without calling into Lua: the stack
// reader's thread does this while the worker's thread runs the handler (stack-reader.ts), so the
// worker is never interrupted. The other thread writes the heap as we read it, so every pointer is
// checked against the heap's bounds and every object against its type tag, and a stack that does
// not hold together (a CallInfo being linked in, a frame being popped) is reported as torn and
// dropped rather than guessed at.
//
// Names follow lua_getinfo's "n": a function is named by the instruction that called it (global
// "fib", method "get", field "util.sum"), found by the same symbolic execution ldebug.c does.
import {
  ABSLINEINFO,
  ABSLINEINFO_MARK,
  CALL_INFO,
  CIST,
  CLOSURE,
  LOCVAR,
  LUA_STATE,
  MAX_INSTRUCTIONS_WITHOUT_ABS,
  OP,
  OP_METAMETHOD,
  OPS_NOT_SETTING_A,
  PROTO,
  TAG,
  TM_NAMES,
  TSTRING,
  TVALUE,
  UPVALDESC,
  argA,
  argAx,
  argB,
  argBx,
  argC,
  argK,
  argSJ,
  opcode,
} from "./lua-layout";

const MAX_DEPTH = 64;
/** Instructions the name search reads at most (findsetreg walks the function from its start). */
const MAX_CODE = 1 << 20;

/** One frame as read: a Lua function (its Proto and where it stands) or a C function. */
export interface RawFrame {
  lua: boolean;
  /** Proto address (Lua) or the C function's table index (C). */
  fn: number;
  /** Index of the instruction running (Lua: -1 before the first; C: -1). */
  pc: number;
  callstatus: number;
}

/** What a Proto says about itself. */
export interface ProtoInfo {
  source: string;
  linedefined: number;
}

/** The heap as typed views; the owner replaces them when the memory grows. */
export interface HeapViews {
  u8: Uint8Array;
  i32: Int32Array;
}

/**
 * What was worked out for one instruction of one Proto (its line, its call site's name): the
 * bytes it is read from do not change while the Proto lives. Bounded, since Protos come and go.
 */
class PcMemo<V> {
  private readonly map = new Map<number, V>();
  get(p: number, pc: number): V | undefined {
    return this.map.get(p * MAX_CODE + pc);
  }
  /** Drops what was kept for Proto p (its address now holds another Proto). pc may be -1: no saved pc yet. */
  forget(p: number): void {
    for (const k of this.map.keys()) if (Math.floor((k + 1) / MAX_CODE) === p) this.map.delete(k);
  }
  /** Keeps v and returns it. */
  set(p: number, pc: number, v: V): V {
    if (this.map.size > 100_000) this.map.clear();
    this.map.set(p * MAX_CODE + pc, v);
    return v;
  }
}

export class HeapWalker {
  private views: () => HeapViews;
  private u8!: Uint8Array;
  private i32!: Int32Array;
  private buf!: Buffer;
  private readonly protos = new Map<number, { sourceP: number; linedefined: number; info: ProtoInfo }>();
  private readonly lines = new PcMemo<number>();
  private readonly callNames = new PcMemo<string | null>();
  /** Read-only scratch for one walk (leaf first). */
  readonly frames: RawFrame[] = [];

  constructor(views: () => HeapViews) {
    this.views = views;
    this.refresh();
  }

  refresh(): void {
    const v = this.views();
    if (v.u8 === this.u8) return;
    this.u8 = v.u8;
    this.i32 = v.i32;
    this.buf = Buffer.from(v.u8.buffer, v.u8.byteOffset, v.u8.byteLength);
  }

  /** p .. p+size lies in the heap (the heap may have grown since the views were made). */
  private range(p: number, size: number): boolean {
    if (p <= 0 || size < 0) return false;
    if (p + size <= this.u8.length) return true;
    this.refresh();
    return p + size <= this.u8.length;
  }
  /** A struct at p: in the heap and word-aligned. */
  private ptr(p: number, size: number): boolean {
    return (p & 3) === 0 && this.range(p, size);
  }
  private word(p: number): number {
    return this.i32[p >> 2];
  }
  private u16(p: number): number {
    return this.u8[p] | (this.u8[p + 1] << 8);
  }

  /**
   * Reads L's call stack into `frames`, deepest first, down to (not including) the base CallInfo.
   * Returns the number of frames, or -1 if the stack changed under the read (torn).
   */
  walk(L: number): number {
    const out = this.frames;
    let n = 0;
    if (!this.ptr(L, LUA_STATE.baseCi + 36)) return -1;
    const base = L + LUA_STATE.baseCi;
    let ci = this.word(L + LUA_STATE.ci);
    while (ci !== base && n < MAX_DEPTH) {
      if (!this.ptr(ci, 36)) return -1;
      const prev = this.word(ci + CALL_INFO.previous);
      // A CallInfo being linked in or out: its neighbour does not point back at it.
      if (!this.ptr(prev, 36) || this.word(prev + CALL_INFO.next) !== ci) return -1;
      const slot = this.word(ci + CALL_INFO.func);
      if (!this.ptr(slot, TVALUE.size)) return -1;
      const tag = this.u8[slot + TVALUE.tag];
      const value = this.word(slot + TVALUE.value);
      const callstatus = this.u16(ci + CALL_INFO.callstatus);
      const f = out[n] ?? (out[n] = { lua: false, fn: 0, pc: -1, callstatus: 0 });
      f.callstatus = callstatus;
      if (tag === TAG.luaClosure) {
        if (!this.ptr(value, 16) || this.u8[value + CLOSURE.tt] !== TAG.luaClosureHeader) return -1;
        const proto = this.word(value + CLOSURE.proto);
        if (!this.ptr(proto, PROTO.source + 4) || this.u8[proto + PROTO.tt] !== TAG.protoHeader) return -1;
        const code = this.word(proto + PROTO.code);
        const pc = ((this.word(ci + CALL_INFO.savedpc) - code) >> 2) - 1;
        f.lua = true;
        f.fn = proto;
        // -1: not started (savedpc at the first instruction), which lua_getinfo reports as the definition line.
        f.pc = pc >= -1 && pc < this.word(proto + PROTO.sizecode) ? pc : -1;
        // A frame with a callee has run up to the instruction that called it. One that reads as not
        // started is a CallInfo the VM reused while this walk read it: the frames read before it
        // had returned, and a caller with no call site named the frame above it "(anonymous)".
        if (n > 0 && f.pc === -1 && !(callstatus & CIST.HOOKED)) return -1;
      } else if (tag === TAG.lightCFunction) {
        f.lua = false;
        f.fn = value;
        f.pc = -1;
      } else if (tag === TAG.cClosure) {
        if (!this.ptr(value, 16) || this.u8[value + CLOSURE.tt] !== TAG.cClosureHeader) return -1;
        f.lua = false;
        f.fn = this.word(value + CLOSURE.cfunc);
        f.pc = -1;
      } else {
        return -1;
      }
      n++;
      ci = prev;
    }
    return ci === base ? n : -1;
  }

  /** Source and first line of a Proto (cached; re-checked on every call, since a collected Proto's memory can be reused). */
  proto(p: number): ProtoInfo | null {
    const sourceP = this.word(p + PROTO.source);
    const linedefined = this.word(p + PROTO.linedefined);
    const hit = this.protos.get(p);
    if (hit && hit.sourceP === sourceP && hit.linedefined === linedefined) return hit.info;
    const source = this.tstring(sourceP);
    if (source === null) return null;
    const info = { source, linedefined };
    this.protos.set(p, { sourceP, linedefined, info });
    if (hit) this.forget(p);
    return info;
  }

  private forget(p: number): void {
    this.lines.forget(p);
    this.callNames.forget(p);
  }

  /** A TString's text, or null if p is not one. */
  tstring(p: number): string | null {
    if (!this.ptr(p, TSTRING.contents)) return null;
    const tt = this.u8[p + TSTRING.tt];
    let len: number;
    if (tt === TAG.shortString) len = this.u8[p + TSTRING.shrlen];
    else if (tt === TAG.longString) len = this.word(p + TSTRING.lnglen);
    else return null;
    const start = p + TSTRING.contents;
    if (len < 0 || len > 4096 || !this.range(start, len)) return null;
    return this.buf.toString("utf8", start, start + len);
  }

  /** The line of instruction pc (luaG_getfuncline), or 0 without line information. */
  line(p: number, pc: number): number {
    return this.lines.get(p, pc) ?? this.lines.set(p, pc, this.computeLine(p, pc));
  }

  private computeLine(p: number, pc: number): number {
    const lineinfo = this.word(p + PROTO.lineinfo);
    const sizelineinfo = this.word(p + PROTO.sizelineinfo);
    if (lineinfo === 0 || pc >= sizelineinfo || !this.range(lineinfo, sizelineinfo)) return 0;
    const nabs = this.word(p + PROTO.sizeabslineinfo);
    const abs = this.word(p + PROTO.abslineinfo);
    let basepc = -1;
    let line = this.word(p + PROTO.linedefined);
    if (nabs > 0 && this.ptr(abs, nabs * ABSLINEINFO.size) && pc >= this.word(abs + ABSLINEINFO.pc)) {
      let i = Math.max(0, Math.floor(pc / MAX_INSTRUCTIONS_WITHOUT_ABS) - 1);
      while (i + 1 < nabs && pc >= this.word(abs + (i + 1) * ABSLINEINFO.size + ABSLINEINFO.pc)) i++;
      basepc = this.word(abs + i * ABSLINEINFO.size + ABSLINEINFO.pc);
      line = this.word(abs + i * ABSLINEINFO.size + ABSLINEINFO.line);
    }
    while (basepc++ < pc) {
      const d = (this.u8[lineinfo + basepc] << 24) >> 24;
      if (d === ABSLINEINFO_MARK) return 0;
      line += d;
    }
    return line;
  }

  /**
   * The name a Lua caller gives the function it calls at instruction pc (funcnamefromcode):
   * "fib", "get", "index" for an __index metamethod, "for iterator"; null when the code does not say.
   */
  callSiteName(p: number, pc: number): string | null {
    const hit = this.callNames.get(p, pc);
    return hit !== undefined ? hit : this.callNames.set(p, pc, this.computeCallSiteName(p, pc));
  }

  private instruction(p: number, pc: number): number {
    return this.word(this.word(p + PROTO.code) + pc * 4);
  }

  private computeCallSiteName(p: number, pc: number): string | null {
    const sizecode = this.word(p + PROTO.sizecode);
    if (pc < 0 || pc >= sizecode || sizecode > MAX_CODE || !this.ptr(this.word(p + PROTO.code), sizecode * 4)) return null;
    const i = this.instruction(p, pc);
    const op = opcode(i);
    let tm: number;
    switch (op) {
      case OP.CALL:
      case OP.TAILCALL:
        return this.objectName(p, pc, argA(i));
      case OP.TFORCALL:
        return "for iterator";
      case OP.MMBIN:
      case OP.MMBINI:
      case OP.MMBINK:
        tm = argC(i);
        break;
      default: {
        const known = OP_METAMETHOD.get(op);
        if (known === undefined) return null;
        tm = known;
      }
    }
    return TM_NAMES[tm] ?? null;
  }

  /** getobjname: the name of the value register reg holds at lastpc, or null. */
  private objectName(p: number, lastpc: number, reg: number, depth = 0): string | null {
    const local = this.localName(p, reg + 1, lastpc);
    if (local !== null) return local;
    const pc = this.findSetReg(p, lastpc, reg);
    if (pc === -1) return null;
    const i = this.instruction(p, pc);
    switch (opcode(i)) {
      case OP.MOVE: {
        const b = argB(i);
        return b < argA(i) && depth < 16 ? this.objectName(p, pc, b, depth + 1) : null;
      }
      case OP.GETTABUP:
      case OP.GETFIELD:
        return this.constantName(p, argC(i));
      case OP.GETTABLE:
        return this.registerName(p, pc, argC(i), depth);
      case OP.GETI:
        return "integer index";
      case OP.GETUPVAL:
        return this.upvalueName(p, argB(i));
      case OP.LOADK:
      case OP.LOADKX: {
        const k = opcode(i) === OP.LOADK ? argBx(i) : argAx(this.instruction(p, pc + 1));
        return this.constantString(p, k);
      }
      case OP.SELF:
        return argK(i) ? this.constantName(p, argC(i)) : this.registerName(p, pc, argC(i), depth);
      default:
        return null;
    }
  }

  /** kname: a string constant, else "?". */
  private constantName(p: number, k: number): string {
    return this.constantString(p, k) ?? "?";
  }

  /** rname: a register holding a constant string, else "?". */
  private registerName(p: number, pc: number, reg: number, depth: number): string {
    if (depth >= 16) return "?";
    // Only a name that came from a constant counts ("constant" in getobjname): a local's or a global's name would mislead.
    const local = this.localName(p, reg + 1, pc);
    if (local !== null) return "?";
    const setter = this.findSetReg(p, pc, reg);
    if (setter === -1) return "?";
    const i = this.instruction(p, setter);
    if (opcode(i) === OP.LOADK || opcode(i) === OP.LOADKX) {
      const k = opcode(i) === OP.LOADK ? argBx(i) : argAx(this.instruction(p, setter + 1));
      return this.constantString(p, k) ?? "?";
    }
    if (opcode(i) === OP.MOVE && argB(i) < argA(i)) return this.registerName(p, setter, argB(i), depth + 1);
    return "?";
  }

  private constantString(p: number, k: number): string | null {
    if (k < 0 || k >= this.word(p + PROTO.sizek)) return null;
    const slot = this.word(p + PROTO.k) + k * TVALUE.size;
    if (!this.ptr(slot, TVALUE.size)) return null;
    const tag = this.u8[slot + TVALUE.tag] & 0x3f;
    if (tag !== TAG.shortString && tag !== TAG.longString) return null;
    return this.tstring(this.word(slot + TVALUE.value));
  }

  private upvalueName(p: number, n: number): string {
    if (n >= this.word(p + PROTO.sizeupvalues)) return "?";
    const uv = this.word(p + PROTO.upvalues) + n * UPVALDESC.size;
    if (!this.ptr(uv, UPVALDESC.size)) return "?";
    const name = this.word(uv + UPVALDESC.name);
    return name === 0 ? "?" : (this.tstring(name) ?? "?");
  }

  /** luaF_getlocalname: the n-th active local at pc (1-based), or null. */
  private localName(p: number, n: number, pc: number): string | null {
    const size = this.word(p + PROTO.sizelocvars);
    const vars = this.word(p + PROTO.locvars);
    if (size <= 0 || !this.ptr(vars, size * LOCVAR.size)) return null;
    for (let i = 0; i < size && this.word(vars + i * LOCVAR.size + LOCVAR.startpc) <= pc; i++) {
      if (pc < this.word(vars + i * LOCVAR.size + LOCVAR.endpc)) {
        n--;
        if (n === 0) return this.tstring(this.word(vars + i * LOCVAR.size + LOCVAR.varname));
      }
    }
    return null;
  }

  /** findsetreg: the last instruction before lastpc that surely set reg, or -1. */
  private findSetReg(p: number, lastpc: number, reg: number): number {
    const op0 = opcode(this.instruction(p, lastpc));
    if (op0 === OP.MMBIN || op0 === OP.MMBINI || op0 === OP.MMBINK) lastpc--;
    let setreg = -1;
    let jmptarget = 0;
    for (let pc = 0; pc < lastpc; pc++) {
      const i = this.instruction(p, pc);
      const op = opcode(i);
      const a = argA(i);
      let change: boolean;
      switch (op) {
        case OP.LOADNIL:
          change = a <= reg && reg <= a + argB(i);
          break;
        case OP.TFORCALL:
          change = reg >= a + 2;
          break;
        case OP.CALL:
        case OP.TAILCALL:
          change = reg >= a;
          break;
        case OP.JMP: {
          const dest = pc + 1 + argSJ(i);
          if (dest <= lastpc && dest > jmptarget) jmptarget = dest;
          change = false;
          break;
        }
        default:
          change = !OPS_NOT_SETTING_A.has(op) && reg === a;
      }
      if (change) setreg = pc < jmptarget ? -1 : pc;
    }
    return setreg;
  }

  /** The name lua_getinfo "n" gives the frame at index i of the last walk (its caller is at i + 1). */
  frameName(i: number, n: number): string | null {
    const f = this.frames[i];
    if (f.callstatus & CIST.TAIL || i + 1 >= n) return null;
    const caller = this.frames[i + 1];
    if (caller.callstatus & CIST.HOOKED) return "?";
    if (caller.callstatus & CIST.FIN) return "__gc";
    return caller.lua ? this.callSiteName(caller.fn, caller.pc) : null;
  }
}
