// Numbers. OPA numbers have arbitrary precision; we keep three kinds:
//   K_INT    an i64
//   K_FLOAT  an f64 computed at run time (non-integral or beyond i64)
//   K_DEC    decimal text that came from source or JSON ("1.5", "1e3"), kept
//            verbatim so dumping loses no digit; f64 approximation cached
//   K_BIG    integer text beyond i64 ("123456789012345678901234567890")
// Layout: [tag][kind][i64 | f64][text ptr][text len]

import { alloc, heapGet, heapSet } from "./memory";
import { T_NUMBER } from "./values";
import { dtoa_buffered } from "util/number";

export const K_INT: i32 = 0;
export const K_FLOAT: i32 = 1;
export const K_DEC: i32 = 2;
export const K_BIG: i32 = 3;

@inline export function numKind(v: usize): i32 { return load<i32>(v, 4); }
@inline export function numInt(v: usize): i64 { return load<i64>(v, 8); }
@inline export function numTextPtr(v: usize): usize { return load<usize>(v, 16); }
@inline export function numTextLen(v: usize): usize { return load<u32>(v, 20); }

/** f64 value (exact for K_FLOAT, nearest or close to it for the others). */
export function numF64(v: usize): f64 {
  return numKind(v) == K_INT ? <f64>numInt(v) : load<f64>(v, 8);
}

export function newInt(x: i64): usize {
  const v = alloc(24);
  store<i32>(v, T_NUMBER);
  store<i32>(v, K_INT, 4);
  store<i64>(v, x, 8);
  return v;
}

const SMALL_INTS: i32 = 256;
const smallIntTable = memory.data(SMALL_INTS * 24, 8);

/**
 * 0..255 (array indexes while scanning, lengths) from a static table
 * instead of a fresh heap block each time: numbers are never mutated, and
 * static memory outlives the heap reset between evaluations.
 */
export function smallInt(x: i32): usize {
  if (x < 0 || x >= SMALL_INTS) return newInt(x);
  const v = smallIntTable + (<usize>x) * 24;
  if (load<i32>(v, 4) != K_INT || load<i32>(v) != T_NUMBER) {
    store<i32>(v, T_NUMBER);
    store<i32>(v, K_INT, 4);
    store<i64>(v, <i64>x, 8);
  }
  return v;
}

function newFloatRaw(f: f64): usize {
  const v = alloc(24);
  store<i32>(v, T_NUMBER);
  store<i32>(v, K_FLOAT, 4);
  store<f64>(v, f, 8);
  return v;
}

const TWO63: f64 = 9223372036854775808.0;

/** Result of float arithmetic: integral values become K_INT (OPA prints 2.0 as 2). */
export function numberFromF64(f: f64): usize {
  if (f == Math.trunc(f) && f >= -TWO63 && f < TWO63) return newInt(<i64>f);
  return newFloatRaw(f);
}

@inline function isDigit(c: u32): bool { return c - 48 < 10; }

/** Parses -?digits as i64 into parsedInt; false on overflow. */
let parsedInt: i64 = 0;
function parseI64(ptr: usize, len: usize): bool {
  let i: usize = 0;
  let neg = false;
  if (len > 0 && load<u8>(ptr) == 45) { neg = true; i = 1; }
  if (i >= len) return false;
  // accumulate negatively so that i64.MIN_VALUE fits
  let acc: i64 = 0;
  for (; i < len; i++) {
    const c = <u32>load<u8>(ptr + i);
    if (!isDigit(c)) return false;
    const d = <i64>(c - 48);
    if (acc < (i64.MIN_VALUE + d) / 10) return false;
    acc = acc * 10 - d;
  }
  if (!neg) {
    if (acc == i64.MIN_VALUE) return false;
    acc = -acc;
  }
  parsedInt = acc;
  return true;
}

/** Whether text is -?digits. */
function isIntegerText(ptr: usize, len: usize): bool {
  let i: usize = 0;
  if (len > 0 && load<u8>(ptr) == 45) i = 1;
  if (i >= len) return false;
  for (; i < len; i++) if (!isDigit(load<u8>(ptr + i))) return false;
  return true;
}

