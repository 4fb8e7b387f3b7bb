// Rego values on the TypeScript side: decoding/encoding the tagged wire
// form, OPA's total order, and helpers every builtin module shares.

import { BuiltinError, NumberText, RegoObject, RegoSet, type RegoValue } from './types.js';

export const NUM_TAG = '\u0000num';
const SET_TAG = '\u0000set';
const OBJ_TAG = '\u0000obj';

export type PlainObject = { [key: string]: RegoValue };
export type TypeName = 'null' | 'boolean' | 'number' | 'string' | 'array' | 'object' | 'set';

// ---------------------------------------------------------------- wire form

/** JSON (possibly tagged) -> Rego value. */
export function decode(json: unknown, exact = false): RegoValue {
  if (json === null || typeof json === 'boolean' || typeof json === 'number' || typeof json === 'string') return json;
  if (json === undefined) return null;
  if (Array.isArray(json)) return json.map((x) => decode(x, exact));
  if (typeof json === 'object') {
    const o = json as Record<string, unknown>;
    const keys = Object.keys(o);
    if (keys.length === 1 && keys[0] === NUM_TAG && typeof o[NUM_TAG] === 'string') {
      const text = o[NUM_TAG] as string;
      if (!exact) return Number(text);
      if (/^-?\d+$/.test(text)) return BigInt(text);
      return Number.isFinite(Number(text)) ? Number(text) : (new NumberText(text) as unknown as RegoValue);
    }
    if (keys.length === 1 && keys[0] === SET_TAG && Array.isArray(o[SET_TAG])) {
      return makeSet((o[SET_TAG] as unknown[]).map((x) => decode(x, exact)));
    }
    if (keys.length === 1 && keys[0] === OBJ_TAG && Array.isArray(o[OBJ_TAG])) {
      const pairs = (o[OBJ_TAG] as unknown[]).map((p) => {
        const [k, v] = p as [unknown, unknown];
        return [decode(k, exact), decode(v, exact)] as [RegoValue, RegoValue];
      });
      return makeObject(pairs);
    }
    const out: PlainObject = {};
    for (const k of keys) setKey(out, k, decode(o[k], exact));
    return out;
  }
  throw new BuiltinError(`cannot decode value of type ${typeof json}`);
}

/** Rego value -> JSON (tagged where JSON cannot express it). */
export function encode(v: RegoValue): unknown {
  if (v === null || typeof v === 'boolean' || typeof v === 'string' || typeof v === 'bigint') return v;
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new BuiltinError('number out of range');
    return v;
  }
  if (Array.isArray(v)) return v.map(encode);
  if (v instanceof RegoSet) return { [SET_TAG]: setItems(v).map(encode) };
  if (v instanceof RegoObject) {
    const norm = makeObject(v.entries);
    if (norm instanceof RegoObject) return { [OBJ_TAG]: norm.entries.map(([k, x]) => [encode(k), encode(x)]) };
    return encode(norm);
  }
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v)) setKey(out as PlainObject, k, encode(v[k]!) as RegoValue);
  return out;
}

// ---------------------------------------------------------------- types

export function typeName(v: RegoValue): TypeName {
  if (v === null) return 'null';
  switch (typeof v) {
    case 'boolean':
      return 'boolean';
    case 'number':
    case 'bigint':
      return 'number';
    case 'string':
      return 'string';
  }
  if ((v as unknown) instanceof NumberText) return 'number';
  if (Array.isArray(v)) return 'array';
  if (v instanceof RegoSet) return 'set';
  return 'object';
}

const TYPE_RANK: Record<TypeName, number> = { null: 0, boolean: 1, number: 2, string: 3, array: 4, object: 5, set: 6 };

export function isObject(v: RegoValue): v is PlainObject | RegoObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof RegoSet);
}

export function isPlainObject(v: RegoValue): v is PlainObject {
  return isObject(v) && !(v instanceof RegoObject);
}

export function isSet(v: RegoValue): v is RegoSet {
  return v instanceof RegoSet;
}

export function isInteger(v: RegoValue): v is number {
  return typeof v === 'number' && Number.isInteger(v);
}

// ---------------------------------------------------------------- order

