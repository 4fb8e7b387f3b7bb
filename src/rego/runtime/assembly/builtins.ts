// Builtins implemented natively ("hot" ones the policies call all the
// time). Exported as native_<rego name with dots as underscores>; the map
// from Rego names is NATIVE_BUILTINS in src/rego/wasm/runtime-abi.ts.
// Each takes value pointers and returns a value or 0 (undefined); errors
// go through errors.ts (abort when strict, undefined otherwise).

import { alloc } from "./memory";
import {
  T_NUMBER, T_STRING, T_ARRAY, T_OBJECT, T_SET, T_NULL, T_BOOL, tagOf, boolValue, newString, strLen, strPtr,
  newArray, newSet, arrayAppend, collLen, collData, setCollLen, arrayGet, objValueAt, countCodePoints, stringFromLiteral,
} from "./values";
import { newInt, numberFromF64, numKind, numInt, numF64, isIntegral, K_INT, K_BIG, K_FLOAT, K_DEC, numberFromText, compareNumbers } from "./number";
import { bigAdd, bigMul, bigNeg } from "./bigint";
import { compareValues, equalValues } from "./compare";
import { findIndex, objectGet, setFind, pushEntry } from "./collections";
import { typeError, builtinError, operandError, msgOperandError, typeNameStr, msgStr, msgInt, msgAbort } from "./errors";
import { hooker_dot } from "./runtime-fns";

@inline function isNum(v: usize): bool { return tagOf(v) == T_NUMBER; }

// ------------------------------------------------------------ comparison

export function native_equal(a: usize, b: usize): usize { return boolValue(equalValues(a, b)); }
export function native_neq(a: usize, b: usize): usize { return boolValue(!equalValues(a, b)); }
export function native_lt(a: usize, b: usize): usize { return boolValue(compareValues(a, b) < 0); }
export function native_lte(a: usize, b: usize): usize { return boolValue(compareValues(a, b) <= 0); }
export function native_gt(a: usize, b: usize): usize { return boolValue(compareValues(a, b) > 0); }
export function native_gte(a: usize, b: usize): usize { return boolValue(compareValues(a, b) >= 0); }

// ------------------------------------------------------------ arithmetic

@inline function exactInt(v: usize): bool {
  const k = numKind(v);
  return k == K_INT || k == K_BIG;
}

function addNumbers(a: usize, b: usize, negateB: bool): usize {
  if (numKind(a) == K_INT && numKind(b) == K_INT) {
    const x = numInt(a);
    const y = numInt(b);
    const r = negateB ? x - y : x + y;
    const overflow = negateB ? ((x ^ y) & (x ^ r)) < 0 : ((x ^ r) & (y ^ r)) < 0;
    if (!overflow) return newInt(r);
  }
  if (exactInt(a) && exactInt(b)) return bigAdd(a, b, negateB);
  const fa = numF64(a);
  const fb = numF64(b);
  return numberFromF64(negateB ? fa - fb : fa + fb);
}

function mulNumbers(a: usize, b: usize): usize {
  if (numKind(a) == K_INT && numKind(b) == K_INT) {
    const x = numInt(a);
    const y = numInt(b);
    // |x*y| < 2^62 is safe; above that let the digit arithmetic decide
    if (Math.abs(<f64>x) * Math.abs(<f64>y) < 4.0e18) return newInt(x * y);
  }
  if (exactInt(a) && exactInt(b)) return bigMul(a, b);
  return numberFromF64(numF64(a) * numF64(b));
}

function isZero(v: usize): bool {
  const k = numKind(v);
  if (k == K_INT) return numInt(v) == 0;
  if (k == K_BIG) return false;
  return numF64(v) == 0;
}

export function native_plus(a: usize, b: usize): usize {
  if (!isNum(a)) return typeError("plus", 1, "number", tagOf(a));
  if (!isNum(b)) return typeError("plus", 2, "number", tagOf(b));
  return addNumbers(a, b, false);
}

