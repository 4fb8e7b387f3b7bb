// Byte-level reading and writing of WebAssembly's binary format (LEB128
// integers, names, vectors). The emitter writes policy code with these
// directly: building it through binaryen's IR cost more than everything else
// in a large bundle's compile.

export class ByteWriter {
  buf: Uint8Array;
  length = 0;

  constructor(capacity = 1024) {
    this.buf = new Uint8Array(capacity);
  }

  private room(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.length + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
  }

  u8(b: number): void {
    this.room(1);
    this.buf[this.length++] = b;
  }

  /** Unsigned LEB128 (u32). */
  u32(v: number): void {
    this.room(5);
    do {
      let b = v & 0x7f;
      v >>>= 7;
      if (v !== 0) b |= 0x80;
      this.buf[this.length++] = b;
    } while (v !== 0);
  }

  /** Signed LEB128 (i32). */
  i32(v: number): void {
    this.room(5);
    v |= 0;
    for (;;) {
      const b = v & 0x7f;
      v >>= 7;
      if ((v === 0 && (b & 0x40) === 0) || (v === -1 && (b & 0x40) !== 0)) {
        this.buf[this.length++] = b;
        return;
      }
      this.buf[this.length++] = b | 0x80;
    }
  }

  bytes(b: Uint8Array): void {
    this.room(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
  }

  name(s: string): void {
    const utf8 = new TextEncoder().encode(s);
    this.u32(utf8.length);
    this.bytes(utf8);
  }

  /** A section: id, size, body. */
  section(id: number, body: ByteWriter | Uint8Array): void {
    const b = body instanceof ByteWriter ? body.view() : body;
    this.u8(id);
    this.u32(b.length);
    this.bytes(b);
  }

  view(): Uint8Array {
    return this.buf.subarray(0, this.length);
  }
}

export class ByteReader {
  i = 0;
  constructor(readonly buf: Uint8Array, start = 0, readonly end = buf.length) {
    this.i = start;
  }

  get done(): boolean { return this.i >= this.end; }

  u8(): number {
    if (this.i >= this.end) throw new Error('truncated wasm module');
    return this.buf[this.i++]!;
  }

  u32(): number {
    let result = 0;
    let shift = 0;
    for (;;) {
      const b = this.u8();
      result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return result;
      shift += 7;
    }
  }

  /** Signed LEB128 of any width (i32/i64 immediates), skipped or read as a number. */
  sleb(): number {
    let result = 0;
    let shift = 0;
    let b: number;
    do {
      b = this.u8();
      result += (b & 0x7f) * 2 ** shift;
      shift += 7;
    } while (b & 0x80);
    if (b & 0x40) result -= 2 ** shift;
    return result;
  }

  name(): string {
    const n = this.u32();
    const s = new TextDecoder().decode(this.buf.subarray(this.i, this.i + n));
    this.i += n;
    return s;
  }

  skip(n: number): void { this.i += n; }

  slice(from: number, to = this.i): Uint8Array { return this.buf.subarray(from, to); }
}
