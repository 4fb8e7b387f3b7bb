// net.cidr_* on IPv4/IPv6 prefixes held as BigInt ranges.

import { implementAll } from './define.js';
import { strArg, operandError } from './operands.js';
import { BuiltinError, RegoSet, type RegoValue } from './types.js';
import { isObject, makeSet, objectEntries, setItems } from './value.js';

interface Prefix {
  bits: 32 | 128;
  addr: bigint;
  len: number;
}

function parseV4(s: string): bigint | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  let v = 0n;
  for (const p of parts) {
    if (!/^(0|[1-9]\d{0,2})$/.test(p) || Number(p) > 255) return undefined;
    v = (v << 8n) | BigInt(p);
  }
  return v;
}

function parseV6(s: string): bigint | undefined {
  if (!/^[0-9a-fA-F:.]+$/.test(s)) return undefined;
  let tail4: bigint | undefined;
  let text = s;
  const lastColon = s.lastIndexOf(':');
  if (s.includes('.')) {
    tail4 = parseV4(s.slice(lastColon + 1));
    if (tail4 === undefined) return undefined;
    text = s.slice(0, lastColon + 1) + '0:0';
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const groups = (h: string) => (h === '' ? [] : h.split(':'));
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  const all = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...tail];
  let v = 0n;
  for (const g of all) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
    v = (v << 16n) | BigInt(parseInt(g, 16));
  }
  if (tail4 !== undefined) v = (v & ~0xffffffffn) | tail4;
  return v;
}

function parseIp(s: string): { bits: 32 | 128; addr: bigint } | undefined {
  const v4 = parseV4(s);
  if (v4 !== undefined) return { bits: 32, addr: v4 };
  const v6 = s.includes(':') ? parseV6(s) : undefined;
  return v6 === undefined ? undefined : { bits: 128, addr: v6 };
}

export function parseCidr(s: string): Prefix | undefined {
  const slash = s.indexOf('/');
  if (slash < 0) return undefined;
  const ip = parseIp(s.slice(0, slash));
  const lenText = s.slice(slash + 1);
  if (!ip || !/^\d{1,3}$/.test(lenText)) return undefined;
  const len = Number(lenText);
  if (len > ip.bits) return undefined;
  return { ...ip, len };
}

function cidrArg(s: string): Prefix {
  const p = parseCidr(s);
  if (!p) throw new BuiltinError(`invalid CIDR address: ${s}`);
  return p;
}

/** A CIDR, or a bare address as a single-address prefix. */
function cidrOrIp(s: string): Prefix {
  const ip = parseIp(s);
  if (ip) return { ...ip, len: ip.bits };
  return cidrArg(s);
}

function range(p: Prefix): [bigint, bigint] {
  const host = (1n << BigInt(p.bits - p.len)) - 1n;
  const start = p.addr & ~host & ((1n << BigInt(p.bits)) - 1n);
  return [start, start | host];
}

function contains(outer: Prefix, inner: Prefix): boolean {
  if (outer.bits !== inner.bits) return false;
  const [a, b] = range(outer);
  const [c, d] = range(inner);
  return a <= c && d <= b;
}

/** Go's net.IP.DefaultMask: class A /8, B /16, C /24; other addresses stand alone. */
function classfulLength(addr: bigint): number {
  const first = Number(addr >> 24n);
  if (first < 0x80) return 8;
  if (first < 0xc0) return 16;
  if (first < 0xe0) return 24;
  return 32;
}

