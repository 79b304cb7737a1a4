// What the worker's thread and the stack reader's thread share: the words of the control buffer and
// what the reader is started with.

/** Int32 words of the control buffer. */
export const READER_WORD = {
  /** 1 while a handler runs (written by the worker's thread). */
  running: 0,
  /** Index of the running handler's route in ReaderStart.routes. */
  route: 1,
  /** A command for the reader (READER_CMD), reset by the reader once answered. */
  cmd: 2,
  /** Bumped by the reader after each answer. */
  done: 3,
} as const;
export const READER_WORDS = 4;

export const READER_CMD = { none: 0, take: 1, stop: 2 } as const;

export interface ReaderStart {
  memory: WebAssembly.Memory;
  control: SharedArrayBuffer;
  port: unknown;
  /** The lua_State whose stack is read. */
  L: number;
  intervalMs: number;
  /** "file:line" → handler name, as LuaStackCounts takes them. */
  names: [string, string][];
  routes: string[];
}