export function native_minus(a: usize, b: usize): usize {
  const ta = tagOf(a);
  const tb = tagOf(b);
  if (ta == T_NUMBER && tb == T_NUMBER) return addNumbers(a, b, true);
  if (ta == T_SET && tb == T_SET) return setDifference(a, b);
  if (ta != T_NUMBER && ta != T_SET) return typeError("minus", 1, "one of {number, set}", ta);
  if (ta == T_SET) return typeError("minus", 2, "set", tb);
  return typeError("minus", 2, "number", tb);
}

export function native_mul(a: usize, b: usize): usize {
  if (!isNum(a)) return typeError("mul", 1, "number", tagOf(a));
  if (!isNum(b)) return typeError("mul", 2, "number", tagOf(b));
  return mulNumbers(a, b);
}

export function native_div(a: usize, b: usize): usize {
  if (!isNum(a)) return typeError("div", 1, "number", tagOf(a));
  if (!isNum(b)) return typeError("div", 2, "number", tagOf(b));
  if (isZero(b)) return builtinError("div", "divide by zero");
  if (numKind(a) == K_INT && numKind(b) == K_INT) {
    const x = numInt(a);
    const y = numInt(b);
    if (!(x == i64.MIN_VALUE && y == -1) && x % y == 0) return newInt(x / y);
  }
  return numberFromF64(numF64(a) / numF64(b));
}

export function native_rem(a: usize, b: usize): usize {
  if (!isNum(a)) return typeError("rem", 1, "number", tagOf(a));
  if (!isNum(b)) return typeError("rem", 2, "number", tagOf(b));
  if (!isIntegral(a) || !isIntegral(b)) return builtinError("rem", "modulo on floating-point number");
  if (isZero(b)) return builtinError("rem", "modulo by zero");
  if (numKind(a) == K_INT && numKind(b) == K_INT) {
    const y = numInt(b);
    return newInt(y == -1 ? 0 : numInt(a) % y);
  }
  const fa = numF64(a);
  const fb = numF64(b);
  return numberFromF64(fa % fb);
}

export function native_abs(a: usize): usize {
  if (!isNum(a)) return typeError("abs", 1, "number", tagOf(a));
  if (compareNumbers(a, ZERO) >= 0) return a;
  if (exactInt(a)) return numKind(a) == K_INT && numInt(a) != i64.MIN_VALUE ? newInt(-numInt(a)) : bigNeg(a);
  return numberFromF64(-numF64(a));
}

const ZERO: usize = memory.data<i64>([3, 0, 0]);

export function native_round(a: usize): usize {
  if (!isNum(a)) return typeError("round", 1, "number", tagOf(a));
  if (exactInt(a)) return a;
  const f = numF64(a);
  const t = Math.trunc(f);
  const d = f - t;
  // half away from zero, like Go's math.Round
  return numberFromF64(d >= 0.5 ? t + 1 : d <= -0.5 ? t - 1 : t);
}

export function native_ceil(a: usize): usize {
  if (!isNum(a)) return typeError("ceil", 1, "number", tagOf(a));
  if (exactInt(a)) return a;
  return numberFromF64(Math.ceil(numF64(a)));
}

export function native_floor(a: usize): usize {
  if (!isNum(a)) return typeError("floor", 1, "number", tagOf(a));
  if (exactInt(a)) return a;
  return numberFromF64(Math.floor(numF64(a)));
}

// ------------------------------------------------------------ aggregates

export function native_count(a: usize): usize {
  const t = tagOf(a);
  if (t == T_STRING) return newInt(countCodePoints(strPtr(a), strLen(a)));
  if (t == T_ARRAY || t == T_OBJECT || t == T_SET) return newInt(collLen(a));
  return typeError("count", 1, "one of {array, object, set, string}", t);
}

