// Reads the minimum size (in pages) that a module's imported memory
// declares, so the loader can create a memory at least that large (the
// module's static data, string constants included, must fit in it).

function readLeb(bytes: Uint8Array, pos: { i: number }): number {
  let result = 0;
  let shift = 0;
  for (;;) {
    const b = bytes[pos.i++];
    if (b === undefined) throw new Error('truncated wasm module');
    result += (b & 0x7f) * 2 ** shift;
    if ((b & 0x80) === 0) return result;
    shift += 7;
  }
}

function skipName(bytes: Uint8Array, pos: { i: number }): void {
  const len = readLeb(bytes, pos);
  pos.i += len;
}

/** Minimum pages of the `env.memory` import, or 0 when the module imports no memory. */
export function importedMemoryMinimum(wasm: Uint8Array): number {
  const pos = { i: 8 };
  while (pos.i < wasm.length) {
    const id = wasm[pos.i++];
    const size = readLeb(wasm, pos);
    const end = pos.i + size;
    if (id === 2) {
      const count = readLeb(wasm, pos);
      for (let n = 0; n < count; n++) {
        skipName(wasm, pos);
        skipName(wasm, pos);
        const kind = wasm[pos.i++];
        if (kind === 0) readLeb(wasm, pos); // function: type index
        else if (kind === 1) { pos.i++; const flags = readLeb(wasm, pos); readLeb(wasm, pos); if (flags & 1) readLeb(wasm, pos); }
        else if (kind === 2) { readLeb(wasm, pos); return readLeb(wasm, pos); }
        else if (kind === 3) { pos.i += 2; }
        else if (kind === 4) { pos.i++; readLeb(wasm, pos); }
        else throw new Error(`unknown import kind ${kind}`);
      }
      return 0;
    }
    pos.i = end;
  }
  return 0;
}
