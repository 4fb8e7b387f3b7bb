// JSON text <-> values. Also the Rego-syntax dumper (sets as {1, 2} and
// set()) and the tagged encoding used while a TypeScript builtin runs:
//   {"\u0000set": [elems]}  and  {"\u0000obj": [[key, value], ...]}
// for sets and for objects having a non-string key.

import { alloc, grow } from "./memory";
import {
  T_NULL, T_BOOL, T_NUMBER, T_STRING, T_ARRAY, T_OBJECT, T_SET, NULL_VALUE, TRUE_VALUE, FALSE_VALUE,
  tagOf, boolOf, newString, strLen, strPtr, newArray, newObject, newSet, arrayAppend, collLen, arrayGet, objKeyAt, objValueAt,
} from "./values";
import { newInt, numberFromText, numberText, textPtr, numKind, numInt, K_INT, K_BIG, K_DEC } from "./number";
import { pushEntry, sortEntries } from "./collections";

// > 0 while a TypeScript builtin runs: dump and parse use the tagged encoding.
let taggedDepth: i32 = 0;
export function builtinEnter(): void { taggedDepth++; }
export function builtinExit(): void { if (taggedDepth > 0) taggedDepth--; }
/** A host builtin that threw never reached its exit: each evaluation starts untagged. */
export function builtinReset(): void { taggedDepth = 0; }

// ---------------------------------------------------------------- parsing

let pos: usize = 0;
let end: usize = 0;

@inline function peek(): u32 { return pos < end ? <u32>load<u8>(pos) : 0xffffffff; }
@inline function isDigit(c: u32): bool { return c - 48 < 10; }

function skipWs(): void {
  while (pos < end) {
    const c = load<u8>(pos);
    if (c != 32 && c != 10 && c != 13 && c != 9) break;
    pos++;
  }
}

/** Parses JSON text; 0 when it is not valid JSON. Strings and numbers may point into the text. */
export function parseJson(ptr: usize, len: usize): usize {
  pos = ptr;
  end = ptr + len;
  skipWs();
  const v = parseValue();
  if (v == 0) return 0;
  skipWs();
  return pos == end ? v : 0;
}

function expectWord(w: string): bool {
  const n = <usize>w.length;
  if (end - pos < n) return false;
  for (let i: usize = 0; i < n; i++) if (<u32>load<u8>(pos + i) != <u32>w.charCodeAt(<i32>i)) return false;
  pos += n;
  return true;
}

function parseValue(): usize {
  const c = peek();
  if (c == 123) return parseObject();
  if (c == 91) return parseArray();
  if (c == 34) return parseString();
  if (c == 116) return expectWord("true") ? TRUE_VALUE : 0;
  if (c == 102) return expectWord("false") ? FALSE_VALUE : 0;
  if (c == 110) return expectWord("null") ? NULL_VALUE : 0;
  if (c == 45 || isDigit(c)) return parseNumber();
  return 0;
}

function digits(): usize {
  const start = pos;
  while (pos < end && isDigit(load<u8>(pos))) pos++;
  return pos - start;
}

function parseNumber(): usize {
  const start = pos;
  if (!skipNumber()) return 0;
  // Plain integers of up to 18 digits (any i64 of that length) need no second pass.
  if (scannedInteger) {
    const neg = load<u8>(start) == 45;
    const first = neg ? start + 1 : start;
    if (pos - first <= 18) {
      let x: i64 = 0;
      for (let p = first; p < pos; p++) x = x * 10 + <i64>(load<u8>(p) - 48);
      return newInt(neg ? -x : x);
    }
  }
  return numberFromText(start, pos - start);
}

function hex4(p: usize): i32 {
  let v: i32 = 0;
  for (let i: usize = 0; i < 4; i++) {
    const c = <i32>load<u8>(p + i);
    let d: i32;
    if (c >= 48 && c <= 57) d = c - 48;
    else if (c >= 97 && c <= 102) d = c - 87;
    else if (c >= 65 && c <= 70) d = c - 55;
    else return -1;
    v = (v << 4) | d;
  }
  return v;
}

