// Lua's wasm memory made shared, so the stack reader's thread can read the heap the worker's thread
// runs on (stack-reader.ts). wasmoon's module defines its own memory (not imported), so the module's
// bytes are edited: the memory's limits flag goes from "has a maximum" (0x01) to "shared, has a
// maximum" (0x03). Plain loads and stores are valid on a shared memory and compile to the same code
// (measured: no difference in handler time), and a shared memory grows in place.

/** A copy of the module with its one defined memory shared, or null if the module is not shaped so (then nothing changes). */
export function withSharedMemory(module: Uint8Array): Uint8Array | null {
  if (module.length < 8 || module[0] !== 0 || module[1] !== 0x61 || module[2] !== 0x73 || module[3] !== 0x6d) return null;
  let p = 8;
  const leb = (): number => {
    let r = 0;
    let shift = 0;
    let c: number;
    do {
      if (p >= module.length) throw new RangeError("truncated");
      c = module[p++];
      r |= (c & 0x7f) << shift;
      shift += 7;
    } while (c & 0x80 && shift < 35);
    return r >>> 0;
  };
  try {
    while (p < module.length) {
      const id = module[p++];
      const size = leb();
      const start = p;
      if (id === 5) {
        if (leb() !== 1) return null;
        const flags = module[p];
        if (flags === 0x03) return module;
        if (flags !== 0x01) return null;
        const copy = module.slice();
        copy[p] = 0x03;
        return copy;
      }
      p = start + size;
    }
  } catch {
    return null;
  }
  return null;
}
