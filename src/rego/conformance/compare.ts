// Result comparison with OPA's conventions: numbers by value, results as an
// unordered collection when the case says `sort_bindings` (and then arrays,
// which is how sets arrive as JSON, without order).

function canonical(v: unknown, unordered: boolean): unknown {
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
