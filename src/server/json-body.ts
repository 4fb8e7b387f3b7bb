// Parses a JSON request body once and turns every refusal into a message
// naming where: syntax errors by position, line and column; bodies over the
// nesting or key limits by position and JSON path. Numbers a 64-bit float
// cannot hold exactly are kept as their digits (src/json/lossless.ts). A
// UTF-8 byte order mark is skipped.

import { parseJson } from '../json/lossless.js';
import { jsonErrorPosition } from './json-error-position.js';
import { checkJsonShape, type JsonLimits, type ShapeReason } from './json-shape.js';

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

export function parseJsonText(text: string, limits: JsonLimits = NO_LIMITS): unknown {
  // Not text.trim(): that copies every body to find out it is not blank.
  if (BLANK.test(text)) throw new JsonBodyError('malformed JSON: the body is empty');
  const problem = checkJsonShape(text, limits);
  if (problem) throw new JsonBodyError(problem.message, problem.reason);
  try {
    return parseJson(text);
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