function putUtf8(dst: usize, cp: u32): usize {
  if (cp < 0x80) {
    store<u8>(dst, <u8>cp);
    return 1;
  }
  if (cp < 0x800) {
    store<u8>(dst, <u8>(0xc0 | (cp >> 6)));
    store<u8>(dst, <u8>(0x80 | (cp & 0x3f)), 1);
    return 2;
  }
  if (cp < 0x10000) {
    store<u8>(dst, <u8>(0xe0 | (cp >> 12)));
    store<u8>(dst, <u8>(0x80 | ((cp >> 6) & 0x3f)), 1);
    store<u8>(dst, <u8>(0x80 | (cp & 0x3f)), 2);
    return 3;
  }
  store<u8>(dst, <u8>(0xf0 | (cp >> 18)));
  store<u8>(dst, <u8>(0x80 | ((cp >> 12) & 0x3f)), 1);
  store<u8>(dst, <u8>(0x80 | ((cp >> 6) & 0x3f)), 2);
  store<u8>(dst, <u8>(0x80 | (cp & 0x3f)), 3);
  return 4;
}

/** Index of the first byte of 16 at p that is a quote, a backslash or a control character; 16 when none is. */
@inline function firstSpecial16(p: usize): i32 {
  const chunk = v128.load(p);
  const special = v128.or(
    v128.or(i8x16.eq(chunk, i8x16.splat(34)), i8x16.eq(chunk, i8x16.splat(92))),
    i8x16.lt_u(chunk, i8x16.splat(0x20)),
  );
  const mask = i8x16.bitmask(special);
  return mask == 0 ? 16 : ctz(mask);
}

/** Whether the last string scanString passed over had an escape. */
let scannedEscape = false;

/** Moves past the string opening at pos (its closing quote included); false when it is not a JSON string. */
function scanString(): bool {
  pos++; // opening quote
  let escaped = false;
  // Most string bytes need no look: skip 16 at a time up to the first that does.
  while (pos + 16 <= end) {
    const k = firstSpecial16(pos);
    pos += <usize>k;
    if (k < 16) break;
  }
  while (pos < end) {
    const c = load<u8>(pos);
    if (c == 34) break;
    if (c < 0x20) return false;
    if (c == 92) {
      escaped = true;
      pos += 2;
    } else {
      pos++;
    }
  }
  if (pos >= end) return false;
  pos++; // closing quote
  scannedEscape = escaped;
  return true;
}

function parseString(): usize {
  const start = pos + 1;
  if (!scanString()) return 0;
  const rawEnd = pos - 1;
  if (!scannedEscape) return newString(start, rawEnd - start);
  // unescaped text is never longer than the escaped text
  const buf = alloc(rawEnd - start);
  let o: usize = 0;
  let p = start;
  while (p < rawEnd) {
    const c = load<u8>(p);
    if (c != 92) {
      store<u8>(buf + o, c);
      o++;
      p++;
      continue;
    }
    const e = load<u8>(p + 1);
    p += 2;
    switch (e) {
      case 34: store<u8>(buf + o, 34); o++; break;
      case 92: store<u8>(buf + o, 92); o++; break;
      case 47: store<u8>(buf + o, 47); o++; break;
      case 98: store<u8>(buf + o, 8); o++; break;
      case 102: store<u8>(buf + o, 12); o++; break;
      case 110: store<u8>(buf + o, 10); o++; break;
      case 114: store<u8>(buf + o, 13); o++; break;
      case 116: store<u8>(buf + o, 9); o++; break;
      case 117: {
        if (p + 4 > rawEnd) return 0;
        let cp = hex4(p);
        if (cp < 0) return 0;
        p += 4;
        if (cp >= 0xd800 && cp < 0xdc00) {
          // high surrogate: combine with a following low surrogate, else U+FFFD (as Go does)
          let lo: i32 = -1;
          if (p + 6 <= rawEnd && load<u8>(p) == 92 && load<u8>(p + 1) == 117) lo = hex4(p + 2);
          if (lo >= 0xdc00 && lo < 0xe000) {
            cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
            p += 6;
          } else {
            cp = 0xfffd;
          }
        } else if (cp >= 0xdc00 && cp < 0xe000) {
          cp = 0xfffd;
        }
        o += putUtf8(buf + o, <u32>cp);
        break;
      }
      default: return 0;
    }
  }
  return newString(buf, o);
}

function parseArray(): usize {
  pos++;
  const arr = newArray(4);
  skipWs();
  if (peek() == 93) { pos++; return arr; }
  for (;;) {
    skipWs();
    const v = parseValue();
    if (v == 0) return 0;
    arrayAppend(arr, v);
    skipWs();
    const c = peek();
    pos++;
    if (c == 93) return arr;
    if (c != 44) return 0;
  }
  return 0;
}

