// `event.input.<path>` references, the one resolver every action uses
// (http body/url/headers, kubernetes selectors and labels, docker cmd/env,
// scan targets).
//
// Path syntax: dot-separated keys, `[n]` array indexes, quoted keys
// (`["a.b"]` or `['a.b']`) for keys containing dots or spaces:
//   event.input.SigMetadata.ID
//   event.input.Results[0].Vulnerabilities[2]["PkgName"]
// A path that does not exist in the event is an error of the delivery,
// never an empty string (an empty value would, e.g., widen a selector).

import { stringifyJson } from '../json/lossless.js';

export const EVENT_REF_PREFIX = 'event.input';

export class EventRefError extends Error {
  constructor(message: string, public readonly ref: string) {
    super(message);
    this.name = 'EventRefError';
  }
}

export type PathSegment = string | number;

/** Parses the part after `event.input` into segments; throws EventRefError on bad syntax. */
export function parseEventRef(ref: string): PathSegment[] {
  if (ref !== EVENT_REF_PREFIX && !ref.startsWith(EVENT_REF_PREFIX + '.') && !ref.startsWith(EVENT_REF_PREFIX + '[')) {
    throw new EventRefError(`not an event reference (must start with ${EVENT_REF_PREFIX})`, ref);
  }
  const rest = ref.slice(EVENT_REF_PREFIX.length);
  const segments: PathSegment[] = [];
  let i = 0;
  while (i < rest.length) {
    const ch = rest[i];
    if (ch === '.') {
      let j = i + 1;
      while (j < rest.length && rest[j] !== '.' && rest[j] !== '[') j++;
      const key = rest.slice(i + 1, j);
      if (key === '') throw new EventRefError(`empty key at offset ${EVENT_REF_PREFIX.length + i}`, ref);
      segments.push(key);
      i = j;
    } else if (ch === '[') {
      const close = rest.indexOf(']', i);
      const quote = rest[i + 1];
      if (quote === '"' || quote === "'") {
        const end = rest.indexOf(quote + ']', i + 2);
        if (end < 0) throw new EventRefError(`unterminated quoted key at offset ${EVENT_REF_PREFIX.length + i}`, ref);
        segments.push(rest.slice(i + 2, end));
        i = end + 2;
      } else {
        if (close < 0) throw new EventRefError(`unterminated [ at offset ${EVENT_REF_PREFIX.length + i}`, ref);
        const inner = rest.slice(i + 1, close);
        if (!/^\d+$/.test(inner)) throw new EventRefError(`index [${inner}] must be a number or a quoted key`, ref);
        segments.push(Number(inner));
        i = close + 1;
      }
    } else {
      throw new EventRefError(`unexpected '${ch}' at offset ${EVENT_REF_PREFIX.length + i}`, ref);
    }
  }
  return segments;
}

export function isEventRef(value: unknown): value is string {
  return typeof value === 'string' && (value === EVENT_REF_PREFIX || value.startsWith(EVENT_REF_PREFIX + '.') || value.startsWith(EVENT_REF_PREFIX + '['));
}

/** The value at `ref` in the event; throws EventRefError naming the first missing segment. */
export function resolveEventRef(event: unknown, ref: string): unknown {
  let cur: unknown = event;
  let walked = EVENT_REF_PREFIX;
  for (const seg of parseEventRef(ref)) {
    const label = typeof seg === 'number' ? `[${seg}]` : `.${seg}`;
    if (typeof seg === 'number') {
      if (!Array.isArray(cur) || seg >= cur.length) throw new EventRefError(`${walked}${label} does not exist in the event`, ref);
      cur = cur[seg];
    } else {
      if (cur === null || typeof cur !== 'object' || Array.isArray(cur) || !Object.prototype.hasOwnProperty.call(cur, seg)) {
        throw new EventRefError(`${walked}${label} does not exist in the event`, ref);
      }
      cur = (cur as Record<string, unknown>)[seg];
    }
    walked += label;
  }
  return cur;
}

/** Resolves to text: strings as they are, other JSON values serialised. */
export function resolveEventRefText(event: unknown, ref: string): string {
  const v = resolveEventRef(event, ref);
  return typeof v === 'string' ? v : stringifyJson(v) as string;
}

const EMBEDDED = /event\.input(?:\.[A-Za-z0-9_\-]+|\[\d+\]|\["[^"]*"\]|\['[^']*'\])+/g;

/** Whether a text has an embedded `event.input.<path>` (a configured text without one never reads the event). */
export function hasEventRefs(text: string): boolean {
  EMBEDDED.lastIndex = 0;
  const found = EMBEDDED.test(text);
  EMBEDDED.lastIndex = 0;
  return found;
}

/**
 * Replaces every `event.input.<path>` embedded in a text (http body-content,
 * url, headers). `encode` escapes each value for its destination (e.g.
 * encodeURIComponent in a URL).
 */
export function substituteEventRefs(text: string, event: unknown, encode: (s: string) => string = (s) => s): string {
  return text.replace(EMBEDDED, (ref) => encode(resolveEventRefText(event, ref)));
}

/**
 * A URL path/query value: percent-encoded, and never a `.` or `..` segment
 * (the URL parser would resolve it and change the path the operator wrote).
 */
export function encodeUrlValue(value: string): string {
  if (value === '.' || value === '..') throw new EventRefError(`the value "${value}" would change the URL's path`, value);
  return encodeURIComponent(value);
}

/**
 * Substitutes references in a JSON text by JSON: a reference inside a JSON
 * string gets the value's text JSON-escaped (so `alice", "role": "admin`
 * stays one string), a reference standing alone as a value gets the value
 * itself as JSON (numbers, objects and arrays keep their type). Event data
 * can never add keys or close the string it sits in.
 */
export function substituteEventRefsInJson(text: string, event: unknown): string {
  return substituteByContext(text, (ref, inString) => {
    const v = resolveEventRef(event, ref);
    if (inString) return JSON.stringify(typeof v === 'string' ? v : stringifyJson(v) ?? 'null').slice(1, -1);
    return stringifyJson(v) ?? 'null';
  });
}

/**
 * Whether an operator's body is a JSON object or array once its references
 * are filled in: it is then always sent as JSON, substituted with
 * substituteEventRefsInJson. Decided on the configured text alone, never on
 * what an event put into it.
 */
export function isJsonBodyTemplate(text: string): boolean {
  const t = text.trim();
  if (!(t.startsWith('{') || t.startsWith('['))) return false;
  try {
    JSON.parse(substituteByContext(t, (_ref, inString) => (inString ? '' : 'null')));
    return true;
  } catch {
    return false;
  }
}

/** Replaces each embedded reference, telling the replacer whether it sits inside a JSON string. */
function substituteByContext(text: string, replace: (ref: string, inString: boolean) => string): string {
  let out = '';
  let inString = false;
  let last = 0;
  EMBEDDED.lastIndex = 0;
  let scanned = 0;
  for (let m = EMBEDDED.exec(text); m !== null; m = EMBEDDED.exec(text)) {
    // Track string state from the last scanned offset up to this match.
    for (let i = scanned; i < m.index; i++) {
      const ch = text[i];
      if (inString && ch === '\\') i++;
      else if (ch === '"') inString = !inString;
    }
    scanned = m.index + m[0].length;
    out += text.slice(last, m.index) + replace(m[0], inString);
    last = scanned;
  }
  EMBEDDED.lastIndex = 0;
  return out + text.slice(last);
}