function formatIp(bits: 32 | 128, v: bigint): string {
  if (bits === 32) return [24n, 16n, 8n, 0n].map((s) => String((v >> s) & 255n)).join('.');
  const groups = Array.from({ length: 8 }, (_, i) => Number((v >> BigInt(112 - 16 * i)) & 0xffffn));
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

function formatCidr(p: Prefix): string {
  return `${formatIp(p.bits, range(p)[0])}/${p.len}`;
}

function merge(prefixes: Prefix[]): Prefix[] {
  let list = prefixes.map((p) => ({ ...p, addr: range(p)[0] }));
  let changed = true;
  while (changed) {
    changed = false;
    list.sort((x, y) => x.bits - y.bits || (x.addr < y.addr ? -1 : x.addr > y.addr ? 1 : x.len - y.len));
    const out: Prefix[] = [];
    for (const p of list) {
      const prev = out[out.length - 1];
      if (prev && contains(prev, p)) {
        changed = true;
        continue;
      }
      if (prev && prev.bits === p.bits && prev.len === p.len && prev.len > 0) {
        const parent = { bits: p.bits, addr: prev.addr, len: p.len - 1 };
        if (range(parent)[0] === prev.addr && range(parent)[1] === range(p)[1]) {
          out[out.length - 1] = parent;
          changed = true;
          continue;
        }
      }
      out.push(p);
    }
    list = out;
  }
  return list;
}

/** (key, address text) pairs of a cidr_contains_matches operand. */
function matchOperands(v: RegoValue, pos: number): Array<[RegoValue, string]> {
  const element = (x: RegoValue): string => {
    if (typeof x === 'string') return x;
    if (Array.isArray(x) && x.length > 0 && typeof x[0] === 'string') return x[0];
    throw new BuiltinError(`operand ${pos}: element must be string or non-empty array`);
  };
  if (typeof v === 'string') return [[v, v]];
  if (Array.isArray(v)) return v.map((x, i) => [i, element(x)]);
  if (v instanceof RegoSet) return setItems(v).map((x) => [x, element(x)]);
  if (isObject(v)) return objectEntries(v).map(([k, x]) => [k, element(x)]);
  throw operandError(pos, ['string', 'array', 'set', 'object'], v);
}

implementAll({
  'net.cidr_contains': (args) => contains(cidrArg(strArg(args, 0)), cidrOrIp(strArg(args, 1))),
  'net.cidr_intersects': (args) => {
    const a = cidrArg(strArg(args, 0));
    const b = cidrArg(strArg(args, 1));
    return a.bits === b.bits && (contains(a, b) || contains(b, a));
  },
  'net.cidr_overlap': (args) => contains(cidrArg(strArg(args, 0)), cidrOrIp(strArg(args, 1))),
  'net.cidr_is_valid': (args) => parseCidr(strArg(args, 0)) !== undefined,
  'net.cidr_expand': (args) => {
    const p = cidrArg(strArg(args, 0));
    const [a, b] = range(p);
    if (b - a > 1_000_000n) throw new BuiltinError('CIDR too large to expand');
    const out: string[] = [];
    for (let x = a; x <= b; x++) out.push(formatIp(p.bits, x));
    return makeSet(out);
  },
  'net.cidr_merge': (args) => {
    const v = args[0] ?? null;
    const items = Array.isArray(v) ? v : v instanceof RegoSet ? v.items : undefined;
    if (!items) throw operandError(1, ['array', 'set'], v);
    const prefixes = items.map((x) => {
      if (typeof x !== 'string') throw operandError(1, 'string', x);
      const ip = parseIp(x);
      if (ip) {
        if (ip.bits === 128) throw new BuiltinError('IPv6 invalid: needs prefix length');
        return { ...ip, len: classfulLength(ip.addr) } as Prefix;
      }
      const p = parseCidr(x);
      if (!p) throw new BuiltinError(`invalid CIDR address: ${x}`);
      return p;
    });
    return makeSet(merge(prefixes).map(formatCidr));
  },
  'net.cidr_contains_matches': (args) => {
    const cidrs = matchOperands(args[0] ?? null, 1);
    const addrs = matchOperands(args[1] ?? null, 2);
    const out: RegoValue[] = [];
    for (const [ck, c] of cidrs) {
      const outer = cidrArg(c);
      for (const [ak, a] of addrs) if (contains(outer, cidrOrIp(a))) out.push([ck, ak]);
    }
    return makeSet(out);
  },
});