/** Element type error for a collection operand: "must be array of numbers but got array containing string". */
function elementError(name: string, pos: i32, coll: usize, want: string, elem: usize): usize {
  if (!builtinErrorsStrict()) return 0;
  msgOperandError(name, pos);
  msgStr("must be ");
  msgStr(typeNameStr(tagOf(coll)));
  msgStr(" of ");
  msgStr(want);
  msgStr(" but got ");
  msgStr(typeNameStr(tagOf(coll)));
  msgStr(" containing ");
  msgStr(typeNameStr(tagOf(elem)));
  msgAbort();
  return 0;
}

import { isStrict as builtinErrorsStrict } from "./errors";

function fold(name: string, a: usize, product: bool): usize {
  const t = tagOf(a);
  if (t != T_ARRAY && t != T_SET) return typeError(name, 1, "one of {set, array}", t);
  let acc = newInt(product ? 1 : 0);
  const n = collLen(a);
  for (let i: u32 = 0; i < n; i++) {
    const x = arrayGet(a, i);
    if (!isNum(x)) return elementError(name, 1, a, "numbers", x);
    acc = product ? mulNumbers(acc, x) : addNumbers(acc, x, false);
  }
  return acc;
}

export function native_sum(a: usize): usize { return fold("sum", a, false); }
export function native_product(a: usize): usize { return fold("product", a, true); }

function extreme(name: string, a: usize, sign: i32): usize {
  const t = tagOf(a);
  if (t != T_ARRAY && t != T_SET) return typeError(name, 1, "one of {set, array}", t);
  const n = collLen(a);
  if (n == 0) return 0;
  let best = arrayGet(a, 0);
  for (let i: u32 = 1; i < n; i++) {
    const x = arrayGet(a, i);
    if (compareValues(x, best) * sign > 0) best = x;
  }
  return best;
}

export function native_max(a: usize): usize { return extreme("max", a, 1); }
export function native_min(a: usize): usize { return extreme("min", a, -1); }

// ------------------------------------------------------------ sets

/** Elements of sorted a that are (keep = true) or are not in sorted b. */
function filterSet(a: usize, b: usize, keep: bool): usize {
  const na = collLen(a);
  const nb = collLen(b);
  const out = newSet(na);
  let j: u32 = 0;
  for (let i: u32 = 0; i < na; i++) {
    const x = arrayGet(a, i);
    let c: i32 = 1;
    while (j < nb) {
      c = compareValues(arrayGet(b, j), x);
      if (c >= 0) break;
      j++;
    }
    const found = j < nb && c == 0;
    if (found == keep) pushEntry(out, x, 0);
  }
  return out;
}

function setDifference(a: usize, b: usize): usize { return filterSet(a, b, false); }

export function native_and(a: usize, b: usize): usize {
  if (tagOf(a) != T_SET) return typeError("and", 1, "set", tagOf(a));
  if (tagOf(b) != T_SET) return typeError("and", 2, "set", tagOf(b));
  return filterSet(a, b, true);
}

export function native_or(a: usize, b: usize): usize {
  if (tagOf(a) != T_SET) return typeError("or", 1, "set", tagOf(a));
  if (tagOf(b) != T_SET) return typeError("or", 2, "set", tagOf(b));
  const na = collLen(a);
  const nb = collLen(b);
  const out = newSet(na + nb);
  let i: u32 = 0;
  let j: u32 = 0;
  while (i < na || j < nb) {
    let c: i32;
    if (i >= na) c = 1;
    else if (j >= nb) c = -1;
    else c = compareValues(arrayGet(a, i), arrayGet(b, j));
    if (c <= 0) {
      pushEntry(out, arrayGet(a, i), 0);
      i++;
      if (c == 0) j++;
    } else {
      pushEntry(out, arrayGet(b, j), 0);
      j++;
    }
  }
  return out;
}

// ------------------------------------------------------------ types

