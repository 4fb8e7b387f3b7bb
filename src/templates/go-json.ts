// Go's json.Marshal text of a template result, for Postee's own templates:
// Postee sent `result` objects as Go marshalled them (keys in byte order,
// `<` `>` `&` escaped as \u003c \u003e \u0026), and receivers written for
// Postee may compare or sign those bytes.

import { goNumber, goQuote } from '../rego/builtins/jsonformat.js';
import { compareStrings } from '../rego/builtins/value.js';
import { JsonNumber } from '../json/lossless.js';

export function goMarshal(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  switch (typeof v) {
    case 'boolean': return String(v);
    case 'number': case 'bigint': return goNumber(v);
    case 'string': return goQuote(v);
  }
  if (v instanceof JsonNumber) return v.text; // a number kept exact (lossless.ts): Go writes its json.Number text
  if (Array.isArray(v)) return `[${v.map(goMarshal).join(',')}]`;
  const entries = Object.entries(v as Record<string, unknown>).sort((a, b) => compareStrings(a[0], b[0]));
  return `{${entries.map(([k, x]) => `${goQuote(k)}:${goMarshal(x)}`).join(',')}}`;
}
