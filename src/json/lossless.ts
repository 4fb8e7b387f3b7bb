// JSON that keeps every number exact. JSON.parse turns a number a 64-bit
// float cannot hold (Falco's 19-digit evt.time nanoseconds) into a rounded
// double; here such a token becomes a JsonNumber holding its source text, and
// stringifyJson writes it back verbatim, so the digits reach Rego (whose
// runtime reads JSON text and carries big integers), stored events, action
// bodies and dedup keys unchanged. Text without such a number takes the plain
// JSON.parse path (one regex test decides).

import { randomBytes } from 'node:crypto';

/** Why JSON.parse would change a number token, or undefined when it holds it exactly. */
export function inexactNumber(token: string): string | undefined {
  // A negative zero is a double, but JSON.stringify writes its value as 0 (Go's encoding/json, Postee's, writes -0): kept as sent.
  if (token.charCodeAt(0) === 45 && token.charCodeAt(1) === 48 && Object.is(Number(token), -0)) return 'is a negative zero (JavaScript writes it as 0)';
  // Up to 15 digits without an exponent is always exact (2^53 has 16).
  if (token.length <= 15 && !/[eE]/.test(token)) return undefined;
  const value = Number(token);
  if (Number.isNaN(value)) return undefined; // not a number: JSON.parse reports the syntax
  if (!Number.isFinite(value)) return 'is beyond the range of a 64-bit float (it would become null)';
  if (/^-?\d+$/.test(token)) {
    // Every integer up to 2^53 - 1 is a double, and rounding is monotonic: a safe value is the token's own (no BigInts for a
    // 16-digit microsecond stamp, issue 12).
    if (Number.isSafeInteger(value)) return undefined;
    return BigInt(token) === BigInt(value) ? undefined : 'has more digits than a 64-bit float holds exactly (send it as a string)';
  }
  const mantissa = token.split(/[eE]/)[0]!;
  if (value === 0 && /[1-9]/.test(mantissa)) return 'is too small for a 64-bit float (it would become 0)';
  return undefined;
}

/** A JSON number kept as its exact source text (only for numbers a double would change). */
export class JsonNumber {
  constructor(readonly text: string) {}
  /** Plain JSON.stringify (logs, places that never carry numbers) gets the digits as a string, never a rounded value. */
  toJSON(): unknown {
    return active ? active.put(this.text) : this.text;
  }
  toString(): string { return this.text; }
}

/**
 * Every inexact token has 16+ digits in a row or a 3-digit exponent
 * (inexactNumber: up to 15 digits without exponent is exact; overflow and
 * underflow need |exponent| >= 308 or a mantissa of 16+ digits), or is a
 * negative zero (`-0` not followed by a nonzero digit), so text without
 * any of them can go straight to JSON.parse.
 */
const MAYBE_INEXACT = /\d{16}|[eE][-+]?\d{3}|-0(?![1-9])/;

type RawJson = (text: string) => unknown;
const rawJSON = (JSON as unknown as { rawJSON?: RawJson }).rawJSON;

/** The numbers one stringifyJson call meets: JSON.rawJSON where Node has it, else placeholders replaced afterwards. */
class Collector {
  readonly texts: string[] = [];
  /** Made on the first kept number only: stringifyJson runs for every event, and almost none carries one. */
  nonce = '';
  put(text: string): unknown {
    if (rawJSON) return rawJSON(text);
    if (!this.nonce) this.nonce = randomBytes(12).toString('hex');
    this.texts.push(text);
    return `${this.nonce}${this.texts.length - 1}`;
  }
}
let active: Collector | undefined;

/** JSON.stringify that writes JsonNumbers as their digits. */
export function stringifyJson(value: unknown, space?: number): string | undefined {
  const outer = active;
  const c = new Collector();
  active = c;
  let text: string | undefined;
  try { text = JSON.stringify(value, undefined, space); } finally { active = outer; }
  if (text === undefined || c.texts.length === 0) return text;
  return text.replace(new RegExp(`"${c.nonce}(\\d+)"`, 'g'), (_m, i: string) => c.texts[Number(i)]!);
}

