// uuid.rfc4122 (random v4, stable per key within one evaluation) and uuid.parse.

import { randomUUID } from 'node:crypto';
import { implementAll } from './define.js';
import { strArg } from './operands.js';
import type { RegoValue } from './types.js';

/** 100-ns intervals between the Gregorian reform (UUID epoch) and the Unix epoch. */
const GREGORIAN_OFFSET = 0x01b21dd213814000n;

function uuidBytes(s: string): Uint8Array | undefined {
  let t = s;
  if (t.length === 45 && t.toLowerCase().startsWith('urn:uuid:')) t = t.slice(9);
  else if (t.length === 38 && t.startsWith('{') && t.endsWith('}')) t = t.slice(1, -1);
  let hex: string;
  if (t.length === 36) {
    if (t[8] !== '-' || t[13] !== '-' || t[18] !== '-' || t[23] !== '-') return undefined;
    hex = t.replace(/-/g, '');
  } else if (t.length === 32) hex = t;
  else return undefined;
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) return undefined;
  return Uint8Array.from(Buffer.from(hex, 'hex'));
}

function variantOf(b: number): string {
  if ((b & 0xc0) === 0x80) return 'RFC4122';
  if ((b & 0xe0) === 0xc0) return 'Microsoft';
  if ((b & 0xe0) === 0xe0) return 'Future';
  return 'Reserved';
}

const DOMAINS = ['Person', 'Group', 'Org'];

function parseUuid(s: string): RegoValue | undefined {
  const b = uuidBytes(s);
  if (!b) return undefined;
  const version = b[6]! >> 4;
  const out: { [k: string]: RegoValue } = { version, variant: variantOf(b[8]!) };
  if (version === 1 || version === 2) {
    const low = BigInt((b[0]! << 24) >>> 0) | BigInt((b[1]! << 16) | (b[2]! << 8) | b[3]!);
    const mid = BigInt((b[4]! << 8) | b[5]!);
    const hi = BigInt(((b[6]! << 8) | b[7]!) & 0x0fff);
    const ticks = (hi << 48n) | (mid << 32n) | low;
    out.time = Number((ticks - GREGORIAN_OFFSET) * 100n);
    out.clocksequence = ((b[8]! & 0x3f) << 8) | b[9]!;
    out.nodeid = [...b.slice(10)].map((x) => x.toString(16).padStart(2, '0')).join('-');
    out.macvariables = `${b[10]! & 0x02 ? 'local' : 'global'}:${b[10]! & 0x01 ? 'multicast' : 'unicast'}`;
    if (version === 2) {
      out.domain = DOMAINS[b[9]!] ?? `Domain${b[9]}`;
      out.id = Number(low);
    }
  }
  return out;
}

implementAll({
  'uuid.rfc4122': (args, ctx) => {
    const key = `uuid.rfc4122\u0000${strArg(args, 0)}`;
    const hit = ctx.cache.get(key);
    if (hit !== undefined) return hit;
    const v = randomUUID();
    ctx.cache.set(key, v);
    return v;
  },
  'uuid.parse': (args) => parseUuid(strArg(args, 0)),
});
