// One linear pass over a JSON text before it is parsed: how deep it nests
// and how many object keys it has (numbers a 64-bit float cannot hold are
// kept exact by src/json/lossless.ts, not refused). No recursion, so a
// hostile body cannot overflow the stack here, and a body over a limit is
// refused before any object is built. Syntax errors are left to JSON.parse
// (this pass only looks at structure).
//
// The same pass also notes what the ingest path would otherwise learn in
// further passes over the text (JsonFacts): whether any number must be kept
// as its digits (else a plain JSON.parse holds every number: lossless.ts's
// regex pre-test and token scan are skipped), and whether the text is written
// exactly as stringifyJson writes what JSON.parse makes of it, so the router
// can take the body as the event's text instead of serialising the event
// again (issue 12: the regex, the serialisation and its UTF-8 encoding were
// about 9 µs of an event's ~10 µs of JSON work besides JSON.parse itself).

import { inexactNumber, stringEnd } from '../json/lossless.js';

export interface JsonLimits {
  /** Deepest nesting of objects and arrays allowed (HOOKER_MAX_DEPTH). */
  maxDepth: number;
  /** Most object keys allowed in the whole body (HOOKER_MAX_KEYS). */
  maxKeys: number;
}

export type ShapeReason = 'too_deep' | 'too_many_keys';

export interface ShapeProblem {
  reason: ShapeReason;
  message: string;
  position: number;
  path: string;
}

/**
 * What checkJsonShape saw of a text it let through. Only meaningful when
 * JSON.parse then accepts the text (for malformed text the pass may stop
 * early).
 */
export interface JsonFacts {
  /** Object keys written in the text, a duplicate key counted each time. */
  keys: number;
  /** Deepest nesting seen. */
  depth: number;
  /** Some number token is one JSON.parse would change (lossless.ts's inexactNumber): parse with parseJson. */
  inexact: boolean;
  /**
   * No whitespace outside strings, no escape but \" \\ \b \f \n \r \t, every
   * number as JavaScript writes it (or kept as its digits), in every object
   * its array-index keys ("0", "17", ...) first and ascending (the order a
   * JavaScript object enumerates them in), and no object with a key twice
   * (JSON.parse keeps the last). Such a text is exactly
   * stringifyJson(JSON.parse(text)) when it came from valid UTF-8 (no lone
   * surrogates, which JSON.stringify would escape).
   */
  canonical: boolean;
  /** Keys of the top-level object as written (0 for any other value). */
  topKeys: number;
  /**
   * JSON.parse accepts the text. Decided only for a text the pass finds
   * canonical (for any other it reads false, whatever the text): the ingest
   * path then need not parse a canonical body it only stores and forwards
   * (issue 12: JSON.parse was ~5 % of the event loop per event), and a body
   * with a syntax error still goes through JSON.parse, which names where.
   */
  valid: boolean;
  /** The top-level object has the key `hooker` (Hooker's reserved one, which ingest removes), written as is (not escaped). */
  hookerKey: boolean;
}

const OBJECT = 1;
const ARRAY = 2;
const IDENT = /^[A-Za-z_$][A-Za-z0-9_$]*$/;
/** Largest array index (2^32 - 2): a larger digit key is an ordinary key, enumerated in insertion order. */
const MAX_INDEX = 4294967294;
/**
 * What the grammar lets come next (JsonFacts.valid): a value; a value or `]`
 * (after `[`); a key or `}` (after `{`); a key (after `,` in an object); `:`;
 * after a value, `,` or a close (or the end, at the top).
 */
const VALUE = 0;
const VALUE_OR_CLOSE = 1;
const KEY_OR_CLOSE = 2;
const KEY = 3;
const COLON = 4;
const AFTER = 5;
/** A number token as JSON writes one (checked for the rare kept numbers; shorter tokens are checked by hand). */
const JSON_NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][-+]?\d+)?$/;
/** A control character: JSON.parse refuses one unescaped in a string (and outside strings only whitespace may be one). */
const CONTROL = /[\u0000-\u001f]/;
/** In Frames.lastIndex: an ordinary key came, so no index key may follow in a canonical text. */
const ORDINARY = Infinity;
/**
 * An object with more keys than this is not checked for a key written twice:
 * the text is then taken as not canonical (the event is serialised, as any
 * other), so the check stays linear in the keys of a hostile body.
 */
const MAX_KEYS_CHECKED = 64;

