// Parses a JSON request body once, keeping the raw bytes for signature
// checks, and turns syntax errors into a message naming the position.

import { jsonErrorPosition } from './json-error-position.js';

export class JsonBodyError extends Error {
  readonly statusCode = 400;
  constructor(message: string) {
    super(message);
    this.name = 'JsonBodyError';
  }
}

function lineAndColumn(text: string, pos: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < pos && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) { line++; lineStart = i + 1; }
  }
  return { line, column: pos - lineStart + 1 };
}

export function parseJsonBody(raw: Buffer): unknown {
  const text = raw.toString('utf8');
  if (text.trim() === '') throw new JsonBodyError('malformed JSON: the body is empty');
  try {
    return JSON.parse(text);
  } catch (e) {
    const msg = (e as Error).message;
    const m = /position (\d+)/.exec(msg);
    const scanned = jsonErrorPosition(text);
    const pos = m ? Number(m[1]) : scanned >= 0 ? scanned : text.length;
    const { line, column } = lineAndColumn(text, pos);
    const what = pos >= text.length ? 'unexpected end of input' : `unexpected ${JSON.stringify(text[pos])}`;
    throw new JsonBodyError(`malformed JSON at position ${pos} (line ${line}, column ${column}): ${what}`);
  }
}
