// Base64 decoding with Go's encoding/base64 semantics, so errors name the
// same input byte Go does ("illegal base64 data at input byte 4") and the
// same inputs are accepted (line breaks skipped, padding rules per variant).

import { BuiltinError } from './types.js';

export type Base64Variant = 'std' | 'url' | 'rawstd' | 'rawurl';

const STD = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

function decodeMap(alphabet: string): Int16Array {
  const m = new Int16Array(256).fill(-1);
  for (let i = 0; i < alphabet.length; i++) m[alphabet.charCodeAt(i)] = i;
  return m;
}

const MAPS = { std: decodeMap(STD), url: decodeMap(URL) };

export class Base64Error extends BuiltinError {
  constructor(public readonly offset: number) {
    super(`illegal base64 data at input byte ${offset}`);
  }
}

/** Decodes `src` (bytes or a latin1/UTF-8 string) like Go's Encoding.DecodeString. */
export function goBase64Decode(src: string | Uint8Array, variant: Base64Variant = 'std'): Buffer {
  const data = typeof src === 'string' ? Buffer.from(src, 'utf8') : src;
  const map = variant === 'std' || variant === 'rawstd' ? MAPS.std : MAPS.url;
  const padded = variant === 'std' || variant === 'url';
  const out: number[] = [];
  let si = 0;
  const isNl = (c: number | undefined) => c === 0x0a || c === 0x0d;
  for (;;) {
    const dbuf = [0, 0, 0, 0];
    let dlen = 4;
    let done = false;
    for (let j = 0; j < 4; j++) {
      if (si === data.length) {
        if (j === 0) return Buffer.from(out);
        if (j === 1 || padded) throw new Base64Error(si - j);
        dlen = j;
        done = true;
        break;
      }
      const c = data[si]!;
      si++;
      const v = map[c]!;
      if (v >= 0) {
        dbuf[j] = v;
        continue;
      }
      if (isNl(c)) {
        j--;
        continue;
      }
      if (!padded || c !== 0x3d) throw new Base64Error(si - 1);
      // Padding: only valid after two or three symbols.
      if (j === 0 || j === 1) throw new Base64Error(si - 1);
      if (j === 2) {
        while (si < data.length && isNl(data[si])) si++;
        if (si === data.length) throw new Base64Error(data.length);
        if (data[si] !== 0x3d) throw new Base64Error(si - 1);
        si++;
      }
      while (si < data.length && isNl(data[si])) si++;
      if (si < data.length) throw new Base64Error(si);
      dlen = j;
      done = true;
      break;
    }
    const val = (dbuf[0]! << 18) | (dbuf[1]! << 12) | (dbuf[2]! << 6) | dbuf[3]!;
    const bytes = [(val >> 16) & 0xff, (val >> 8) & 0xff, val & 0xff];
    // Go rejects non-zero trailing bits only in strict mode, which OPA does not use.
    for (let k = 0; k < dlen - 1; k++) out.push(bytes[k]!);
    if (done) return Buffer.from(out);
  }
}

/** OPA's base64url.decode: pads unpadded input (RFC 7515 appendix C), then decodes. */
export function base64UrlDecodeLenient(s: string): Buffer {
  let t = s;
  if (!t.endsWith('=')) {
    switch (t.length % 4) {
      case 2:
        t += '==';
        break;
      case 3:
        t += '=';
        break;
      case 1:
        throw new BuiltinError(`illegal base64url string: ${s}`);
    }
  }
  return goBase64Decode(t, 'url');
}

export function base64UrlEncodeNoPad(b: Uint8Array | string): string {
  return Buffer.from(b).toString('base64url');
}