/**
 * Per nesting level: container kind, the key being read (its text span) and
 * the array index, for the path in a refusal, and the last array-index key
 * of an object (for JsonFacts.canonical). Grown as the text nests deeper
 * (never past maxDepth + 1): almost every event is a few levels deep, and
 * sizing these for HOOKER_MAX_DEPTH on every request was a measurable part of
 * an event's parse (issue 12). One set is kept between calls (the pass is
 * synchronous), so a request allocates none.
 */
class Frames {
  kind = new Uint8Array(16);
  keyStart = new Int32Array(16);
  keyEnd = new Int32Array(16);
  index = new Int32Array(16);
  lastIndex = new Float64Array(16);
  /** Where the keys of the object open at each level start in keyAt/keyTo. */
  keysFrom = new Int32Array(16);
  /** The keys (positions of their quotes) of the objects being read, outermost first, for the duplicate check. */
  keyAt = new Int32Array(64);
  keyTo = new Int32Array(64);

  /** Makes room for level `depth`. */
  reach(depth: number): void {
    if (depth < this.kind.length) return;
    const size = Math.max(depth + 1, this.kind.length * 2);
    const grow = <T extends Uint8Array | Int32Array | Float64Array>(a: T, make: (n: number) => T): T => { const b = make(size); b.set(a); return b; };
    this.kind = grow(this.kind, (n) => new Uint8Array(n));
    this.keyStart = grow(this.keyStart, (n) => new Int32Array(n));
    this.keyEnd = grow(this.keyEnd, (n) => new Int32Array(n));
    this.index = grow(this.index, (n) => new Int32Array(n));
    this.lastIndex = grow(this.lastIndex, (n) => new Float64Array(n));
    this.keysFrom = grow(this.keysFrom, (n) => new Int32Array(n));
  }

  /** Makes room for key number `top` of the key stack. */
  reachKey(top: number): void {
    if (top < this.keyAt.length) return;
    const a = new Int32Array(this.keyAt.length * 2);
    a.set(this.keyAt);
    this.keyAt = a;
    const b = new Int32Array(this.keyTo.length * 2);
    b.set(this.keyTo);
    this.keyTo = b;
  }

  /** Back to the small size after a deep text, so one hostile body does not keep megabytes. */
  shrink(): void {
    if (this.kind.length > 1024 || this.keyAt.length > 4096) Object.assign(this, new Frames());
  }
}

const frames = new Frames();

function keyText(text: string, start: number, end: number): string {
  try { return JSON.parse(text.slice(start, end + 1)) as string; } catch { return text.slice(start + 1, end); }
}

/** `$.a.b[3]["x y"]`, shortened in the middle when very deep. */
function pathOf(text: string, f: Frames, depth: number): string {
  const parts: string[] = [];
  for (let d = 1; d <= depth; d++) {
    if (f.kind[d] === ARRAY) parts.push(`[${f.index[d]}]`);
    else if (f.keyStart[d] >= 0) {
      const k = keyText(text, f.keyStart[d]!, f.keyEnd[d]!);
      parts.push(IDENT.test(k) ? `.${k}` : `[${JSON.stringify(k)}]`);
    }
  }
  const shown = parts.length > 12 ? [...parts.slice(0, 6), `…(${parts.length - 11} levels)…`, ...parts.slice(-5)] : parts;
  return `$${shown.join('')}`;
}

