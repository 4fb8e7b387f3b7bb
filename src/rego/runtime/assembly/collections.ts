// Sorted vectors: objects (key, value) pairs and sets of elements, both kept
// in OPA's order so that lookups are binary searches and iteration order is
// the order OPA iterates in.

import { alloc, heapGet, heapSet } from "./memory";
import { T_OBJECT, T_SET, T_ARRAY, T_STRING, strLen, strPtr, tagOf, collLen, collData, setCollLen, reserveOne, newObject, newSet, copyVector, objKeyAt, objValueAt, arrayGet } from "./values";
import { compareBytes, compareValues, equalValues } from "./compare";

@inline function strideOf(v: usize): u32 { return tagOf(v) == T_OBJECT ? 8 : 4; }

/** Index of key (>= 0), or -(insertion point) - 1. Keys are at offset 0 of each entry. */
export function findIndex(v: usize, key: usize): i32 {
  const stride = strideOf(v);
  const data = collData(v);
  let lo: i32 = 0;
  let hi: i32 = <i32>collLen(v) - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const c = compareValues(load<usize>(data + <usize>mid * stride), key);
    if (c < 0) lo = mid + 1;
    else if (c > 0) hi = mid - 1;
    else return mid;
  }
  return -lo - 1;
}

/** Opens a gap at index i (vector has room for one more); returns the entry address. */
function insertAt(v: usize, i: u32, stride: u32): usize {
  const data = reserveOne(v, stride);
  const n = collLen(v);
  const at = data + <usize>i * stride;
  if (i < n) memory.copy(at + stride, at, <usize>(n - i) * stride);
  setCollLen(v, n + 1);
  return at;
}

/** Position for key: found index, or insertion point encoded as in findIndex; appends are O(1). */
function locate(v: usize, key: usize, stride: u32): i32 {
  const n = collLen(v);
  if (n == 0) return -1;
  const c = compareValues(load<usize>(collData(v) + <usize>(n - 1) * stride), key);
  if (c < 0) return -(<i32>n) - 1;
  if (c == 0) return <i32>n - 1;
  return findIndex(v, key);
}

export function objectInsert(obj: usize, key: usize, value: usize): void {
  const i = locate(obj, key, 8);
  if (i >= 0) {
    store<usize>(collData(obj) + (<usize>i << 3), value, 4);
    return;
  }
  const at = insertAt(obj, <u32>(-i - 1), 8);
  store<usize>(at, key);
  store<usize>(at, value, 4);
}

/** 0 when inserted or an equal value is present, 1 when a different value is present. */
export function objectInsertOnce(obj: usize, key: usize, value: usize): i32 {
  const i = locate(obj, key, 8);
  if (i >= 0) return equalValues(objValueAt(obj, <u32>i), value) ? 0 : 1;
  const at = insertAt(obj, <u32>(-i - 1), 8);
  store<usize>(at, key);
  store<usize>(at, value, 4);
  return 0;
}

export function objectGet(obj: usize, key: usize): usize {
  const i = findIndex(obj, key);
  return i >= 0 ? objValueAt(obj, <u32>i) : 0;
}

export function setAdd(set: usize, elem: usize): void {
  const i = locate(set, elem, 4);
  if (i >= 0) return;
  store<usize>(insertAt(set, <u32>(-i - 1), 4), elem);
}

/** The stored element equal to elem, or 0. */
export function setFind(set: usize, elem: usize): usize {
  const i = findIndex(set, elem);
  return i >= 0 ? arrayGet(set, <u32>i) : 0;
}

// --- bulk construction: append in any order, then sort once ---

/** Appends without keeping order; call sortEntries before using the value. */
export function pushEntry(v: usize, key: usize, value: usize): void {
  const stride = strideOf(v);
  const data = reserveOne(v, stride);
  const n = collLen(v);
  const at = data + <usize>n * stride;
  store<usize>(at, key);
  if (stride == 8) store<usize>(at, value, 4);
  setCollLen(v, n + 1);
}

function mergeRuns(src: usize, dst: usize, lo: u32, mid: u32, hi: u32, stride: u32): void {
  let i = lo;
  let j = mid;
  let o = lo;
  while (i < mid && j < hi) {
    const a = src + <usize>i * stride;
    const b = src + <usize>j * stride;
    // <= keeps equal keys in insertion order (stable), so "last wins" below is JSON's rule
    if (compareValues(load<usize>(a), load<usize>(b)) <= 0) {
      memory.copy(dst + <usize>o * stride, a, stride);
      i++;
    } else {
      memory.copy(dst + <usize>o * stride, b, stride);
      j++;
    }
    o++;
  }
  if (i < mid) memory.copy(dst + <usize>o * stride, src + <usize>i * stride, <usize>(mid - i) * stride);
  if (j < hi) memory.copy(dst + <usize>o * stride + <usize>(mid - i) * stride, src + <usize>j * stride, <usize>(hi - j) * stride);
}

/** compareValues, with the common case of two string keys compared directly. */
@inline function compareKeys(a: usize, b: usize): i32 {
  if (tagOf(a) == T_STRING && tagOf(b) == T_STRING) return compareBytes(strPtr(a), strLen(a), strPtr(b), strLen(b));
  return compareValues(a, b);
}

