// Reads a PNG (8-bit RGB/RGBA, as Chromium writes screenshots) and tells how
// varied its pixels are, so a test can tell a rendered page from a blank one.
import { inflateSync } from 'node:zlib';

export interface PngStats { width: number; height: number; colours: number; stddev: number }

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

export function pngStats(png: Buffer): PngStats {
  if (png.readUInt32BE(0) !== 0x89504e47) throw new Error('not a PNG');
  let off = 8;
  let width = 0;
  let height = 0;
  let channels = 0;
  const idat: Buffer[] = [];
  while (off < png.length) {
    const len = png.readUInt32BE(off);
    const type = png.toString('latin1', off + 4, off + 8);
    const data = png.subarray(off + 8, off + 8 + len);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      const depth = data[8];
      const colour = data[9];
      if (depth !== 8 || (colour !== 2 && colour !== 6) || data[12] !== 0) throw new Error(`unsupported PNG (depth ${depth}, colour type ${colour}, interlace ${data[12]})`);
      channels = colour === 6 ? 4 : 3;
    } else if (type === 'IDAT') idat.push(data);
    off += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const out = Buffer.alloc(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!;
    const src = y * (stride + 1) + 1;
    for (let x = 0; x < stride; x++) {
      const a = x >= channels ? out[y * stride + x - channels]! : 0;
      const b = y > 0 ? out[(y - 1) * stride + x]! : 0;
      const c = x >= channels && y > 0 ? out[(y - 1) * stride + x - channels]! : 0;
      const v = raw[src + x]!;
      out[y * stride + x] = (filter === 0 ? v : filter === 1 ? v + a : filter === 2 ? v + b : filter === 3 ? v + ((a + b) >> 1) : v + paeth(a, b, c)) & 0xff;
    }
  }
  const colours = new Set<number>();
  let sum = 0;
  let sq = 0;
  const n = width * height;
  for (let i = 0; i < n; i++) {
    const p = i * channels;
    const grey = (out[p]! + out[p + 1]! + out[p + 2]!) / 3;
    sum += grey;
    sq += grey * grey;
    if (colours.size < 10_000) colours.add((out[p]! << 16) | (out[p + 1]! << 8) | out[p + 2]!);
  }
  const mean = sum / n;
  return { width, height, colours: colours.size, stddev: Math.sqrt(Math.max(0, sq / n - mean * mean)) };
}