export function native_is_number(a: usize): usize { return boolValue(tagOf(a) == T_NUMBER); }
export function native_is_string(a: usize): usize { return boolValue(tagOf(a) == T_STRING); }
export function native_is_boolean(a: usize): usize { return boolValue(tagOf(a) == T_BOOL); }
export function native_is_array(a: usize): usize { return boolValue(tagOf(a) == T_ARRAY); }
export function native_is_set(a: usize): usize { return boolValue(tagOf(a) == T_SET); }
export function native_is_object(a: usize): usize { return boolValue(tagOf(a) == T_OBJECT); }
export function native_is_null(a: usize): usize { return boolValue(tagOf(a) == T_NULL); }

export function native_type_name(a: usize): usize { return stringFromLiteral(typeNameStr(tagOf(a))); }

// ------------------------------------------------------------ membership

export function native_internal_member_2(x: usize, coll: usize): usize {
  const t = tagOf(coll);
  if (t == T_SET) return boolValue(setFind(coll, x) != 0);
  if (t == T_ARRAY) {
    const n = collLen(coll);
    for (let i: u32 = 0; i < n; i++) if (equalValues(arrayGet(coll, i), x)) return boolValue(true);
  } else if (t == T_OBJECT) {
    const n = collLen(coll);
    for (let i: u32 = 0; i < n; i++) if (equalValues(objValueAt(coll, i), x)) return boolValue(true);
  }
  return boolValue(false);
}

export function native_internal_member_3(k: usize, v: usize, coll: usize): usize {
  const t = tagOf(coll);
  if (t != T_ARRAY && t != T_OBJECT) return boolValue(false);
  const got = hooker_dot(coll, k);
  return boolValue(got != 0 && equalValues(got, v));
}

// ------------------------------------------------------------ arrays

export function native_array_concat(a: usize, b: usize): usize {
  if (tagOf(a) != T_ARRAY) return typeError("array.concat", 1, "array", tagOf(a));
  if (tagOf(b) != T_ARRAY) return typeError("array.concat", 2, "array", tagOf(b));
  const na = collLen(a);
  const nb = collLen(b);
  const out = newArray(na + nb);
  memory.copy(collData(out), collData(a), <usize>na << 2);
  memory.copy(collData(out) + (<usize>na << 2), collData(b), <usize>nb << 2);
  setCollLen(out, na + nb);
  return out;
}

/** Integer operand for index-like arguments; sets intOk = false (after reporting) when not an integer. */
let intOk = false;
function intOperand(name: string, pos: i32, v: usize): i64 {
  intOk = false;
  if (!isNum(v)) { typeError(name, pos, "number", tagOf(v)); return 0; }
  if (!isIntegral(v)) {
    operandError(name, pos, "must be integer number but got floating-point number");
    return 0;
  }
  intOk = true;
  const k = numKind(v);
  if (k == K_INT) return numInt(v);
  const f = numF64(v);
  return f >= 9.2e18 ? i64.MAX_VALUE : f <= -9.2e18 ? i64.MIN_VALUE : <i64>f;
}

export function native_array_slice(a: usize, start: usize, stop: usize): usize {
  if (tagOf(a) != T_ARRAY) return typeError("array.slice", 1, "array", tagOf(a));
  let from = intOperand("array.slice", 2, start);
  if (!intOk) return 0;
  let to = intOperand("array.slice", 3, stop);
  if (!intOk) return 0;
  const n = <i64>collLen(a);
  if (to > n) to = n;
  else if (to < 0) to = 0;
  if (from < 0) from = 0;
  if (from > to) from = to;
  const len = <u32>(to - from);
  const out = newArray(len);
  memory.copy(collData(out), collData(a) + (<usize>from << 2), <usize>len << 2);
  setCollLen(out, len);
  return out;
}

// ------------------------------------------------------------ strings

