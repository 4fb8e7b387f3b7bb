// A minimal DER reader: enough to walk X.509 certificates and certificate
// requests into the field layout Go's crypto/x509 exposes (which is what
// OPA's crypto.x509.* builtins return).

export interface Tlv {
  /** Class bits (0 universal, 1 application, 2 context, 3 private). */
  cls: number;
  constructed: boolean;
  tag: number;
  /** The whole element, header included. */
  raw: Buffer;
  /** The contents only. */
  body: Buffer;
}

export class Asn1Error extends Error {}

/** Reads one element at `off`; returns it and the offset just after it. */
export function readTlv(buf: Buffer, off = 0): { tlv: Tlv; next: number } {
  if (off + 2 > buf.length) throw new Asn1Error('truncated tag or length');
  const first = buf[off]!;
  let tag = first & 0x1f;
  let p = off + 1;
  if (tag === 0x1f) {
    tag = 0;
    for (;;) {
      if (p >= buf.length) throw new Asn1Error('truncated tag');
      const b = buf[p++]!;
      tag = tag * 128 + (b & 0x7f);
      if (!(b & 0x80)) break;
    }
  }
  if (p >= buf.length) throw new Asn1Error('truncated length');
  let len = buf[p++]!;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4) throw new Asn1Error('unsupported length');
    len = 0;
    for (let i = 0; i < n; i++) {
      if (p >= buf.length) throw new Asn1Error('truncated length');
      len = len * 256 + buf[p++]!;
    }
  }
  const end = p + len;
  if (end > buf.length) throw new Asn1Error('data truncated');
  return {
    tlv: { cls: first >> 6, constructed: (first & 0x20) !== 0, tag, raw: buf.subarray(off, end), body: buf.subarray(p, end) },
    next: end,
  };
}

/** The elements inside a constructed value. */
export function children(t: Tlv): Tlv[] {
  const out: Tlv[] = [];
  let off = 0;
  while (off < t.body.length) {
    const { tlv, next } = readTlv(t.body, off);
    out.push(tlv);
    off = next;
  }
  return out;
}

/** Parses exactly one element covering all of `buf`. */
export function parseDer(buf: Buffer): Tlv {
  const { tlv, next } = readTlv(buf, 0);
  if (next !== buf.length) throw new Asn1Error('trailing data');
  return tlv;
}

export const isUniversal = (t: Tlv | undefined, tag: number): t is Tlv => !!t && t.cls === 0 && t.tag === tag;
export const isContext = (t: Tlv | undefined, tag: number): t is Tlv => !!t && t.cls === 2 && t.tag === tag;

export const TAG = {
  BOOLEAN: 1,
  INTEGER: 2,
  BIT_STRING: 3,
  OCTET_STRING: 4,
  NULL: 5,
  OID: 6,
  UTF8: 12,
  SEQUENCE: 16,
  SET: 17,
  PRINTABLE: 19,
  T61: 20,
  IA5: 22,
  UTC_TIME: 23,
  GENERALIZED_TIME: 24,
  BMP: 30,
} as const;

export function oidArcs(t: Tlv): number[] {
  const b = t.body;
  const arcs: number[] = [];
  let v = 0;
  for (let i = 0; i < b.length; i++) {
    v = v * 128 + (b[i]! & 0x7f);
    if (!(b[i]! & 0x80)) {
      if (arcs.length === 0) {
        const first = v < 80 ? Math.floor(v / 40) : 2;
        arcs.push(first, v - first * 40);
      } else arcs.push(v);
      v = 0;
    }
  }
  return arcs;
}

export const oidString = (t: Tlv): string => oidArcs(t).join('.');

export function bigInt(t: Tlv): bigint {
  const b = t.body;
  if (b.length === 0) return 0n;
  let v = 0n;
  for (const x of b) v = (v << 8n) | BigInt(x);
  if (b[0]! & 0x80) v -= 1n << BigInt(8 * b.length);
  return v;
}

export function stringValue(t: Tlv): string {
  if (t.cls === 0 && t.tag === TAG.BMP) {
    let s = '';
    for (let i = 0; i + 1 < t.body.length; i += 2) s += String.fromCharCode((t.body[i]! << 8) | t.body[i + 1]!);
    return s;
  }
  if (t.cls === 0 && t.tag === TAG.T61) return t.body.toString('latin1');
  return t.body.toString('utf8');
}

/** UTCTime / GeneralizedTime as Go's time.Time JSON text (RFC 3339, UTC). */
export function timeValue(t: Tlv): string {
  const s = t.body.toString('latin1');
  let m: RegExpExecArray | null;
  let year: number;
  let rest: string;
  if (t.tag === TAG.UTC_TIME) {
    m = /^(\d\d)(\d{10})Z$/.exec(s);
    if (!m) throw new Asn1Error('invalid UTCTime');
    const yy = Number(m[1]);
    year = yy < 50 ? 2000 + yy : 1900 + yy;
    rest = m[2]!;
  } else {
    m = /^(\d{4})(\d{10})(?:\.\d+)?Z$/.exec(s);
    if (!m) throw new Asn1Error('invalid GeneralizedTime');
    year = Number(m[1]);
    rest = m[2]!;
  }
  const [mo, d, h, mi, se] = [0, 2, 4, 6, 8].map((i) => rest.slice(i, i + 2));
  return `${String(year).padStart(4, '0')}-${mo}-${d}T${h}:${mi}:${se}Z`;
}