// every power of ten a double can hold, each correctly rounded by the compiler
const POW10: StaticArray<f64> = [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22, 1e23, 1e24, 1e25, 1e26, 1e27, 1e28, 1e29, 1e30, 1e31, 1e32, 1e33, 1e34, 1e35, 1e36, 1e37, 1e38, 1e39, 1e40, 1e41, 1e42, 1e43, 1e44, 1e45, 1e46, 1e47, 1e48, 1e49, 1e50, 1e51, 1e52, 1e53, 1e54, 1e55, 1e56, 1e57, 1e58, 1e59, 1e60, 1e61, 1e62, 1e63, 1e64, 1e65, 1e66, 1e67, 1e68, 1e69, 1e70, 1e71, 1e72, 1e73, 1e74, 1e75, 1e76, 1e77, 1e78, 1e79, 1e80, 1e81, 1e82, 1e83, 1e84, 1e85, 1e86, 1e87, 1e88, 1e89, 1e90, 1e91, 1e92, 1e93, 1e94, 1e95, 1e96, 1e97, 1e98, 1e99, 1e100, 1e101, 1e102, 1e103, 1e104, 1e105, 1e106, 1e107, 1e108, 1e109, 1e110, 1e111, 1e112, 1e113, 1e114, 1e115, 1e116, 1e117, 1e118, 1e119, 1e120, 1e121, 1e122, 1e123, 1e124, 1e125, 1e126, 1e127, 1e128, 1e129, 1e130, 1e131, 1e132, 1e133, 1e134, 1e135, 1e136, 1e137, 1e138, 1e139, 1e140, 1e141, 1e142, 1e143, 1e144, 1e145, 1e146, 1e147, 1e148, 1e149, 1e150, 1e151, 1e152, 1e153, 1e154, 1e155, 1e156, 1e157, 1e158, 1e159, 1e160, 1e161, 1e162, 1e163, 1e164, 1e165, 1e166, 1e167, 1e168, 1e169, 1e170, 1e171, 1e172, 1e173, 1e174, 1e175, 1e176, 1e177, 1e178, 1e179, 1e180, 1e181, 1e182, 1e183, 1e184, 1e185, 1e186, 1e187, 1e188, 1e189, 1e190, 1e191, 1e192, 1e193, 1e194, 1e195, 1e196, 1e197, 1e198, 1e199, 1e200, 1e201, 1e202, 1e203, 1e204, 1e205, 1e206, 1e207, 1e208, 1e209, 1e210, 1e211, 1e212, 1e213, 1e214, 1e215, 1e216, 1e217, 1e218, 1e219, 1e220, 1e221, 1e222, 1e223, 1e224, 1e225, 1e226, 1e227, 1e228, 1e229, 1e230, 1e231, 1e232, 1e233, 1e234, 1e235, 1e236, 1e237, 1e238, 1e239, 1e240, 1e241, 1e242, 1e243, 1e244, 1e245, 1e246, 1e247, 1e248, 1e249, 1e250, 1e251, 1e252, 1e253, 1e254, 1e255, 1e256, 1e257, 1e258, 1e259, 1e260, 1e261, 1e262, 1e263, 1e264, 1e265, 1e266, 1e267, 1e268, 1e269, 1e270, 1e271, 1e272, 1e273, 1e274, 1e275, 1e276, 1e277, 1e278, 1e279, 1e280, 1e281, 1e282, 1e283, 1e284, 1e285, 1e286, 1e287, 1e288, 1e289, 1e290, 1e291, 1e292, 1e293, 1e294, 1e295, 1e296, 1e297, 1e298, 1e299, 1e300, 1e301, 1e302, 1e303, 1e304, 1e305, 1e306, 1e307, 1e308];

function scale10(m: f64, e: i32): f64 {
  if (m == 0) return m;
  if (e > 308) {
    if (e > 400) return Infinity;
    m *= 1e100;
    e -= 100;
    if (e > 308) return Infinity;
  }
  if (e < -308) {
    if (e < -400) return 0;
    m /= 1e100;
    e += 100;
  }
  if (e < -308) return 0;
  return e >= 0 ? m * unchecked(POW10[e]) : m / unchecked(POW10[-e]);
}

/**
 * Decimal text to f64. Exact (correctly rounded) when the significand has at
 * most 15 digits and the exponent is small, which covers JSON as people
 * write it; otherwise within an ulp or so.
 */