export function native_concat(delim: usize, coll: usize): usize {
  if (tagOf(delim) != T_STRING) return typeError("concat", 1, "string", tagOf(delim));
  const t = tagOf(coll);
  if (t != T_ARRAY && t != T_SET) return typeError("concat", 2, "one of {set, array}", t);
  const n = collLen(coll);
  const dl = strLen(delim);
  let total: usize = n > 0 ? <usize>(n - 1) * dl : 0;
  for (let i: u32 = 0; i < n; i++) {
    const s = arrayGet(coll, i);
    if (tagOf(s) != T_STRING) return elementError("concat", 2, coll, "strings", s);
    total += strLen(s);
  }
  const buf = alloc(total);
  let o: usize = 0;
  for (let i: u32 = 0; i < n; i++) {
    if (i > 0) {
      memory.copy(buf + o, strPtr(delim), dl);
      o += dl;
    }
    const s = arrayGet(coll, i);
    memory.copy(buf + o, strPtr(s), strLen(s));
    o += strLen(s);
  }
  return newString(buf, total);
}

function bytesEqual(a: usize, b: usize, n: usize): bool { return memory.compare(a, b, n) == 0; }

function twoStrings(name: string, a: usize, b: usize): bool {
  if (tagOf(a) != T_STRING) { typeError(name, 1, "string", tagOf(a)); return false; }
  if (tagOf(b) != T_STRING) { typeError(name, 2, "string", tagOf(b)); return false; }
  return true;
}

export function native_startswith(s: usize, p: usize): usize {
  if (!twoStrings("startswith", s, p)) return 0;
  const n = strLen(p);
  return boolValue(strLen(s) >= n && bytesEqual(strPtr(s), strPtr(p), n));
}

export function native_endswith(s: usize, p: usize): usize {
  if (!twoStrings("endswith", s, p)) return 0;
  const n = strLen(p);
  const sl = strLen(s);
  return boolValue(sl >= n && bytesEqual(strPtr(s) + sl - n, strPtr(p), n));
}

export function native_contains(s: usize, p: usize): usize {
  if (!twoStrings("contains", s, p)) return 0;
  const n = strLen(p);
  const sl = strLen(s);
  if (n == 0) return boolValue(true);
  if (n > sl) return boolValue(false);
  const sp = strPtr(s);
  const pp = strPtr(p);
  const first = load<u8>(pp);
  for (let i: usize = 0; i + n <= sl; i++) {
    if (load<u8>(sp + i) == first && bytesEqual(sp + i, pp, n)) return boolValue(true);
  }
  return boolValue(false);
}

/** Case mapping of one code point: ASCII, Latin-1, Greek and Cyrillic capitals. */
function mapCase(cp: u32, upper: bool): u32 {
  if (upper) {
    if (cp >= 97 && cp <= 122) return cp - 32;
    if (cp >= 0xe0 && cp <= 0xfe && cp != 0xf7) return cp - 32;
    if (cp >= 0x3b1 && cp <= 0x3c9 && cp != 0x3c2) return cp - 32;
    if (cp >= 0x430 && cp <= 0x44f) return cp - 32;
    if (cp >= 0x450 && cp <= 0x45f) return cp - 80;
  } else {
    if (cp >= 65 && cp <= 90) return cp + 32;
    if (cp >= 0xc0 && cp <= 0xde && cp != 0xd7) return cp + 32;
    if (cp >= 0x391 && cp <= 0x3a9 && cp != 0x3a2) return cp + 32;
    if (cp >= 0x410 && cp <= 0x42f) return cp + 32;
    if (cp >= 0x400 && cp <= 0x40f) return cp + 80;
  }
  return cp;
}

function changeCase(name: string, s: usize, upper: bool): usize {
  if (tagOf(s) != T_STRING) return typeError(name, 1, "string", tagOf(s));
  const n = strLen(s);
  const p = strPtr(s);
  // the mapped ranges keep their UTF-8 length, so the output has the same size
  const buf = alloc(n);
  let i: usize = 0;
  while (i < n) {
    const b0 = <u32>load<u8>(p + i);
    if (b0 < 0x80) {
      store<u8>(buf + i, <u8>mapCase(b0, upper));
      i++;
    } else if ((b0 & 0xe0) == 0xc0 && i + 1 < n) {
      const cp = mapCase(((b0 & 0x1f) << 6) | (<u32>load<u8>(p + i + 1) & 0x3f), upper);
      store<u8>(buf + i, <u8>(0xc0 | (cp >> 6)));
      store<u8>(buf + i + 1, <u8>(0x80 | (cp & 0x3f)));
      i += 2;
    } else {
      store<u8>(buf + i, <u8>b0);
      i++;
    }
  }
  return newString(buf, n);
}

