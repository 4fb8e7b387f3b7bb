// JSON text exactly as Go's encoding/json writes it (OPA's json.marshal):
// object keys sorted, sets as arrays, <, > and & escaped.

import type { RegoValue } from './types.js';
import { formatNumber, quoteString, toJson } from './value.js';

function write(j: unknown, indent: string | undefined, prefix: string, depth: number): string {
  if (j === null || j === undefined) return 'null';
  if (typeof j === 'boolean') return String(j);
  if (typeof j === 'number') return formatNumber(j);
  if (typeof j === 'string') return quoteString(j);
  const nl = (d: number) => (indent === undefined ? '' : '\n' + prefix + indent.repeat(d));
  const sep = indent === undefined ? ':' : ': ';
  if (Array.isArray(j)) {
    if (j.length === 0) return '[]';
    return `[${j.map((x) => nl(depth + 1) + write(x, indent, prefix, depth + 1)).join(',')}${nl(depth)}]`;
  }
  const o = j as Record<string, unknown>;
  const keys = Object.keys(o).sort();
  if (keys.length === 0) return '{}';
  return `{${keys.map((k) => nl(depth + 1) + quoteString(k) + sep + write(o[k], indent, prefix, depth + 1)).join(',')}${nl(depth)}}`;
}

/** Compact (indent undefined) or indented JSON; with indentation every line starts with `prefix`. */
export function marshalJson(v: RegoValue, indent?: string, prefix = ''): string {
  const body = write(toJson(v), indent, prefix, 0);
  return indent === undefined ? body : prefix + body;
}