/** Go compares strings by UTF-8 bytes, which is code point order; JS's `<` compares UTF-16 units. */
export function compareStrings(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    // Map surrogates above the BMP's upper range so unit order equals code point order.
    if (x >= 0xd800) x += x >= 0xe000 ? -0x800 : 0x2000;
    if (y >= 0xd800) y += y >= 0xe000 ? -0x800 : 0x2000;
    return x < y ? -1 : 1;
  }
  return a.length < b.length ? -1 : a.length > b.length ? 1 : 0;
}

/** OPA's total order: null < boolean < number < string < array < object < set. */
export function compare(a: RegoValue, b: RegoValue): number {
  const ta = typeName(a);
  const tb = typeName(b);
  if (ta !== tb) return TYPE_RANK[ta] < TYPE_RANK[tb] ? -1 : 1;
  switch (ta) {
    case 'null':
      return 0;
    case 'boolean':
      return a === b ? 0 : (a as boolean) < (b as boolean) ? -1 : 1;
    case 'number':
      // number vs bigint compares by value in JS (1n == 1, 2n < 2.5).
      return (a as number) == (b as number) ? 0 : (a as number) < (b as number) ? -1 : 1;
    case 'string':
      return compareStrings(a as string, b as string);
    case 'array':
      return compareLists(a as RegoValue[], b as RegoValue[]);
    case 'set':
      return compareLists(setItems(a as RegoSet), setItems(b as RegoSet));
    case 'object': {
      const ea = sortedEntries(a as PlainObject | RegoObject);
      const eb = sortedEntries(b as PlainObject | RegoObject);
      const n = Math.min(ea.length, eb.length);
      for (let i = 0; i < n; i++) {
        const c = compare(ea[i]![0], eb[i]![0]);
        if (c !== 0) return c;
        const d = compare(ea[i]![1], eb[i]![1]);
        if (d !== 0) return d;
      }
      return ea.length === eb.length ? 0 : ea.length < eb.length ? -1 : 1;
    }
  }
}

function compareLists(a: RegoValue[], b: RegoValue[]): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const c = compare(a[i]!, b[i]!);
    if (c !== 0) return c;
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}

export function equal(a: RegoValue, b: RegoValue): boolean {
  return compare(a, b) === 0;
}

export function sortValues(vs: RegoValue[]): RegoValue[] {
  return [...vs].sort(compare);
}

// ---------------------------------------------------------------- sets

/** Sorted, duplicate-free elements. */
export function dedupSorted(vs: RegoValue[]): RegoValue[] {
  const sorted = sortValues(vs);
  const out: RegoValue[] = [];
  for (const v of sorted) if (out.length === 0 || compare(out[out.length - 1]!, v) !== 0) out.push(v);
  return out;
}

/** A set holding `vs` (deduplicated and sorted). */
export function makeSet(vs: RegoValue[]): RegoSet {
  return new RegoSet(dedupSorted(vs));
}

/** The set's elements, deduplicated and sorted (sets built by hand may be unsorted). */
export function setItems(s: RegoSet): RegoValue[] {
  const it = s.items;
  for (let i = 1; i < it.length; i++) if (compare(it[i - 1]!, it[i]!) >= 0) return dedupSorted(it);
  return it;
}

export function setHas(s: RegoSet, v: RegoValue): boolean {
  return s.items.some((x) => equal(x, v));
}

// ---------------------------------------------------------------- objects

/** Assign without tripping over `__proto__`. */
export function setKey(o: PlainObject, k: string, v: RegoValue): void {
  if (k === '__proto__') Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
  else o[k] = v;
}

/** Object from entries: plain when every key is a string, else RegoObject. Later keys win. */
export function makeObject(entries: Array<[RegoValue, RegoValue]>): PlainObject | RegoObject {
  if (entries.every(([k]) => typeof k === 'string')) {
    const o: PlainObject = {};
    for (const [k, v] of entries) setKey(o, k as string, v);
    return o;
  }
  const out: Array<[RegoValue, RegoValue]> = [];
  for (const [k, v] of entries) {
    const i = out.findIndex(([x]) => equal(x, k));
    if (i >= 0) out[i] = [k, v];
    else out.push([k, v]);
  }
  return new RegoObject(out.sort((x, y) => compare(x[0], y[0])));
}

export function objectEntries(o: PlainObject | RegoObject): Array<[RegoValue, RegoValue]> {
  if (o instanceof RegoObject) return o.entries;
  return Object.keys(o).map((k) => [k, o[k]!]);
}

export function sortedEntries(o: PlainObject | RegoObject): Array<[RegoValue, RegoValue]> {
  return [...objectEntries(o)].sort((x, y) => compare(x[0], y[0]));
}

