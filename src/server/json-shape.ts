// One linear pass over a JSON text before it is parsed: how deep it nests
// and how many object keys it has (numbers a 64-bit float cannot hold are
// kept exact by src/json/lossless.ts, not refused). No recursion, so a
// hostile body cannot overflow the stack here, and a body over a limit is
// refused before any object is built. Syntax errors are left to JSON.parse
// (this pass only looks at structure).

import { stringEnd } from '../json/lossless.js';

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

const OBJECT = 1;
const ARRAY = 2;
const IDENT = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/**
 * Per nesting level: container kind, the key being read (its text span) and
 * the array index, for the path in a refusal. Grown as the text nests deeper
 * (never past maxDepth + 1): almost every event is a few levels deep, and
 * sizing these for HOOKER_MAX_DEPTH on every request was a measurable part of
 * an event's parse (issue 12).
 */
class Frames {
  kind = new Uint8Array(16);
  keyStart = new Int32Array(16);
  keyEnd = new Int32Array(16);
  index = new Int32Array(16);

  /** Makes room for level `depth`. */
  reach(depth: number): void {
    if (depth < this.kind.length) return;
    const size = Math.max(depth + 1, this.kind.length * 2);
    const grow = <T extends Uint8Array | Int32Array>(a: T, make: (n: number) => T): T => { const b = make(size); b.set(a); return b; };
    this.kind = grow(this.kind, (n) => new Uint8Array(n));
    this.keyStart = grow(this.keyStart, (n) => new Int32Array(n));
    this.keyEnd = grow(this.keyEnd, (n) => new Int32Array(n));
    this.index = grow(this.index, (n) => new Int32Array(n));
  }
}

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

/** The first limit the text breaks, or undefined. */
export function checkJsonShape(text: string, limits: JsonLimits): ShapeProblem | undefined {
  const f = new Frames();
  let depth = 0;
  let keys = 0;
  let lastStringStart = -1;
  let lastStringEnd = -1;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 34 /* " */) {
      const j = stringEnd(text, i);
      if (j < 0) return undefined; // unterminated: a syntax error for JSON.parse
      lastStringStart = i;
      lastStringEnd = j;
      i = j;
    } else if (c === 123 /* { */ || c === 91 /* [ */) {
      depth++;
      if (depth > limits.maxDepth) {
        const path = pathOf(text, f, depth - 1);
        return {
          reason: 'too_deep', position: i, path,
          message: `the event nests deeper than ${limits.maxDepth} levels (HOOKER_MAX_DEPTH): level ${depth} opens at position ${i}, at ${path}`,
        };
      }
      f.reach(depth);
      f.kind[depth] = c === 123 ? OBJECT : ARRAY;
      f.keyStart[depth] = -1;
      f.index[depth] = 0;
    } else if (c === 125 /* } */ || c === 93 /* ] */) {
      if (depth > 0) depth--;
    } else if (c === 58 /* : */) {
      keys++;
      if (depth > 0 && f.kind[depth] === OBJECT) { f.keyStart[depth] = lastStringStart; f.keyEnd[depth] = lastStringEnd; }
      if (keys > limits.maxKeys) {
        const path = pathOf(text, f, depth);
        return {
          reason: 'too_many_keys', position: i, path,
          message: `the event has more than ${limits.maxKeys} object keys (HOOKER_MAX_KEYS): key ${keys} is at position ${i}, ${path}`,
        };
      }
    } else if (c === 44 /* , */) {
      if (depth > 0 && f.kind[depth] === ARRAY) f.index[depth]!++;
    }
  }
  return undefined;
}
