// `jsonformat(x)`: the builtin Postee registers for its templates
// (raw-message-json.rego, raw-message-html.rego). Postee implements it as Go's
// json.MarshalIndent(x, "", " "), so the text is Go's, not JSON.stringify's:
// one-space indent, object keys in UTF-8 byte order, `<` `>` `&` U+2028
// U+2029 escaped as \u003c \u003e \u0026 \u2028 \u2029, control characters
// as \b \f \n \r \t or \u00XX, invalid UTF-16 as \ufffd, and floats as Go's
// float64 encoder prints them (exponent only below 1e-6 and from 1e21) and
// integers in full (exact beyond 2^53).
// Postee declares the argument an object; Hooker accepts any value so the
// bundled raw templates render events that are arrays or scalars too.
// Not an OPA builtin: a Hooker extension available to every policy.

import { declare } from './registry.js';
import { RegoObject, RegoSet, type RegoValue } from './types.js';
import { compareStrings, formatValue, setItems } from './value.js';

const HEX = '0123456789abcdef';

/** Go's encodeState.string with HTML escaping on. */
export function goQuote(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdfff) {
      const next = s.charCodeAt(i + 1);
      if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) { out += s[i]! + s[i + 1]!; i++; }
      else out += '\\ufffd';
      continue;
    }
    switch (c) {
      case 0x22: out += '\\"'; continue;
      case 0x5c: out += '\\\\'; continue;
      case 0x08: out += '\\b'; continue;
      case 0x0c: out += '\\f'; continue;
      case 0x0a: out += '\\n'; continue;
      case 0x0d: out += '\\r'; continue;
      case 0x09: out += '\\t'; continue;
      case 0x3c: case 0x3e: case 0x26: case 0x2028: case 0x2029:
        out += `\\u${c.toString(16).padStart(4, '0')}`;
        continue;
    }
    if (c < 0x20) out += `\\u00${HEX[c >> 4]}${HEX[c & 0xf]}`;
    else out += s[i];
  }
  return `${out}"`;
}

/** Go's float64 JSON encoding ('f' unless |x| < 1e-6 or ≥ 1e21, exponent without leading zero); integers in full. */
export function goNumber(n: number | bigint): string {
  if (typeof n === 'bigint') return n.toString();
  if (Object.is(n, -0)) return '-0';
  // Integers in full: OPA hands Postee's function the number's own digits.
  if (Number.isInteger(n)) return BigInt(n).toString();
  // JS's shortest round-trip digits equal Go's strconv 'f'/'e' with precision -1
  // on Go's ranges ('f' for 1e-6 ≤ |x| < 1e21, else 'e' as in 1.5e-7).
  return String(n);
}

function keyText(k: RegoValue): string {
  return typeof k === 'string' ? k : formatValue(k);
}

function format(v: RegoValue, indent: string, out: string[]): void {
  if (v === null) { out.push('null'); return; }
  switch (typeof v) {
    case 'boolean': out.push(String(v)); return;
    case 'number': case 'bigint': out.push(goNumber(v)); return;
    case 'string': out.push(goQuote(v)); return;
  }
  const items: RegoValue[] | undefined = Array.isArray(v) ? v : v instanceof RegoSet ? setItems(v) : undefined;
  const inner = `${indent} `;
  if (items) {
    if (items.length === 0) { out.push('[]'); return; }
    out.push('[');
    items.forEach((x, i) => {
      out.push(`\n${inner}`);
      format(x, inner, out);
      if (i < items.length - 1) out.push(',');
    });
    out.push(`\n${indent}]`);
    return;
  }
  const entries: Array<[string, RegoValue]> = v instanceof RegoObject
    ? v.entries.map(([k, x]) => [keyText(k), x])
    : Object.entries(v as Record<string, RegoValue>);
  if (entries.length === 0) { out.push('{}'); return; }
  entries.sort((a, b) => compareStrings(a[0], b[0]));
  out.push('{');
  entries.forEach(([k, x], i) => {
    out.push(`\n${inner}${goQuote(k)}: `);
    format(x, inner, out);
    if (i < entries.length - 1) out.push(',');
  });
  out.push(`\n${indent}}`);
}

/** json.MarshalIndent(v, "", " ") as Go writes it. */
export function marshalIndentGo(v: RegoValue): string {
  const out: string[] = [];
  format(v, '', out);
  return out.join('');
}

declare({
  name: 'jsonformat',
  args: [{ type: 'any' }],
  result: { type: 'string' },
  exactNumbers: true,
  impl: (args) => marshalIndentGo(args[0] ?? null),
});
