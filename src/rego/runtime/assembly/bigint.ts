// Integers beyond i64 as decimal digit strings. Only what OPA's arbitrary
// precision needs in practice: add, subtract, multiply.

import { alloc } from "./memory";
import { numKind, numInt, numTextPtr, numTextLen, intToText, numberFromText, K_INT } from "./number";

// magnitude of the last operand read by readInt
let rNeg = false;
let rPtr: usize = 0;
let rLen: usize = 0;

/** Sign and magnitude digits of an integral K_INT or K_BIG number. */
function readInt(v: usize): void {
  let p: usize;
  let n: usize;
  if (numKind(v) == K_INT) {
    p = alloc(24);
    n = intToText(numInt(v), p);
  } else {
    p = numTextPtr(v);
    n = numTextLen(v);
  }
  rNeg = n > 0 && load<u8>(p) == 45;
  if (rNeg) { p++; n--; }
  while (n > 1 && load<u8>(p) == 48) { p++; n--; }
  rPtr = p;
  rLen = n;
}

function magCmp(ap: usize, al: usize, bp: usize, bl: usize): i32 {
  if (al != bl) return al < bl ? -1 : 1;
  for (let i: usize = 0; i < al; i++) {
    const x = load<u8>(ap + i);
    const y = load<u8>(bp + i);
    if (x != y) return x < y ? -1 : 1;
  }
  return 0;
}

// digits are written right-aligned into a buffer with one spare byte in front for the sign
let oPtr: usize = 0;
let oLen: usize = 0;

function magAdd(ap: usize, al: usize, bp: usize, bl: usize): void {
  const n = (al > bl ? al : bl) + 1;
  const buf = alloc(n + 1);
  let carry: u32 = 0;
  let i: usize = 0;
  for (; i < n; i++) {
    let s = carry;
    if (i < al) s += <u32>load<u8>(ap + al - 1 - i) - 48;
    if (i < bl) s += <u32>load<u8>(bp + bl - 1 - i) - 48;
    carry = s / 10;
    store<u8>(buf + n - i, <u8>(48 + s % 10));
  }
  trimInto(buf, n);
}

/** a - b with |a| >= |b|. */
function magSub(ap: usize, al: usize, bp: usize, bl: usize): void {
  const n = al;
  const buf = alloc(n + 1);
  let borrow: i32 = 0;
  for (let i: usize = 0; i < n; i++) {
    let d = <i32>load<u8>(ap + al - 1 - i) - 48 - borrow;
    if (i < bl) d -= <i32>load<u8>(bp + bl - 1 - i) - 48;
    borrow = d < 0 ? 1 : 0;
    if (d < 0) d += 10;
    store<u8>(buf + n - i, <u8>(48 + d));
  }
  trimInto(buf, n);
}

function magMul(ap: usize, al: usize, bp: usize, bl: usize): void {
  const n = al + bl;
  const acc = alloc(n << 2);
  memory.fill(acc, 0, n << 2);
  for (let i: usize = 0; i < al; i++) {
    const x = <u32>load<u8>(ap + al - 1 - i) - 48;
    if (x == 0) continue;
    for (let j: usize = 0; j < bl; j++) {
      const y = <u32>load<u8>(bp + bl - 1 - j) - 48;
      const at = acc + ((i + j) << 2);
      store<u32>(at, load<u32>(at) + x * y);
    }
  }
  const buf = alloc(n + 1);
  let carry: u32 = 0;
  for (let k: usize = 0; k < n; k++) {
    const s = load<u32>(acc + (k << 2)) + carry;
    carry = s / 10;
    store<u8>(buf + n - k, <u8>(48 + s % 10));
  }
  trimInto(buf, n);
}

/** Digits at buf+1 .. buf+n: drop leading zeros, leaving room for a sign before them. */
function trimInto(buf: usize, n: usize): void {
  let p = buf + 1;
  while (n > 1 && load<u8>(p) == 48) { p++; n--; }
  oPtr = p;
  oLen = n;
}

function result(neg: bool): usize {
  let p = oPtr;
  let n = oLen;
  if (neg && !(n == 1 && load<u8>(p) == 48)) {
    p--;
    n++;
    store<u8>(p, 45);
  }
  return numberFromText(p, n);
}

/** a + b (or a - b when negateB) for integral K_INT/K_BIG numbers. */
export function bigAdd(a: usize, b: usize, negateB: bool): usize {
  readInt(a);
  const an = rNeg, ap = rPtr, al = rLen;
  readInt(b);
  const bn = negateB ? !rNeg : rNeg, bp = rPtr, bl = rLen;
  if (an == bn) {
    magAdd(ap, al, bp, bl);
    return result(an);
  }
  if (magCmp(ap, al, bp, bl) >= 0) {
    magSub(ap, al, bp, bl);
    return result(an);
  }
  magSub(bp, bl, ap, al);
  return result(bn);
}

export function bigMul(a: usize, b: usize): usize {
  readInt(a);
  const an = rNeg, ap = rPtr, al = rLen;
  readInt(b);
  magMul(ap, al, rPtr, rLen);
  return result(an != rNeg);
}

/** -a for an integral number. */
export function bigNeg(a: usize): usize {
  readInt(a);
  oPtr = rPtr;
  oLen = rLen;
  // result() writes the sign in front of the digits: copy them first
  const buf = alloc(rLen + 1);
  memory.copy(buf + 1, rPtr, rLen);
  oPtr = buf + 1;
  return result(!rNeg);
}
