// Functions the generated policy code calls (RUNTIME_FNS in
// src/rego/wasm/runtime-abi.ts): exact names and signatures matter.

import {
  T_NUMBER, T_STRING, T_ARRAY, T_OBJECT, T_SET, NULL_VALUE, tagOf, boolValue, newString, strLen, strPtr,
  newArray, newObject, newSet, arrayAppend, collLen, arrayGet, objKeyAt, objValueAt, countCodePoints,
} from "./values";
import { newInt, smallInt, numberFromText, numKind, numInt, numF64, K_INT, K_FLOAT, K_DEC } from "./number";
import { compareValues, equalValues } from "./compare";
import { objectInsert, objectInsertOnce, objectGet, setAdd, setFind, mergeObjects, upsert, toSet } from "./collections";
import { builtinEnter, builtinExit } from "./json";
import { setStrict } from "./errors";
import { memoGet, memoPut } from "./memo";

export function hooker_null(): usize { return NULL_VALUE; }
export function hooker_bool(b: i32): usize { return boolValue(b != 0); }
export function hooker_int(x: i64): usize { return newInt(x); }
export function hooker_number_ref(ptr: usize, len: usize): usize { return numberFromText(ptr, len); }
export function hooker_string(ptr: usize, len: usize): usize { return newString(ptr, len); }
export function hooker_array(cap: i32): usize { return newArray(cap < 0 ? 0 : <u32>cap); }
export function hooker_object(): usize { return newObject(0); }
export function hooker_set(): usize { return newSet(0); }

export function hooker_array_append(arr: usize, v: usize): void { arrayAppend(arr, v); }
export function hooker_object_insert(obj: usize, k: usize, v: usize): void { objectInsert(obj, k, v); }
export function hooker_object_insert_once(obj: usize, k: usize, v: usize): i32 { return objectInsertOnce(obj, k, v); }
export function hooker_set_add(set: usize, v: usize): void { setAdd(set, v); }

/** Array index from a number value, or -1 when not a valid integral index. */
function indexOf(key: usize, len: u32): i64 {
  if (tagOf(key) != T_NUMBER) return -1;
  const k = numKind(key);
  let i: i64;
  if (k == K_INT) {
    i = numInt(key);
  } else if (k == K_FLOAT || k == K_DEC) {
    const f = numF64(key);
    if (f != Math.trunc(f) || f < 0 || f >= <f64>len) return -1;
    i = <i64>f;
  } else {
    return -1;
  }
  return i >= 0 && i < <i64>len ? i : -1;
}

export function hooker_dot(coll: usize, key: usize): usize {
  if (coll == 0 || key == 0) return 0;
  switch (tagOf(coll)) {
    case T_ARRAY: {
      const i = indexOf(key, collLen(coll));
      return i < 0 ? 0 : arrayGet(coll, <u32>i);
    }
    case T_OBJECT: return objectGet(coll, key);
    case T_SET: return setFind(coll, key);
  }
  return 0;
}

export function hooker_coll_size(v: usize): i32 {
  if (v == 0) return -1;
  const t = tagOf(v);
  return t == T_ARRAY || t == T_OBJECT || t == T_SET ? <i32>collLen(v) : -1;
}

export function hooker_coll_key(v: usize, i: i32): usize {
  const t = tagOf(v);
  if (t == T_ARRAY) return smallInt(i);
  if (t == T_OBJECT) return objKeyAt(v, <u32>i);
  return arrayGet(v, <u32>i);
}

export function hooker_coll_value(v: usize, i: i32): usize {
  return tagOf(v) == T_OBJECT ? objValueAt(v, <u32>i) : arrayGet(v, <u32>i);
}

export function hooker_len(v: usize): usize {
  if (v == 0) return 0;
  const t = tagOf(v);
  if (t == T_STRING) return smallInt(<i32>countCodePoints(strPtr(v), strLen(v)));
  if (t == T_ARRAY || t == T_OBJECT || t == T_SET) return smallInt(<i32>collLen(v));
  return 0;
}

export function hooker_equal(a: usize, b: usize): i32 {
  if (a == 0 || b == 0) return 0;
  return equalValues(a, b) ? 1 : 0;
}

export function hooker_compare(a: usize, b: usize): i32 { return compareValues(a, b); }
export function hooker_type(v: usize): i32 { return v == 0 ? 0 : tagOf(v); }

export function hooker_merge(a: usize, b: usize): usize { return mergeObjects(a, b); }
export function hooker_upsert(doc: usize, path: usize, v: usize): usize { return upsert(doc, path, v); }
export function hooker_to_set(v: usize): usize { return toSet(v); }

export function hooker_builtin_enter(): void { builtinEnter(); }
export function hooker_builtin_exit(): void { builtinExit(); }
export function hooker_set_strict(on: i32): void { setStrict(on); }

/** 0: slot not computed for these documents; 1: computed, undefined; else the value. */
export function hooker_memo_get(slot: i32, input: usize, data: usize): usize { return memoGet(slot, input, data); }
export function hooker_memo_put(slot: i32, slots: i32, input: usize, data: usize, v: usize): void { memoPut(slot, slots, input, data, v); }
