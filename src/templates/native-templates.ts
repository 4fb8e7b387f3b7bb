// Bundled templates that are pure projections of the event, rendered in
// JavaScript instead of wasm. Through wasm, `object.remove(input, ...)` copies
// the whole event out of the module's memory and back and the SDK dumps the
// result as JSON again: about 30x the cost of doing it here, and for a large
// event seconds of blocked event loop (issue 15, case 10). Each function gives
// exactly the text its .rego file gives (object keys in code point order, as
// OPA writes them; json.marshal as Go writes it); test/templates/
// native-templates.test.ts checks that against the compiled template with
// fixture events and random JSON, so a change to one of these .rego files
// without its twin here fails there.
//
// They read the event itself, not the template input: both templates remove
// the keys Hooker adds (`hooker`, `postee`), so the result is the same for
// every route and is rendered once per event.

import type { RenderedMessage } from '../actions/types.js';
import { compareStrings } from '../rego/builtins/value.js';
import { goQuote } from '../rego/builtins/jsonformat.js';
import { JsonNumber, stringEnd } from '../json/lossless.js';

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof JsonNumber);

/** Keys a template input carries beside the event's own (template-input.ts), removed by the raw templates. */
const ADDED_KEYS = new Set(['hooker', 'postee']);

/**
 * Sorts keys in code point order (OPA's). UTF-16 unit order, the native
 * sort's, is the same unless a key holds a unit from U+D800 up (surrogates
 * sort below U+E000..U+FFFF by unit, above by code point); the native sort is
 * several times faster than a comparator on events with 100,000 keys.
 */
function sortKeys(keys: string[]): string[] {
  return keys.some((k) => HIGH_UNIT.test(k)) ? keys.sort(compareStrings) : keys.sort();
}
const HIGH_UNIT = /[\ud800-\uffff]/;

/** The event's keys without the ones the raw templates remove, in code point order (Rego's `sort`). */
function eventKeys(event: Record<string, unknown>): string[] {
  return sortKeys(Object.keys(event).filter((k) => !ADDED_KEYS.has(k)));
}

/**
 * Keys in the order the wasm path's text has them: OPA writes them in code
 * point order, then the SDK's JSON.parse and our JSON.stringify move integer
 * keys ("0", "17") first in numeric order, as every JavaScript object does.
 * Object.keys already lists those first; only the rest is sorted.
 */
function resultKeyOrder(keys: string[]): string[] {
  let ints = 0;
  while (ints < keys.length && isIndexKey(keys[ints]!)) ints++;
  return ints === 0 ? sortKeys(keys) : [...keys.slice(0, ints), ...sortKeys(keys.slice(ints))];
}
const isIndexKey = (k: string) => /^(?:0|[1-9]\d{0,9})$/.test(k) && Number(k) < 4294967295;

/** The JSON text the wasm path gives for a template result (see resultKeyOrder). */
export function sortedJson(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null';
  if (v instanceof JsonNumber) return v.text; // the runtime writes a big number as the digits it read
  if (Array.isArray(v)) {
    let out = '[';
    for (let i = 0; i < v.length; i++) out += (i ? ',' : '') + sortedJson(v[i]);
    return out + ']';
  }
  const o = v as Record<string, unknown>;
  const keys = resultKeyOrder(Object.keys(o));
  let out = '{';
  for (let i = 0; i < keys.length; i++) out += `${i ? ',' : ''}${JSON.stringify(keys[i])}:${sortedJson(o[keys[i]!])}`;
  return out + '}';
}

/** hooker.rawmessage.json: the event as it arrived (raw-json.rego). */
function rawJson(event: unknown): RenderedMessage {
  if (!isObject(event)) return { title: 'Hooker event', body: typeof event === 'string' ? event : sortedJson(event) };
  let out = '{';
  let first = true;
  for (const k of resultKeyOrder(Object.keys(event))) {
    if (ADDED_KEYS.has(k)) continue;
    out += `${first ? '' : ','}${JSON.stringify(k)}:${sortedJson(event[k])}`;
    first = false;
  }
  return { title: 'Hooker event', body: out + '}' };
}

/**
 * json.marshal as the wasm path gives it for an event value: Go's quoting of
 * strings and key order, numbers as the text they reached wasm with (the
 * event is handed over as JSON.stringify text, so 1e+21, and -0 as 0).
 */