function isTagKey(key: usize, second: u32): bool {
  // "\u0000set" / "\u0000obj" / "\u0000num": NUL then three ASCII letters
  if (tagOf(key) != T_STRING || strLen(key) != 4) return false;
  const p = strPtr(key);
  return load<u8>(p) == 0 && <u32>load<u8>(p + 1) == second;
}

function parseObject(): usize {
  pos++;
  const obj = newObject(4);
  skipWs();
  if (peek() == 125) { pos++; return obj; }
  for (;;) {
    skipWs();
    if (peek() != 34) return 0;
    const k = parseString();
    if (k == 0) return 0;
    skipWs();
    if (peek() != 58) return 0;
    pos++;
    skipWs();
    const v = parseValue();
    if (v == 0) return 0;
    pushEntry(obj, k, v);
    skipWs();
    const c = peek();
    pos++;
    if (c == 125) break;
    if (c != 44) return 0;
  }
  if (taggedDepth > 0 && collLen(obj) == 1) {
    const k = objKeyAt(obj, 0);
    const v = objValueAt(obj, 0);
    if (tagOf(v) == T_ARRAY) {
      if (isTagKey(k, 115)) return untagSet(v);
      if (isTagKey(k, 111)) return untagObject(v);
    }
    if (tagOf(v) == T_STRING && isTagKey(k, 110)) {
      const n = numberFromText(strPtr(v), strLen(v));
      if (n != 0) return n;
    }
  }
  sortEntries(obj);
  return obj;
}

// ------------------------------------------------- projected input parsing
//
// opa_eval's input is parsed through the policy's input projection (emitter,
// src/rego/plan/input-projection.ts): below a projection node, only the
// object keys it lists are built as values; every other member is checked as
// JSON and skipped, so that text the policy can never observe costs no
// allocation. A node:
//   [count u32] then count entries [key ptr u32][key len u32][child u32]
// where child 0 means the member's value is needed whole. The skipping
// functions accept exactly the text parseValue accepts.

/** The input projection of the linked policy (rewritten by the emitter), 0 when the whole input is needed. */
export let hooker_input_projection: usize = 0;

/** Parses JSON text like parseJson, building below `node` only the members it lists. */
export function parseJsonProjected(ptr: usize, len: usize, node: usize): usize {
  if (node == 0 || taggedDepth > 0) return parseJson(ptr, len);
  pos = ptr;
  end = ptr + len;
  skipWs();
  const v = peek() == 123 ? parseObjectProjected(node) : parseValue();
  if (v == 0) return 0;
  skipWs();
  return pos == end ? v : 0;
}

/** Entry of node whose key is the bytes (p, n), or 0. */
function projectionEntry(node: usize, p: usize, n: usize): usize {
  const count = load<u32>(node);
  for (let i: u32 = 0; i < count; i++) {
    const e = node + 4 + <usize>i * 12;
    if (<usize>load<u32>(e, 4) == n && memory.compare(load<usize>(e), p, n) == 0) return e;
  }
  return 0;
}

function parseObjectProjected(node: usize): usize {
  pos++;
  const obj = newObject(4);
  skipWs();
  if (peek() == 125) { pos++; return obj; }
  for (;;) {
    skipWs();
    if (peek() != 34) return 0;
    const at = pos;
    if (!skipString()) return 0;
    let entry: usize = 0;
    let k: usize = 0;
    if (!scannedEscape) {
      entry = projectionEntry(node, at + 1, pos - at - 2);
      if (entry != 0) k = newString(at + 1, pos - at - 2);
    } else {
      // An escaped key is compared unescaped.
      pos = at;
      k = parseString();
      if (k == 0) return 0;
      entry = projectionEntry(node, strPtr(k), strLen(k));
    }
    skipWs();
    if (peek() != 58) return 0;
    pos++;
    skipWs();
    if (entry != 0) {
      const child = load<usize>(entry, 8);
      const v = child != 0 && peek() == 123 ? parseObjectProjected(child) : parseValue();
      if (v == 0) return 0;
      pushEntry(obj, k, v);
    } else if (!skipValue()) {
      return 0;
    }
    skipWs();
    const c = peek();
    pos++;
    if (c == 125) break;
    if (c != 44) return 0;
  }
  sortEntries(obj);
  return obj;
}

function skipValue(): bool {
  const c = peek();
  if (c == 123) return skipObject();
  if (c == 91) return skipArray();
  if (c == 34) return skipString();
  if (c == 116) return expectWord("true");
  if (c == 102) return expectWord("false");
  if (c == 110) return expectWord("null");
  if (c == 45 || isDigit(c)) return skipNumber();
  return false;
}