/** Where the string opening at `start` closes (its quote), or -1 when it never does. */
export function stringEnd(text: string, start: number): number {
  let j = start;
  for (;;) {
    j = text.indexOf('"', j + 1);
    if (j < 0) return -1;
    let slashes = 0;
    for (let k = j - 1; text.charCodeAt(k) === 92; k--) slashes++;
    if (slashes % 2 === 0) return j;
  }
}

/** Where the number token starting at `start` ends (one past its last character). */
export function numberEnd(text: string, start: number): number {
  let j = start + 1;
  for (; j < text.length; j++) {
    const d = text.charCodeAt(j);
    if (!((d >= 48 && d <= 57) || d === 46 || d === 101 || d === 69 || d === 43 || d === 45)) break;
  }
  return j;
}

/** Start and end of every number token outside strings that JSON.parse would change. */
function inexactTokens(text: string): Array<[number, number]> {
  const found: Array<[number, number]> = [];
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 34 /* " */) {
      const j = stringEnd(text, i);
      if (j < 0) return found;
      i = j;
    } else if (c === 45 /* - */ || (c >= 48 && c <= 57)) {
      const j = numberEnd(text, i);
      if (inexactNumber(text.slice(i, j))) found.push([i, j]);
      i = j - 1;
    }
  }
  return found;
}

/** JSON.parse, except that numbers a double would change become JsonNumbers. Throws JSON.parse's SyntaxError. */
export function parseJson(text: string): unknown {
  if (!MAYBE_INEXACT.test(text)) return JSON.parse(text);
  const tokens = inexactTokens(text);
  if (tokens.length === 0) return JSON.parse(text);
  const nonce = randomBytes(12).toString('hex');
  const numbers: JsonNumber[] = [];
  let out = '';
  let at = 0;
  for (const [s, e] of tokens) {
    numbers.push(new JsonNumber(text.slice(s, e)));
    out += `${text.slice(at, s)}"${nonce}${numbers.length - 1}"`;
    at = e;
  }
  out += text.slice(at);
  let value: unknown;
  try {
    // A plain JSON.parse, then one walk putting the numbers in place of
    // their placeholders: a reviver (called from the parser for every
    // value, and keeping V8 off its fast path) made an event with one kept
    // number (Falco's evt.time) several times dearer to parse (issue 12).
    value = JSON.parse(out);
  } catch (e) {
    // Report the syntax error with positions in the text as sent, not the rewritten one.
    JSON.parse(text);
    throw e;
  }
  return new Placeholders(nonce, numbers).restore(value);
}

/** Puts kept numbers back where parseJson's rewritten text had their placeholder strings. */
class Placeholders {
  constructor(private readonly nonce: string, private readonly numbers: JsonNumber[]) {}

  /** The number a placeholder string stands for, or undefined for any other value. */
  private numberOf(v: unknown): JsonNumber | undefined {
    if (typeof v !== 'string' || v.length <= this.nonce.length || !v.startsWith(this.nonce)) return undefined;
    const digits = v.slice(this.nonce.length);
    return /^\d+$/.test(digits) ? this.numbers[Number(digits)] : undefined;
  }

  /**
   * The value with its placeholders replaced, in place. Iterative (an
   * explicit stack), as JSON.parse itself nests as deep as the text does.
   */
  restore(value: unknown): unknown {
    const top = this.numberOf(value);
    if (top) return top;
    const stack: unknown[] = [value];
    while (stack.length > 0) {
      const v = stack.pop();
      if (typeof v !== 'object' || v === null) continue;
      if (Array.isArray(v)) {
        for (let i = 0; i < v.length; i++) {
          const x: unknown = v[i];
          if (typeof x === 'object') stack.push(x);
          else { const n = this.numberOf(x); if (n) v[i] = n; }
        }
        continue;
      }
      const o = v as Record<string, unknown>;
      for (const k of Object.keys(o)) {
        const x = o[k];
        if (typeof x === 'object') { stack.push(x); continue; }
        const n = this.numberOf(x);
        // Assigning to a key the object has as its own data property (JSON.parse makes "__proto__" one too) only sets its value.
        if (n) o[k] = n;
      }
    }
    return value;
  }
}

/** Whether a value is a kept number (for code that treats numbers specially). */
export function isJsonNumber(v: unknown): v is JsonNumber {
  return v instanceof JsonNumber;
}