function marshal(v: unknown): string {
  if (typeof v === 'number') return marshalNumber(v);
  if (v instanceof JsonNumber) return v.text;
  if (v === null || typeof v !== 'object') return typeof v === 'string' ? goQuote(v) : JSON.stringify(v) ?? 'null';
  if (Array.isArray(v)) return `[${v.map(marshal).join(',')}]`;
  const o = v as Record<string, unknown>;
  return `{${sortKeys(Object.keys(o)).map((k) => `${goQuote(k)}:${marshal(o[k])}`).join(',')}}`;
}

/** The runtime reads an integer's text as an integer: past 2^53 it prints the double's exact digits, not JavaScript's shortest ones. */
function marshalNumber(n: number): string {
  const a = Math.abs(n);
  return Number.isInteger(n) && a >= 2 ** 53 && a < 1e21 ? BigInt(n).toString() : JSON.stringify(n);
}

/** common.html of common.rego: text (strings as they are, else json.marshal), HTML-escaped. */
function html(v: unknown): string {
  const text = typeof v === 'string' ? v : marshal(v);
  return text.replace(/[&<>"]/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : '&quot;'));
}

const row = (k: unknown, v: unknown) => `<tr><th>${html(k)}</th><td><pre>${html(v)}</pre></td></tr>`;
const table = (rows: string[]) => ['<table>', ...rows, '</table>'].join('\n');

/** hooker.rawmessage.html: one table row per top-level key or array item (raw-html.rego). */
function rawHtml(event: unknown): RenderedMessage {
  const title = 'Hooker event';
  if (isObject(event)) return { title, body: table(eventKeys(event).map((k) => row(k, event[k]))) };
  if (Array.isArray(event)) return { title, body: table(event.map((v, i) => row(i, v))) };
  return { title, body: `<pre>${html(event)}</pre>` };
}

/** Bundled package -> its JavaScript twin. Only used for the bundled file, never for a user's module of the same package. */
export const NATIVE_TEMPLATES: ReadonlyMap<string, (event: unknown) => RenderedMessage> = new Map([
  ['hooker.rawmessage.json', rawJson],
  ['hooker.rawmessage.html', rawHtml],
]);

/**
 * Nesting of a JSON text (objects and arrays) that the native templates
 * render with room to spare: their only recursion is one or two stack
 * frames per level (sortedJson, marshal), and Node's default stack holds
 * several thousand levels of them (test/templates/native-render-bounds.test.ts
 * renders this depth from under 3,000 other frames). The ingest limit
 * HOOKER_MAX_DEPTH is 512 by default but may be raised up to 2048
 * (MAX_SUPPORTED_DEPTH in config/env.ts), and stored events need not have
 * come through it (an older setting, a database written elsewhere): deeper
 * texts are rendered to find out.
 */
export const NATIVE_SAFE_DEPTH = 512;
/**
 * Length of a JSON text whose render cannot exceed V8's longest string
 * (2^29 − 24 UTF-16 units): a render is at most ~25 times its event's text
 * (raw-html's table row around an array item of two characters; an escape
 * of one character is six, 1e20 as 100000000000000000000 about five), so
 * 64 times this is still a quarter of that limit.
 */
export const NATIVE_SAFE_CHARS = 2 ** 21;
const BRACKETS = /["[\]{}]/g;

/**
 * Whether the native templates cannot fail for the event whose stored JSON
 * text this is. They are total functions of a parsed JSON value except for
 * the engine's limits: the stack (nesting) and the longest string (size);
 * within both, rendering the message only to learn whether it fails (the
 * action runner's templateError check, for an action that never reads the
 * message, like http sending the stored text) can be skipped. A text deeper
 * or larger than these bounds is rendered to find out, as before.
 */
export function nativeRenderCannotFail(text: string): boolean {
  if (text.length > NATIVE_SAFE_CHARS) return false;
  // Each level opens and closes: a short text cannot nest deeper than half its length.
  if (text.length <= 2 * NATIVE_SAFE_DEPTH + 1) return true;
  let depth = 0;
  BRACKETS.lastIndex = 0;
  for (let m = BRACKETS.exec(text); m !== null; m = BRACKETS.exec(text)) {
    const c = text.charCodeAt(m.index);
    if (c === 34 /* " */) {
      const end = stringEnd(text, m.index);
      if (end < 0) return false; // not JSON: let the render say what it says
      BRACKETS.lastIndex = end + 1;
    } else if (c === 123 /* { */ || c === 91 /* [ */) {
      if (++depth > NATIVE_SAFE_DEPTH) return false;
    } else depth--;
  }
  return true;
}