/** parseString's checks without building the string. */
function skipString(): bool {
  const start = pos + 1;
  if (!scanString()) return false;
  if (!scannedEscape) return true;
  const rawEnd = pos - 1;
  let p = start;
  while (p < rawEnd) {
    if (load<u8>(p) != 92) { p++; continue; }
    const e = load<u8>(p + 1);
    p += 2;
    if (e == 34 || e == 92 || e == 47 || e == 98 || e == 102 || e == 110 || e == 114 || e == 116) continue;
    if (e != 117 || p + 4 > rawEnd || hex4(p) < 0) return false;
    p += 4;
  }
  return true;
}

function skipArray(): bool {
  pos++;
  skipWs();
  if (peek() == 93) { pos++; return true; }
  for (;;) {
    skipWs();
    if (!skipValue()) return false;
    skipWs();
    const c = peek();
    pos++;
    if (c == 93) return true;
    if (c != 44) return false;
  }
  return false;
}

function skipObject(): bool {
  pos++;
  skipWs();
  if (peek() == 125) { pos++; return true; }
  for (;;) {
    skipWs();
    if (peek() != 34 || !skipString()) return false;
    skipWs();
    if (peek() != 58) return false;
    pos++;
    skipWs();
    if (!skipValue()) return false;
    skipWs();
    const c = peek();
    pos++;
    if (c == 125) return true;
    if (c != 44) return false;
  }
  return false;
}

/** Whether the last number skipNumber passed over was an integer (no fraction, no exponent). */
let scannedInteger = false;

/** Moves past JSON number text; false when there is none at pos. */
function skipNumber(): bool {
  if (peek() == 45) pos++;
  if (peek() == 48) {
    pos++;
  } else if (digits() == 0) {
    return false;
  }
  scannedInteger = true;
  if (peek() == 46) {
    scannedInteger = false;
    pos++;
    if (digits() == 0) return false;
  }
  const e = peek();
  if (e == 101 || e == 69) {
    scannedInteger = false;
    pos++;
    const s = peek();
    if (s == 43 || s == 45) pos++;
    if (digits() == 0) return false;
  }
  return true;
}

/** Integers a double cannot hold exactly, and numbers beyond its range (2e308). */
function beyondDouble(v: usize): bool {
  const k = numKind(v);
  if (k == K_BIG) return true;
  if (k == K_DEC) return !isFinite(load<f64>(v, 8));
  if (k != K_INT) return false;
  const i = numInt(v);
  return i > 9007199254740992 || i < -9007199254740992;
}

function untagSet(elems: usize): usize {
  const n = collLen(elems);
  const s = newSet(n);
  for (let i: u32 = 0; i < n; i++) pushEntry(s, arrayGet(elems, i), 0);
  sortEntries(s);
  return s;
}

function untagObject(pairs: usize): usize {
  const n = collLen(pairs);
  const o = newObject(n);
  for (let i: u32 = 0; i < n; i++) {
    const pair = arrayGet(pairs, i);
    if (tagOf(pair) != T_ARRAY || collLen(pair) != 2) return 0;
    pushEntry(o, arrayGet(pair, 0), arrayGet(pair, 1));
  }
  sortEntries(o);
  return o;
}

// ---------------------------------------------------------------- dumping

let outPtr: usize = 0;
let outLen: usize = 0;
let outCap: usize = 0;

function reserve(n: usize): void {
  if (outLen + n <= outCap) return;
  let cap = outCap * 2;
  if (cap < outLen + n) cap = outLen + n + 64;
  outPtr = grow(outPtr, outCap, cap);
  outCap = cap;
}

@inline function putByte(b: u32): void {
  reserve(1);
  store<u8>(outPtr + outLen, <u8>b);
  outLen++;
}

function putBytes(p: usize, n: usize): void {
  reserve(n);
  memory.copy(outPtr + outLen, p, n);
  outLen += n;
}

function putLit(s: string): void {
  const n = s.length;
  reserve(<usize>n);
  for (let i = 0; i < n; i++) store<u8>(outPtr + outLen + i, <u8>s.charCodeAt(i));
  outLen += n;
}

const HEX = "0123456789abcdef";

