// Result comparison with OPA's conventions: numbers by value, results as an
// unordered collection when the case says `sort_bindings` (and then arrays,
// which is how sets arrive as JSON, without order). The engine's results keep
// integers beyond a double exactly (JsonNumber); the cases are read with
// JSON.parse (their data and input go to the SDK, which stringifies them), so
// a kept number is compared as the double the case file's JSON.parse gives.

import { isJsonNumber } from '../../json/lossless.js';

function canonical(v: unknown, unordered: boolean): unknown {
  if (isJsonNumber(v)) return Number(v.text);
  if (Array.isArray(v)) {
    const items = v.map((x) => canonical(x, unordered));
    if (unordered) items.sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : JSON.stringify(a) > JSON.stringify(b) ? 1 : 0));
    return items;
  }
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) out[k] = canonical((v as Record<string, unknown>)[k], unordered);
    return out;
  }
  return v;
}

export function sameResults(got: unknown[], want: unknown[], unordered: boolean): boolean {
  return JSON.stringify(canonical(got, unordered)) === JSON.stringify(canonical(want, unordered));
}
