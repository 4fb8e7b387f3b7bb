// Parses a JSON request body once and turns every refusal into a message
// naming where: syntax errors by position, line and column; bodies over the
// nesting or key limits by position and JSON path. Numbers a 64-bit float
// cannot hold exactly are kept as their digits (src/json/lossless.ts). A
// UTF-8 byte order mark is skipped. A body written exactly as stringifyJson
// writes its value is kept with it (CanonicalBody), so the router need not
// serialise the event again.

import { isUtf8 } from 'node:buffer';
import { JsonNumber, parseJson } from '../json/lossless.js';
import { jsonErrorPosition } from './json-error-position.js';
import { checkJsonShape, type JsonFacts, type JsonLimits, type ShapeReason } from './json-shape.js';

export type JsonBodyReason = 'malformed_json' | ShapeReason;

export class JsonBodyError extends Error {
  readonly statusCode = 400;
  constructor(message: string, readonly reason: JsonBodyReason = 'malformed_json') {
    super(message);
    this.name = 'JsonBodyError';
  }
}

/** Generous enough for any real event; the server passes HOOKER_MAX_DEPTH and HOOKER_MAX_KEYS. */
const NO_LIMITS: JsonLimits = { maxDepth: 100_000, maxKeys: Number.MAX_SAFE_INTEGER };

function lineAndColumn(text: string, pos: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < pos && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) { line++; lineStart = i + 1; }
  }
  return { line, column: pos - lineStart + 1 };
}

const BLANK = /^\s*$/;

/** The body as text, without a leading byte order mark. */
export function bodyText(raw: Buffer): string {
  const text = raw.toString('utf8');
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/**
 * `facts`, when given, gets what the shape pass saw (json-shape.ts
 * JsonFacts); it also decides the parse: a text without a number to keep
 * goes straight to JSON.parse.
 */
export function parseJsonText(text: string, limits: JsonLimits = NO_LIMITS, facts: JsonFacts = newFacts()): unknown {
  checkText(text, limits, facts);
  return parseChecked(text, facts);
}

function newFacts(): JsonFacts {
  return { keys: 0, depth: 0, inexact: false, canonical: false, topKeys: 0, valid: false, hookerKey: false };
}

/** The shape pass, refusing a blank text or one over a limit. */
function checkText(text: string, limits: JsonLimits, facts: JsonFacts): void {
  // Not text.trim(): that copies every body to find out it is not blank.
  if (BLANK.test(text)) throw new JsonBodyError('malformed JSON: the body is empty');
  const problem = checkJsonShape(text, limits, facts);
  if (problem) throw new JsonBodyError(problem.message, problem.reason);
}

/** Parses a text checkJsonShape let through (with its facts). */
function parseChecked(text: string, facts: JsonFacts): unknown {
  try {
    // The shape pass looked at every number token: without one to keep, parseJson would only repeat the search.
    return facts.inexact ? parseJson(text) : JSON.parse(text);
  } catch (e) {
    if (!(e instanceof SyntaxError)) throw e;
    const msg = e.message;
    const m = /position (\d+)/.exec(msg);
    const scanned = jsonErrorPosition(text);
    const pos = m ? Number(m[1]) : scanned >= 0 ? scanned : text.length;
    const { line, column } = lineAndColumn(text, pos);
    const what = pos >= text.length ? 'unexpected end of input' : `unexpected ${JSON.stringify(text[pos])}`;
    throw new JsonBodyError(`malformed JSON at position ${pos} (line ${line}, column ${column}): ${what}`);
  }
}

export function parseJsonBody(raw: Buffer, limits: JsonLimits = NO_LIMITS): unknown {
  return parseJsonText(bodyText(raw), limits);
}

/**
 * A body whose text is exactly stringifyJson of the value parsed from it,
 * provided the value still has its `topKeys` top-level keys (see
 * canonicalText), and its UTF-8 bytes (the request's own, without a byte
 * order mark).
 */
export interface CanonicalBody {
  text: string;
  bytes: Uint8Array;
  /** Keys of the top-level object the text wrote (json-shape.ts JsonFacts). */
  topKeys: number;
  /** Some number is kept as its digits (JsonFacts.inexact): the parse of a deferred body must be parseJson's. */
  inexact: boolean;
  /** The top-level object has Hooker's reserved key `hooker` (JsonFacts.hookerKey; a canonical text never escapes a key). */
  hookerKey: boolean;
}

/** The value of a canonical body, parsed as parseBodyKeepingText would have (for a body whose parse was deferred: the text is valid). */
export function parseCanonical(body: Pick<CanonicalBody, 'text' | 'inexact'>): unknown {
  return body.inexact ? parseJson(body.text) : JSON.parse(body.text);
}

/**
 * The body as text, parsed; with its CanonicalBody when the text is written
 * as stringifyJson writes (JsonFacts.canonical) and the bytes are valid UTF-8
 * (invalid bytes decode to U+FFFD, so they would not be the text's UTF-8).
 *
 * `defer`: a canonical body that JSON.parse accepts (JsonFacts.valid) is not
 * parsed: `value` is undefined and `deferred` true, and parseCanonical makes
 * the value when something reads it. The ingest path stores and forwards the
 * text and evaluates routes over the bytes, so most events are never parsed
 * (issue 12). Any other body is parsed here, so a syntax error is still
 * refused with its position before anything is accepted.
 */
export function parseBodyKeepingText(raw: Buffer, limits: JsonLimits = NO_LIMITS, defer = false): { text: string; value: unknown; canonical?: CanonicalBody; deferred?: true } {
  const text = bodyText(raw);
  const facts = newFacts();
  checkText(text, limits, facts);
  const canonical = facts.canonical && isUtf8(raw);
  if (canonical && defer && facts.valid) return { text, value: undefined, canonical: canonicalOf(raw, text, facts), deferred: true };
  const value = parseChecked(text, facts);
  if (!canonical) return { text, value };
  return { text, value, canonical: canonicalOf(raw, text, facts) };
}

function canonicalOf(raw: Buffer, text: string, facts: JsonFacts): CanonicalBody {
  // Valid UTF-8, so the text is its decoding, less a byte order mark (EF BB BF) bodyText dropped.
  const bytes = raw[0] === 0xef && raw[1] === 0xbb && raw[2] === 0xbf ? raw.subarray(3) : raw;
  return { text, bytes, topKeys: facts.topKeys, inexact: facts.inexact, hookerKey: facts.hookerKey };
}

/**
 * The body's text and bytes when they are still exactly the event's
 * stringifyJson and its UTF-8: the event still holds every top-level key the
 * text wrote (ingest removes Hooker's reserved top-level keys from events;
 * nothing else is changed between parsing and routing, and a key written
 * twice made the text not canonical already). Else undefined: serialise the
 * event.
 */
export function canonicalText(body: CanonicalBody | null | undefined, event: unknown): { text: string; bytes: Uint8Array } | undefined {
  if (!body || topLevelKeys(event) !== body.topKeys) return undefined;
  return body;
}

/** Own keys of a top-level object (JSON.parse makes every key an own one, __proto__ too); 0 for any other value. */
function topLevelKeys(event: unknown): number {
  if (typeof event !== 'object' || event === null || Array.isArray(event) || event instanceof JsonNumber) return 0;
  return Object.keys(event).length;
}
