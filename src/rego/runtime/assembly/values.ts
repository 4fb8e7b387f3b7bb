// Value layout in linear memory. Every value starts with an i32 tag (OPA's
// type numbers, which are also the order of types in OPA's total order).
//
//   null    [tag]
//   boolean [tag][0|1]
//   number  [tag][kind][payload: i64 | f64 | f64 approximation][text ptr][text len]
//   string  [tag][len][bytes ptr]                    UTF-8, immutable
//   array   [tag][len][cap][elems ptr]               elems: i32 value pointers
//   object  [tag][len][cap][entries ptr]             entries: (key, value) pairs, sorted by key
//   set     [tag][len][cap][elems ptr]               elems sorted, no duplicates

import { alloc, grow } from "./memory";

export const T_NULL: i32 = 1;
export const T_BOOL: i32 = 2;
export const T_NUMBER: i32 = 3;
export const T_STRING: i32 = 4;
export const T_ARRAY: i32 = 5;
export const T_OBJECT: i32 = 6;
export const T_SET: i32 = 7;

export const NULL_VALUE: usize = memory.data<i32>([1, 0]);
export const TRUE_VALUE: usize = memory.data<i32>([2, 1]);
export const FALSE_VALUE: usize = memory.data<i32>([2, 0]);

@inline export function tagOf(v: usize): i32 { return load<i32>(v); }

@inline export function boolValue(b: bool): usize { return b ? TRUE_VALUE : FALSE_VALUE; }
@inline export function boolOf(v: usize): bool { return load<i32>(v, 4) != 0; }

// --- strings ---

export function newString(ptr: usize, len: usize): usize {
  const v = alloc(12);
  store<i32>(v, T_STRING);
  store<u32>(v, <u32>len, 4);
  store<usize>(v, ptr, 8);
  return v;
}

@inline export function strLen(v: usize): usize { return load<u32>(v, 4); }
@inline export function strPtr(v: usize): usize { return load<usize>(v, 8); }

/** A string value holding a copy of an ASCII literal. */
export function stringFromLiteral(s: string): usize {
  const n = s.length;
  const p = alloc(n);
  for (let i = 0; i < n; i++) store<u8>(p + i, <u8>s.charCodeAt(i));
  return newString(p, n);
}

// --- vectors: arrays, objects (stride 8) and sets ---

@inline export function collLen(v: usize): u32 { return load<u32>(v, 4); }
@inline export function collCap(v: usize): u32 { return load<u32>(v, 8); }
@inline export function collData(v: usize): usize { return load<usize>(v, 12); }
@inline export function setCollLen(v: usize, n: u32): void { store<u32>(v, n, 4); }

export function newVector(tag: i32, cap: u32, stride: u32): usize {
  const v = alloc(16);
  store<i32>(v, tag);
  store<u32>(v, 0, 4);
  store<u32>(v, cap, 8);
  store<usize>(v, cap > 0 ? alloc(<usize>cap * stride) : 0, 12);
  return v;
}

export function newArray(cap: u32): usize { return newVector(T_ARRAY, cap, 4); }
export function newObject(cap: u32): usize { return newVector(T_OBJECT, cap, 8); }
export function newSet(cap: u32): usize { return newVector(T_SET, cap, 4); }

/** Room for one more element; returns the data pointer. */
export function reserveOne(v: usize, stride: u32): usize {
  const len = collLen(v);
  const cap = collCap(v);
  let data = collData(v);
  if (len < cap) return data;
  const ncap = cap < 4 ? 4 : cap * 2;
  data = grow(data, <usize>cap * stride, <usize>ncap * stride);
  store<usize>(v, data, 12);
  store<u32>(v, ncap, 8);
  return data;
}

export function arrayAppend(arr: usize, elem: usize): void {
  const data = reserveOne(arr, 4);
  const n = collLen(arr);
  store<usize>(data + (<usize>n << 2), elem);
  setCollLen(arr, n + 1);
}

@inline export function arrayGet(arr: usize, i: u32): usize {
  return load<usize>(collData(arr) + (<usize>i << 2));
}

@inline export function objKeyAt(obj: usize, i: u32): usize {
  return load<usize>(collData(obj) + (<usize>i << 3));
}

@inline export function objValueAt(obj: usize, i: u32): usize {
  return load<usize>(collData(obj) + (<usize>i << 3), 4);
}

/** Same elements in a new vector with its own storage (for copy-on-write). */
export function copyVector(v: usize, extra: u32): usize {
  const tag = tagOf(v);
  const stride: u32 = tag == T_OBJECT ? 8 : 4;
  const n = collLen(v);
  const out = newVector(tag, n + extra, stride);
  memory.copy(collData(out), collData(v), <usize>n * stride);
  setCollLen(out, n);
  return out;
}

/** Code points in UTF-8 bytes: every byte that is not a continuation byte starts one. */
export function countCodePoints(p: usize, n: usize): i64 {
  let c: i64 = 0;
  for (let i: usize = 0; i < n; i++) if ((load<u8>(p + i) & 0xc0) != 0x80) c++;
  return c;
}