/** The array index a key's text (between its quotes, start..end exclusive) names, or -1 when it is an ordinary key. */
function arrayIndex(text: string, start: number, end: number): number {
  const len = end - start;
  if (len < 1 || len > 10) return -1;
  const first = text.charCodeAt(start);
  if (first < 48 || first > 57 || (first === 48 && len > 1)) return -1;
  let n = 0;
  for (let i = start; i < end; i++) {
    const d = text.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n <= MAX_INDEX ? n : -1;
}

/**
 * Looks at a number token JSON.parse does not hold plainly (a fraction, an
 * exponent, or more than 15 characters): sets facts.inexact when JSON.parse
 * would change it, clears facts.canonical when JavaScript would write its
 * value differently.
 */
function noteNumber(token: string, facts: JsonFacts): void {
  if (inexactNumber(token)) {
    facts.inexact = true; // kept as its digits, written back verbatim
    // Number() also takes what JSON does not (a leading zero, `1.`): such a token is a syntax error for JSON.parse.
    if (!JSON_NUMBER.test(token)) facts.valid = false;
  } else if (String(Number(token)) !== token) facts.canonical = false; // (JavaScript's own writing of a number is valid JSON)
}

/**
 * Whether the key whose quotes are at `at`..`to` was written before in the
 * object open at `depth` (the same text between the quotes: in a canonical
 * text each key has one spelling). Compares at most `budget.left` characters
 * in all, so a hostile body cannot make the pass quadratic: past the budget
 * the answer is "maybe", taken as a duplicate (the text is then not canonical).
 */
function writtenBefore(text: string, f: Frames, depth: number, top: number, at: number, to: number, budget: { left: number }): boolean {
  const len = to - at;
  for (let k = f.keysFrom[depth]!; k < top; k++) {
    const a = f.keyAt[k]!;
    if (f.keyTo[k]! - a !== len) continue;
    let i = 1;
    while (i < len && text.charCodeAt(a + i) === text.charCodeAt(at + i)) i++;
    budget.left -= i;
    if (i === len || budget.left < 0) return true;
  }
  return false;
}

/** Whether every escape in the text is one JSON.stringify writes (the two-character ones; any \u escape counts as not). */
function canonicalEscapes(text: string): boolean {
  for (let p = text.indexOf('\\'); p >= 0; p = text.indexOf('\\', p + 2)) {
    const c = text.charCodeAt(p + 1);
    // " \ b f n r t
    if (!(c === 34 || c === 92 || c === 98 || c === 102 || c === 110 || c === 114 || c === 116)) return false;
  }
  return true;
}

/** The first limit the text breaks, or undefined; `facts`, when given, gets what the pass saw (see JsonFacts). */
export function checkJsonShape(text: string, limits: JsonLimits, facts?: JsonFacts): ShapeProblem | undefined {
  const problem = scan(text, limits, facts);
  frames.shrink();
  return problem;
}

function scan(text: string, limits: JsonLimits, facts: JsonFacts | undefined): ShapeProblem | undefined {
  const f = frames;
  let depth = 0;
  let maxDepth = 0;
  let keys = 0;
  let lastStringStart = -1;
  let lastStringEnd = -1;
  // Written to the caller's object at the end only: a local is cheaper in the loop.
  const seen: JsonFacts = { keys: 0, depth: 0, inexact: false, canonical: true, topKeys: 0, valid: true, hookerKey: false };
  // The grammar's state (JsonFacts.valid): what may come next.
  let next = VALUE;
  const n = text.length;
  // The keys of the open objects (f.keyAt/keyTo up to keyTop), looked through for a key written twice while the text may be canonical.
  let keyTop = 0;
  // Characters compared in all by the duplicate check: objects of many keys alike in their first characters are common, hostile ones made to take long are not.
  const budget = { left: 4 * n + 4096 };
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 34 /* " */) {
      const j = stringEnd(text, i);
      if (j < 0) return undefined; // unterminated: a syntax error for JSON.parse
      if (next <= VALUE_OR_CLOSE) next = AFTER;
      else if (next === KEY_OR_CLOSE || next === KEY) next = COLON;
      else seen.valid = false;
      lastStringStart = i;
      lastStringEnd = j;
      i = j;
    } else if (c === 45 /* - */ || (c >= 48 && c <= 57)) {
      // The token's end (as lossless.ts numberEnd), noting whether it is only digits.
      let j = i + 1;
      let digits = true;
      for (; j < n; j++) {
        const d = text.charCodeAt(j);
        if (d >= 48 && d <= 57) continue;
        if (d === 46 || d === 101 || d === 69 || d === 43 || d === 45) { digits = false; continue; }
        break;
      }
      if (next <= VALUE_OR_CLOSE) next = AFTER; else seen.valid = false;
      // Up to 15 digits: exact, and written back as sent; -0 too, kept as its text (lossless.ts inexactNumber).
      if (!digits || j - i > 15) noteNumber(text.slice(i, j), seen);
      else {
        const s = c === 45 ? i + 1 : i;
        // `-` alone, or a leading zero: a syntax error.
        if (s === j || (j - s > 1 && text.charCodeAt(s) === 48)) seen.valid = false;
        else if (c === 45 && j - i === 2 && text.charCodeAt(i + 1) === 48) seen.inexact = true;
      }
      i = j - 1;
    } else if (c === 123 /* { */ || c === 91 /* [ */) {
      if (next <= VALUE_OR_CLOSE) next = c === 123 ? KEY_OR_CLOSE : VALUE_OR_CLOSE; else seen.valid = false;
      depth++;
      if (depth > limits.maxDepth) {
        const path = pathOf(text, f, depth - 1);
        return {
          reason: 'too_deep', position: i, path,
          message: `the event nests deeper than ${limits.maxDepth} levels (HOOKER_MAX_DEPTH): level ${depth} opens at position ${i}, at ${path}`,
        };
      }
      if (depth > maxDepth) maxDepth = depth;
      f.reach(depth);
      f.kind[depth] = c === 123 ? OBJECT : ARRAY;
      f.keyStart[depth] = -1;
      f.index[depth] = 0;
      f.lastIndex[depth] = -1;
      f.keysFrom[depth] = keyTop;
    } else if (c === 125 /* } */ || c === 93 /* ] */) {
      if (depth > 0) {
        const closes = c === 125 ? next === KEY_OR_CLOSE : next === VALUE_OR_CLOSE;
        if (!(closes || next === AFTER) || f.kind[depth] !== (c === 125 ? OBJECT : ARRAY)) seen.valid = false;
        next = AFTER;
        keyTop = f.keysFrom[depth]!;
        depth--;
      } else seen.valid = false;
    } else if (c === 58 /* : */) {
      if (next === COLON) next = VALUE; else seen.valid = false;
      keys++;
      if (depth > 0 && f.kind[depth] === OBJECT) {
        f.keyStart[depth] = lastStringStart;
        f.keyEnd[depth] = lastStringEnd;
        // An object enumerates its array-index keys first, ascending; written otherwise (or twice), the text is not canonical.
        const first = text.charCodeAt(lastStringStart + 1);
        const index = first >= 48 && first <= 57 ? arrayIndex(text, lastStringStart + 1, lastStringEnd) : -1;
        if (index < 0) f.lastIndex[depth] = ORDINARY;
        else if (index > f.lastIndex[depth]!) f.lastIndex[depth] = index;
        else seen.canonical = false;
        if (depth === 1) {
          seen.topKeys++;
          if (lastStringEnd - lastStringStart === 7 && text.startsWith('hooker', lastStringStart + 1)) seen.hookerKey = true;
        }
        if (seen.canonical && facts) {
          if (keyTop - f.keysFrom[depth]! >= MAX_KEYS_CHECKED || writtenBefore(text, f, depth, keyTop, lastStringStart, lastStringEnd, budget)) seen.canonical = false;
          else {
            f.reachKey(keyTop);
            f.keyAt[keyTop] = lastStringStart;
            f.keyTo[keyTop] = lastStringEnd;
            keyTop++;
          }
        }
      }
      if (keys > limits.maxKeys) {
        const path = pathOf(text, f, depth);
        return {
          reason: 'too_many_keys', position: i, path,
          message: `the event has more than ${limits.maxKeys} object keys (HOOKER_MAX_KEYS): key ${keys} is at position ${i}, ${path}`,
        };
      }
    } else if (c === 44 /* , */) {
      if (depth > 0 && next === AFTER) next = f.kind[depth] === OBJECT ? KEY : VALUE; else seen.valid = false;
      if (depth > 0 && f.kind[depth] === ARRAY) f.index[depth]!++;
    } else if (c === 32 || c === 10 || c === 13 || c === 9) {
      seen.canonical = false; // whitespace JSON.stringify does not write
    } else {
      // true, false, null; anything else is a syntax error.
      const word = c === 116 /* t */ ? 'true' : c === 102 /* f */ ? 'false' : c === 110 /* n */ ? 'null' : undefined;
      if (word !== undefined && next <= VALUE_OR_CLOSE && text.startsWith(word, i)) {
        next = AFTER;
        i += word.length - 1;
      } else seen.valid = false;
    }
  }
  if (facts) {
    facts.keys = keys;
    facts.depth = maxDepth;
    facts.inexact = seen.inexact;
    facts.canonical = seen.canonical && canonicalEscapes(text);
    facts.topKeys = seen.topKeys;
    facts.hookerKey = seen.hookerKey;
    // One value, closed; in a canonical text the only escapes are two-character ones, so what is left to find is a raw control character.
    facts.valid = facts.canonical && seen.valid && depth === 0 && next === AFTER && !CONTROL.test(text);
  }
  return undefined;
}
