// Where Lua 5.4 keeps a call stack, in wasmoon's wasm32 build: byte offsets of the structs the
// heap walk reads (lstate.h, lobject.h, lfunc.h), their type tags, and the instruction format
// (lopcodes.h). Pointers are 4 bytes, a TValue 16 (an 8-byte Value, its tag, padding).
// heap-walk.test.ts and the self-check at every sampler start hold these against lua_getinfo, so a
// wasmoon built from another Lua release fails loudly instead of sampling garbage.

export const LUA_STATE = { ci: 20, baseCi: 52 } as const;
export const CALL_INFO = { func: 0, previous: 8, next: 12, savedpc: 16, callstatus: 34 } as const;
/** CallInfo.callstatus bits. */
export const CIST = { C: 1 << 1, HOOKED: 1 << 3, TAIL: 1 << 5, FIN: 1 << 7 } as const;
/** A stack slot (TValue): the value (a GC pointer or a C function index), then its tag byte. */
export const TVALUE = { value: 0, tag: 8, size: 16 } as const;
/** Closures: the Proto of a Lua closure, the function of a C closure (same offset). */
export const CLOSURE = { tt: 4, proto: 12, cfunc: 12 } as const;
export const PROTO = {
  tt: 4,
  sizeupvalues: 12,
  sizek: 16,
  sizecode: 20,
  sizelineinfo: 24,
  sizelocvars: 32,
  sizeabslineinfo: 36,
  linedefined: 40,
  k: 48,
  code: 52,
  upvalues: 60,
  lineinfo: 64,
  abslineinfo: 68,
  locvars: 72,
  source: 76,
} as const;
/** TString: its tag, the short string's length byte, the long string's length, the bytes. */
export const TSTRING = { tt: 4, shrlen: 7, lnglen: 12, contents: 16 } as const;
/** LocVar {varname, startpc, endpc}, Upvaldesc {name, ...}, AbsLineInfo {pc, line}. */
export const LOCVAR = { varname: 0, startpc: 4, endpc: 8, size: 12 } as const;
export const UPVALDESC = { name: 0, size: 8 } as const;
export const ABSLINEINFO = { pc: 0, line: 4, size: 8 } as const;
/** lineinfo's marker for "see abslineinfo", and how often an absolute line is stored (MAXIWTHABS). */
export const ABSLINEINFO_MARK = -0x80;
export const MAX_INSTRUCTIONS_WITHOUT_ABS = 128;

/** Type tags as stored: in a TValue with the collectable bit (0x40), in a GC header without. */
export const TAG = {
  luaClosure: 0x46,
  lightCFunction: 0x16,
  cClosure: 0x66,
  shortString: 0x04,
  longString: 0x14,
  luaClosureHeader: 0x06,
  cClosureHeader: 0x26,
  protoHeader: 0x0a,
} as const;

/** Opcodes the name search looks at (lopcodes.h order). */
export const OP = {
  MOVE: 0,
  LOADK: 3,
  LOADKX: 4,
  LOADNIL: 8,
  GETUPVAL: 9,
  GETTABUP: 11,
  GETTABLE: 12,
  GETI: 13,
  GETFIELD: 14,
  SETTABUP: 15,
  SETTABLE: 16,
  SETI: 17,
  SETFIELD: 18,
  SELF: 20,
  MMBIN: 46,
  MMBINI: 47,
  MMBINK: 48,
  UNM: 49,
  BNOT: 50,
  LEN: 52,
  CONCAT: 53,
  CLOSE: 54,
  JMP: 56,
  EQ: 57,
  LT: 58,
  LE: 59,
  LTI: 62,
  LEI: 63,
  GTI: 64,
  GEI: 65,
  CALL: 68,
  TAILCALL: 69,
  RETURN: 70,
  TFORCALL: 76,
  EXTRAARG: 82,
} as const;

/** Opcodes that do not set register A (testAMode false in lopcodes.c); every other one does. */
export const OPS_NOT_SETTING_A: ReadonlySet<number> = new Set([10, 15, 16, 17, 18, 46, 47, 48, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63, 64, 65, 66, 70, 71, 72, 75, 76, 78, 82]);

/** Metamethod names by TMS order (ltm.h), without the "__". */
export const TM_NAMES = ["index", "newindex", "gc", "mode", "len", "eq", "add", "sub", "mul", "mod", "pow", "div", "idiv", "band", "bor", "bxor", "shl", "shr", "unm", "bnot", "lt", "le", "concat", "call", "close"] as const;

/** The metamethod (index into TM_NAMES) an instruction can call, for those that name it by opcode alone (funcnamefromcode). */
export const OP_METAMETHOD: ReadonlyMap<number, number> = new Map([
  ...[OP.SELF, OP.GETTABUP, OP.GETTABLE, OP.GETI, OP.GETFIELD].map((op) => [op, 0] as const),
  ...[OP.SETTABUP, OP.SETTABLE, OP.SETI, OP.SETFIELD].map((op) => [op, 1] as const),
  [OP.UNM, 18],
  [OP.BNOT, 19],
  [OP.LEN, 4],
  [OP.CONCAT, 22],
  [OP.EQ, 5],
  ...[OP.LT, OP.LTI, OP.GTI].map((op) => [op, 20] as const),
  ...[OP.LE, OP.LEI, OP.GEI].map((op) => [op, 21] as const),
  [OP.CLOSE, 24],
  [OP.RETURN, 24],
]);

/** Instruction fields: op 7 bits, A 8, k 1, B 8, C 8; Bx 17 above A; sJ 25 above op, excess-K. */
export const opcode = (i: number): number => i & 0x7f;
export const argA = (i: number): number => (i >>> 7) & 0xff;
export const argK = (i: number): number => (i >>> 15) & 1;
export const argB = (i: number): number => (i >>> 16) & 0xff;
export const argC = (i: number): number => (i >>> 24) & 0xff;
export const argBx = (i: number): number => i >>> 15;
export const argAx = (i: number): number => i >>> 7;
export const argSJ = (i: number): number => (i >>> 7) - ((1 << 24) - 1);