export function parseF64(ptr: usize, len: usize): f64 {
  let i: usize = 0;
  let neg = false;
  const c0 = len > 0 ? load<u8>(ptr) : 0;
  if (c0 == 45 || c0 == 43) { neg = c0 == 45; i = 1; }
  let mant: u64 = 0;
  let nd = 0;
  let exp10: i32 = 0;
  let seenDot = false;
  for (; i < len; i++) {
    const c = <u32>load<u8>(ptr + i);
    if (c == 46) { seenDot = true; continue; }
    if (!isDigit(c)) break;
    if (nd < 19) {
      if (mant != 0 || c != 48) { mant = mant * 10 + (c - 48); nd++; }
      if (seenDot) exp10--;
    } else if (!seenDot) {
      exp10++;
    }
  }
  if (i < len) {
    const c = load<u8>(ptr + i);
    if (c == 101 || c == 69) {
      i++;
      let eneg = false;
      if (i < len && (load<u8>(ptr + i) == 45 || load<u8>(ptr + i) == 43)) { eneg = load<u8>(ptr + i) == 45; i++; }
      let e: i32 = 0;
      for (; i < len; i++) {
        const d = <u32>load<u8>(ptr + i);
        if (!isDigit(d)) break;
        if (e < 100000) e = e * 10 + <i32>(d - 48);
      }
      exp10 += eneg ? -e : e;
    }
  }
  const r = scale10(<f64>mant, exp10);
  return neg ? -r : r;
}

/**
 * A number from decimal text. Integers that fit i64 become K_INT; the text
 * of anything else is kept (not copied: callers pass bytes that outlive it).
 */
export function numberFromText(ptr: usize, len: usize): usize {
  if (isIntegerText(ptr, len)) {
    if (parseI64(ptr, len)) return newInt(parsedInt);
  }
  const v = alloc(24);
  store<i32>(v, T_NUMBER);
  store<i32>(v, isIntegerText(ptr, len) ? K_BIG : K_DEC, 4);
  store<f64>(v, parseF64(ptr, len), 8);
  store<usize>(v, ptr, 16);
  store<u32>(v, <u32>len, 20);
  return v;
}

/** Decimal digits of x at dst (at most 20 bytes); returns the length. */
export function intToText(x: i64, dst: usize): usize {
  let n: usize = 0;
  let neg = x < 0;
  // work on the negative value so that i64.MIN_VALUE needs no special case
  let y = neg ? x : -x;
  const tmp = memory.data(24);
  do {
    store<u8>(tmp + n, <u8>(48 - <i32>(y % 10)));
    n++;
    y /= 10;
  } while (y != 0);
  let o: usize = 0;
  if (neg) { store<u8>(dst, 45); o = 1; }
  while (n > 0) {
    n--;
    store<u8>(dst + o, load<u8>(tmp + n));
    o++;
  }
  return o;
}

const dtoaScratch = memory.data(128);

/** Shortest round-tripping text of f at dst (at most 32 bytes); returns the length. */
export function floatToText(f: f64, dst: usize): usize {
  const n = <usize>dtoa_buffered(dtoaScratch, f);
  let len = n;
  // AssemblyScript writes integral floats as "2.0": OPA writes "2"
  if (len >= 2 && load<u16>(dtoaScratch + ((len - 1) << 1)) == 48 && load<u16>(dtoaScratch + ((len - 2) << 1)) == 46) len -= 2;
  for (let i: usize = 0; i < len; i++) store<u8>(dst + i, <u8>load<u16>(dtoaScratch + (i << 1)));
  return len;
}

/** Text of any number at a fresh heap block; sets textPtr/returns length. */
export let textPtr: usize = 0;
export function numberText(v: usize): usize {
  const k = numKind(v);
  if (k == K_DEC || k == K_BIG) {
    textPtr = numTextPtr(v);
    return numTextLen(v);
  }
  textPtr = alloc(32);
  return k == K_INT ? intToText(numInt(v), textPtr) : floatToText(load<f64>(v, 8), textPtr);
}

// --- exact comparison ---

let normNeg = false;
let normPoint: i32 = 0;

/**
 * Significant digits of decimal text at dst (ASCII), leading and trailing
 * zeros removed; value = 0.DIGITS * 10^normPoint, sign in normNeg.
 */