function putQuoted(p: usize, n: usize): void {
  putByte(34);
  let runStart = p;
  const e = p + n;
  for (let q = p; q < e; q++) {
    const c = <u32>load<u8>(q);
    if (c >= 0x20 && c != 34 && c != 92) continue;
    putBytes(runStart, q - runStart);
    runStart = q + 1;
    if (c == 34) putLit("\\\"");
    else if (c == 92) putLit("\\\\");
    else if (c == 10) putLit("\\n");
    else if (c == 13) putLit("\\r");
    else if (c == 9) putLit("\\t");
    else if (c == 8) putLit("\\b");
    else if (c == 12) putLit("\\f");
    else {
      putLit("\\u00");
      putByte(<u32>HEX.charCodeAt(<i32>(c >> 4)));
      putByte(<u32>HEX.charCodeAt(<i32>(c & 15)));
    }
  }
  putBytes(runStart, e - runStart);
  putByte(34);
}

function hasNonStringKey(obj: usize): bool {
  // string keys sort after every scalar but before composites: checking the ends suffices
  const n = collLen(obj);
  if (n == 0) return false;
  return tagOf(objKeyAt(obj, 0)) != T_STRING || tagOf(objKeyAt(obj, n - 1)) != T_STRING;
}

/** Rego syntax (sets as {..}/set()) instead of JSON. */
let regoSyntax = false;

function dumpValue(v: usize): void {
  switch (tagOf(v)) {
    case T_NULL: putLit("null"); return;
    case T_BOOL: putLit(boolOf(v) ? "true" : "false"); return;
    case T_NUMBER: {
      const n = numberText(v);
      // A host builtin would read an integer beyond 2^53 through JSON.parse, rounded: tag it.
      if (!regoSyntax && taggedDepth > 0 && beyondDouble(v)) {
        putLit("{\"\\u0000num\":\"");
        putBytes(textPtr, n);
        putLit("\"}");
        return;
      }
      putBytes(textPtr, n);
      return;
    }
    case T_STRING: putQuoted(strPtr(v), strLen(v)); return;
    case T_ARRAY: dumpElems(v, 91, 93); return;
    case T_SET: {
      if (regoSyntax) {
        if (collLen(v) == 0) putLit("set()");
        else dumpElems(v, 123, 125);
      } else if (taggedDepth > 0) {
        putLit("{\"\\u0000set\":");
        dumpElems(v, 91, 93);
        putByte(125);
      } else {
        dumpElems(v, 91, 93);
      }
      return;
    }
    case T_OBJECT: {
      if (!regoSyntax && taggedDepth > 0 && hasNonStringKey(v)) {
        putLit("{\"\\u0000obj\":[");
        const n = collLen(v);
        for (let i: u32 = 0; i < n; i++) {
          if (i > 0) putByte(44);
          putByte(91);
          dumpValue(objKeyAt(v, i));
          putByte(44);
          dumpValue(objValueAt(v, i));
          putByte(93);
        }
        putLit("]}");
        return;
      }
      dumpObject(v);
      return;
    }
  }
  putLit("null");
}

function dumpElems(v: usize, open: u32, close: u32): void {
  putByte(open);
  const n = collLen(v);
  for (let i: u32 = 0; i < n; i++) {
    if (i > 0) separator(44);
    dumpValue(arrayGet(v, i));
  }
  putByte(close);
}

function dumpObject(v: usize): void {
  putByte(123);
  const n = collLen(v);
  for (let i: u32 = 0; i < n; i++) {
    if (i > 0) separator(44);
    const k = objKeyAt(v, i);
    if (tagOf(k) == T_STRING || regoSyntax) {
      dumpValue(k);
    } else {
      // JSON keys are strings: OPA writes a non-string key as its JSON text
      const start = outLen;
      dumpValue(k);
      const klen = outLen - start;
      const tmp = alloc(klen);
      memory.copy(tmp, outPtr + start, klen);
      outLen = start;
      putQuoted(tmp, klen);
    }
    separator(58);
    dumpValue(objValueAt(v, i));
  }
  putByte(125);
}

/** `,` or `:`; Rego text has a space after it, as OPA prints values. */
function separator(c: u32): void {
  putByte(c);
  if (regoSyntax) putByte(32);
}

function dumpWith(v: usize, rego: bool): usize {
  outCap = 64;
  outPtr = alloc(outCap);
  outLen = 0;
  regoSyntax = rego;
  if (v == 0) putLit("null");
  else dumpValue(v);
  putByte(0);
  return outPtr;
}

/** NUL-terminated JSON text of v. */
export function dumpJson(v: usize): usize { return dumpWith(v, false); }

/** NUL-terminated Rego text of v. */
export function dumpRego(v: usize): usize { return dumpWith(v, true); }