/** Stable insertion sort of n entries in place: fewer steps than merging for the small objects JSON is made of. */
function insertionSort(data: usize, n: u32, stride: u32): void {
  for (let i: u32 = 1; i < n; i++) {
    const at = data + <usize>i * stride;
    const key = load<usize>(at);
    const value = stride == 8 ? load<usize>(at, 4) : 0;
    let j = i;
    while (j > 0 && compareKeys(load<usize>(data + <usize>(j - 1) * stride), key) > 0) {
      memory.copy(data + <usize>j * stride, data + <usize>(j - 1) * stride, stride);
      j--;
    }
    if (j != i) {
      const to = data + <usize>j * stride;
      store<usize>(to, key);
      if (stride == 8) store<usize>(to, value, 4);
    }
  }
}

/** Sorts entries by key (stable) and drops duplicate keys, keeping the last one. */
export function sortEntries(v: usize): void {
  const n = collLen(v);
  if (n < 2) return;
  const stride = strideOf(v);
  const data = collData(v);
  let sorted = true;
  for (let i: u32 = 1; i < n && sorted; i++) {
    if (compareKeys(load<usize>(data + <usize>(i - 1) * stride), load<usize>(data + <usize>i * stride)) >= 0) sorted = false;
  }
  if (!sorted && n <= 16) {
    insertionSort(data, n, stride);
    dropDuplicates(v, data, n, stride);
  } else if (!sorted) {
    const mark = heapGet();
    const tmp = alloc(<usize>n * stride);
    let src = data;
    let dst = tmp;
    for (let width: u32 = 1; width < n; width <<= 1) {
      for (let lo: u32 = 0; lo < n; lo += width << 1) {
        const mid = lo + width < n ? lo + width : n;
        const hi = lo + (width << 1) < n ? lo + (width << 1) : n;
        mergeRuns(src, dst, lo, mid, hi, stride);
      }
      const t = src;
      src = dst;
      dst = t;
    }
    if (src != data) memory.copy(data, src, <usize>n * stride);
    heapSet(mark);
    dropDuplicates(v, data, n, stride);
  }
}

/** Keeps the last of each run of equal keys (sorted entries). */
function dropDuplicates(v: usize, data: usize, n: u32, stride: u32): void {
  let o: u32 = 0;
  for (let i: u32 = 0; i < n; i++) {
    const cur = data + <usize>i * stride;
    if (i + 1 < n && compareKeys(load<usize>(cur), load<usize>(cur + stride)) == 0) continue;
    if (o != i) memory.copy(data + <usize>o * stride, cur, stride);
    o++;
  }
  setCollLen(v, o);
}

/** Array to set; other values unchanged. */
export function toSet(v: usize): usize {
  if (v == 0 || tagOf(v) != T_ARRAY) return v;
  const n = collLen(v);
  const s = newSet(n);
  memory.copy(collData(s), collData(v), <usize>n << 2);
  setCollLen(s, n);
  sortEntries(s);
  return s;
}

/** Set from elements of an array or set value (copy). */
export function copyAsSet(v: usize): usize {
  if (tagOf(v) == T_SET) return copyVector(v, 0);
  return toSet(v);
}

// --- documents ---

/**
 * OPA's object merge (base and virtual documents): keys of both, objects
 * under the same key merged recursively; 0 when other values collide.
 */
export function mergeObjects(a: usize, b: usize): usize {
  if (a == 0) return b;
  if (b == 0) return a;
  if (tagOf(a) != T_OBJECT || tagOf(b) != T_OBJECT) return 0;
  const na = collLen(a);
  const nb = collLen(b);
  const out = newObject(na + nb);
  let i: u32 = 0;
  let j: u32 = 0;
  while (i < na || j < nb) {
    let c: i32;
    if (i >= na) c = 1;
    else if (j >= nb) c = -1;
    else c = compareValues(objKeyAt(a, i), objKeyAt(b, j));
    if (c < 0) {
      pushEntry(out, objKeyAt(a, i), objValueAt(a, i));
      i++;
    } else if (c > 0) {
      pushEntry(out, objKeyAt(b, j), objValueAt(b, j));
      j++;
    } else {
      const va = objValueAt(a, i);
      const vb = objValueAt(b, j);
      if (tagOf(va) != T_OBJECT || tagOf(vb) != T_OBJECT) return 0;
      const m = mergeObjects(va, vb);
      if (m == 0) return 0;
      pushEntry(out, objKeyAt(a, i), m);
      i++;
      j++;
    }
  }
  return out;
}

/** Copy of doc with value at path (array of keys); objects on the path are copied, never mutated. */
export function upsert(doc: usize, path: usize, value: usize): usize {
  return upsertFrom(doc, path, 0, value);
}

function upsertFrom(doc: usize, path: usize, i: u32, value: usize): usize {
  if (i >= collLen(path)) return value;
  const key = arrayGet(path, i);
  const obj = doc != 0 && tagOf(doc) == T_OBJECT ? copyVector(doc, 1) : newObject(4);
  const child = doc != 0 && tagOf(doc) == T_OBJECT ? objectGet(doc, key) : 0;
  objectInsert(obj, key, upsertFrom(child, path, i + 1, value));
  return obj;
}