export function native_lower(s: usize): usize { return changeCase("lower", s, false); }
export function native_upper(s: usize): usize { return changeCase("upper", s, true); }

// ------------------------------------------------------------ objects

export function native_object_get(obj: usize, key: usize, dflt: usize): usize {
  if (tagOf(obj) != T_OBJECT) return typeError("object.get", 1, "object", tagOf(obj));
  if (tagOf(key) != T_ARRAY) {
    const v = objectGet(obj, key);
    return v != 0 ? v : dflt;
  }
  let cur = obj;
  const n = collLen(key);
  for (let i: u32 = 0; i < n && cur != 0; i++) cur = hooker_dot(cur, arrayGet(key, i));
  return cur != 0 ? cur : dflt;
}

// ------------------------------------------------------------ bits

let bitsOk = false;
function bitsOperand(name: string, pos: i32, v: usize): i64 {
  bitsOk = false;
  if (!isNum(v)) { typeError(name, pos, "number", tagOf(v)); return 0; }
  if (!isIntegral(v)) {
    operandError(name, pos, "must be integer number but got floating-point number");
    return 0;
  }
  if (numKind(v) != K_INT) {
    // beyond i64: not supported natively
    builtinError(name, "integer out of range");
    return 0;
  }
  bitsOk = true;
  return numInt(v);
}

export function native_bits_and(a: usize, b: usize): usize {
  const x = bitsOperand("bits.and", 1, a); if (!bitsOk) return 0;
  const y = bitsOperand("bits.and", 2, b); if (!bitsOk) return 0;
  return newInt(x & y);
}

export function native_bits_or(a: usize, b: usize): usize {
  const x = bitsOperand("bits.or", 1, a); if (!bitsOk) return 0;
  const y = bitsOperand("bits.or", 2, b); if (!bitsOk) return 0;
  return newInt(x | y);
}

export function native_bits_xor(a: usize, b: usize): usize {
  const x = bitsOperand("bits.xor", 1, a); if (!bitsOk) return 0;
  const y = bitsOperand("bits.xor", 2, b); if (!bitsOk) return 0;
  return newInt(x ^ y);
}

export function native_bits_negate(a: usize): usize {
  const x = bitsOperand("bits.negate", 1, a); if (!bitsOk) return 0;
  return newInt(~x);
}

function shiftCount(name: string, v: usize): i64 {
  const s = bitsOperand(name, 2, v);
  if (!bitsOk) return 0;
  if (s < 0) {
    bitsOk = false;
    operandError(name, 2, "must be an unsigned integer number but got a negative integer");
  }
  return s;
}

export function native_bits_lsh(a: usize, b: usize): usize {
  const x = bitsOperand("bits.lsh", 1, a); if (!bitsOk) return 0;
  const s = shiftCount("bits.lsh", b); if (!bitsOk) return 0;
  // exact: multiply by 2^s with the digit arithmetic once i64 would overflow
  let r = newInt(x);
  let left = s;
  while (left > 0) {
    const step: i64 = left > 30 ? 30 : left;
    r = mulNumbers(r, newInt((<i64>1) << step));
    left -= step;
  }
  return r;
}

export function native_bits_rsh(a: usize, b: usize): usize {
  const x = bitsOperand("bits.rsh", 1, a); if (!bitsOk) return 0;
  const s = shiftCount("bits.rsh", b); if (!bitsOk) return 0;
  return newInt(s >= 64 ? (x < 0 ? -1 : 0) : x >> s);
}