export function objectKeys(o: PlainObject | RegoObject): RegoValue[] {
  return objectEntries(o).map(([k]) => k);
}

export function objectSize(o: PlainObject | RegoObject): number {
  return o instanceof RegoObject ? o.entries.length : Object.keys(o).length;
}

/** o[key] or undefined. */
export function objectGet(o: PlainObject | RegoObject, key: RegoValue): RegoValue | undefined {
  if (o instanceof RegoObject) return o.entries.find(([k]) => equal(k, key))?.[1];
  if (typeof key !== 'string') return undefined;
  return Object.prototype.hasOwnProperty.call(o, key) ? o[key] : undefined;
}

/** Generic member access as Rego's ref `x[key]` does it. */
export function getMember(coll: RegoValue, key: RegoValue): RegoValue | undefined {
  if (Array.isArray(coll)) return isInteger(key) && key >= 0 && key < coll.length ? coll[key] : undefined;
  if (coll instanceof RegoSet) return setHas(coll, key) ? key : undefined;
  if (isObject(coll)) return objectGet(coll, key);
  return undefined;
}

/** Elements of an array or a set. */
export function collectionItems(v: RegoValue): RegoValue[] | undefined {
  if (Array.isArray(v)) return v;
  if (v instanceof RegoSet) return setItems(v);
  return undefined;
}

// ---------------------------------------------------------------- printing

/** Number text as OPA writes it (Go's json.Number / strconv 'g' style for floats). */
export function formatNumber(n: number): string {
  if (Number.isInteger(n) && Math.abs(n) < 1e21) return n.toFixed(0);
  const s = String(n);
  // JS writes 1e+21, Go json writes 1e+21 too; keep as is.
  return s;
}

/** JSON text for a string, escaping as Go's encoding/json does (<, >, & escaped). */
export function quoteString(s: string): string {
  return JSON.stringify(s).replace(/[<>&\u2028\u2029]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
}

/** The value as OPA prints a term (`{"a": 1}`, `{1, 2}`, `set()`); strings quoted. */
export function formatValue(v: RegoValue): string {
  if (v === null) return 'null';
  switch (typeof v) {
    case 'boolean':
      return String(v);
    case 'number':
      return formatNumber(v);
    case 'bigint':
      return v.toString();
    case 'string':
      return JSON.stringify(v);
  }
  if (Array.isArray(v)) return `[${v.map(formatValue).join(', ')}]`;
  if (v instanceof RegoSet) {
    const items = setItems(v);
    return items.length === 0 ? 'set()' : `{${items.map(formatValue).join(', ')}}`;
  }
  return `{${sortedEntries(v)
    .map(([k, x]) => `${formatValue(k)}: ${formatValue(x)}`)
    .join(', ')}}`;
}

/** Like formatValue, but a top-level string is printed bare (sprintf %v, print, templates). */
export function formatBare(v: RegoValue): string {
  return typeof v === 'string' ? v : formatValue(v);
}

/** Plain JSON (sets become sorted arrays, non-string keys become their JSON text) as json.marshal does. */
export function toJson(v: RegoValue): unknown {
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map(toJson);
  if (v instanceof RegoSet) return setItems(v).map(toJson);
  const out: Record<string, unknown> = {};
  for (const [k, x] of sortedEntries(v)) {
    const key = typeof k === 'string' ? k : JSON.stringify(toJson(k));
    setKey(out as PlainObject, key, toJson(x) as RegoValue);
  }
  return out;
}

/** Plain JSON (from JSON.parse, YAML, ...) -> Rego value, without tag decoding. */
export function fromJson(j: unknown): RegoValue {
  if (j === null || j === undefined) return null;
  if (typeof j === 'boolean' || typeof j === 'number' || typeof j === 'string') return j;
  if (typeof j === 'bigint') return Number(j);
  if (Array.isArray(j)) return j.map(fromJson);
  if (j instanceof Date) return j.toISOString();
  if (j instanceof Map) return makeObject([...j.entries()].map(([k, x]) => [fromJson(k), fromJson(x)]));
  if (j instanceof Set) return makeSet([...j].map(fromJson));
  const o = j as Record<string, unknown>;
  const out: PlainObject = {};
  for (const k of Object.keys(o)) setKey(out, k, fromJson(o[k]));
  return out;
}