function normalize(ptr: usize, len: usize, dst: usize): usize {
  let i: usize = 0;
  normNeg = false;
  const c0 = len > 0 ? load<u8>(ptr) : 0;
  if (c0 == 45 || c0 == 43) { normNeg = c0 == 45; i = 1; }
  let n: usize = 0;
  let point: i32 = 0;
  let seenDot = false;
  for (; i < len; i++) {
    const c = <u32>load<u8>(ptr + i);
    if (c == 46) { seenDot = true; continue; }
    if (!isDigit(c)) break;
    if (n == 0 && c == 48) {
      if (seenDot) point--;
      continue;
    }
    store<u8>(dst + n, <u8>c);
    n++;
    if (!seenDot) point++;
  }
  if (i < len) {
    i++; // e or E
    let eneg = false;
    if (i < len && (load<u8>(ptr + i) == 45 || load<u8>(ptr + i) == 43)) { eneg = load<u8>(ptr + i) == 45; i++; }
    let e: i32 = 0;
    for (; i < len; i++) {
      const d = <u32>load<u8>(ptr + i);
      if (!isDigit(d)) break;
      if (e < 100000000) e = e * 10 + <i32>(d - 48);
    }
    point += eneg ? -e : e;
  }
  while (n > 0 && load<u8>(dst + n - 1) == 48) n--;
  if (n == 0) { normNeg = false; point = 0; }
  normPoint = point;
  return n;
}

function compareDecimalTexts(ap: usize, al: usize, bp: usize, bl: usize): i32 {
  const mark = heapGet();
  const da = alloc(al + 1);
  const na = normalize(ap, al, da);
  const aNeg = normNeg;
  const aPoint = normPoint;
  const db = alloc(bl + 1);
  const nb = normalize(bp, bl, db);
  const bNeg = normNeg;
  const bPoint = normPoint;
  heapSet(mark);
  const sa: i32 = na == 0 ? 0 : aNeg ? -1 : 1;
  const sb: i32 = nb == 0 ? 0 : bNeg ? -1 : 1;
  if (sa != sb) return sa < sb ? -1 : 1;
  if (sa == 0) return 0;
  let mag: i32 = 0;
  if (aPoint != bPoint) {
    mag = aPoint < bPoint ? -1 : 1;
  } else {
    const m = na < nb ? na : nb;
    for (let i: usize = 0; i < m && mag == 0; i++) {
      const x = load<u8>(da + i);
      const y = load<u8>(db + i);
      if (x != y) mag = x < y ? -1 : 1;
    }
    if (mag == 0 && na != nb) mag = na < nb ? -1 : 1;
  }
  return sa < 0 ? -mag : mag;
}

function compareIntFloat(i: i64, f: f64): i32 {
  if (f >= TWO63) return -1;
  if (f < -TWO63) return 1;
  const t = Math.trunc(f);
  const ti = <i64>t;
  if (i < ti) return -1;
  if (i > ti) return 1;
  const frac = f - t;
  return frac > 0 ? -1 : frac < 0 ? 1 : 0;
}

@inline function cmpF64(a: f64, b: f64): i32 { return a < b ? -1 : a > b ? 1 : 0; }

/** Numeric comparison across kinds: 1 == 1.0, 1 < 1.5, big integers exactly. */
export function compareNumbers(a: usize, b: usize): i32 {
  const ka = numKind(a);
  const kb = numKind(b);
  if (ka == K_INT && kb == K_INT) {
    const x = numInt(a);
    const y = numInt(b);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (ka == K_FLOAT || kb == K_FLOAT) {
    if (ka == K_INT) return compareIntFloat(numInt(a), load<f64>(b, 8));
    if (kb == K_INT) return -compareIntFloat(numInt(b), load<f64>(a, 8));
    return cmpF64(numF64(a), numF64(b));
  }
  const mark = heapGet();
  const al = numberText(a);
  const ap = textPtr;
  const bl = numberText(b);
  const bp = textPtr;
  const r = compareDecimalTexts(ap, al, bp, bl);
  heapSet(mark);
  return r;
}

/** Whether the number has an integral value. */
export function isIntegral(v: usize): bool {
  const k = numKind(v);
  if (k == K_INT || k == K_BIG) return true;
  const f = numF64(v);
  return f == Math.trunc(f);
}
