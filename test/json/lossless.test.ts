// The lossless JSON module: numbers a double would change survive parse and
// stringify as their digits; everything else behaves as JSON.parse/stringify.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { randomBytes } from 'node:crypto';
import { JsonNumber, numberEnd, inexactNumber, parseJson, stringEnd, stringifyJson } from '../../src/json/lossless.js';

/**
 * parseJson as it was before the reviver went (issue 12, session 12): the
 * placeholders put back by a JSON.parse reviver. The reference the walk that
 * replaced it must agree with.
 */
function parseJsonWithReviver(text: string): unknown {
  const found: Array<[number, number]> = [];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 34) { const j = stringEnd(text, i); if (j < 0) break; i = j; }
    else if (c === 45 || (c >= 48 && c <= 57)) { const j = numberEnd(text, i); if (inexactNumber(text.slice(i, j))) found.push([i, j]); i = j - 1; }
  }
  if (found.length === 0) return JSON.parse(text);
  const nonce = randomBytes(12).toString('hex');
  const numbers: JsonNumber[] = [];
  let out = '';
  let at = 0;
  for (const [s, e] of found) {
    numbers.push(new JsonNumber(text.slice(s, e)));
    out += `${text.slice(at, s)}"${nonce}${numbers.length - 1}"`;
    at = e;
  }
  out += text.slice(at);
  const mark = new RegExp(`^${nonce}(\\d+)$`);
  return JSON.parse(out, (_k, v: unknown) => {
    if (typeof v !== 'string' || !v.startsWith(nonce)) return v;
    const m = mark.exec(v);
    return m ? numbers[Number(m[1])] : v;
  });
}

describe('lossless JSON', () => {
  it('keeps big integers, out-of-range and underflowing numbers as their text, and exact ones as numbers', () => {
    const v = parseJson('{"t":1507591916746609046,"a":[1e400,-1e-400,123456789012345678901234567890],"n":9007199254740991,"f":0.1,"s":"1507591916746609046"}') as Record<string, unknown>;
    expect(v['t']).toEqual(new JsonNumber('1507591916746609046'));
    expect((v['a'] as unknown[]).map((x) => (x as JsonNumber).text)).toEqual(['1e400', '-1e-400', '123456789012345678901234567890']);
    expect(v['n']).toBe(9007199254740991);
    expect(v['f']).toBe(0.1);
    expect(v['s']).toBe('1507591916746609046');
    expect(stringifyJson(v)).toBe('{"t":1507591916746609046,"a":[1e400,-1e-400,123456789012345678901234567890],"n":9007199254740991,"f":0.1,"s":"1507591916746609046"}');
    // Outside stringifyJson (a log line) a kept number is its digits as a string, never a rounded value.
    expect(JSON.stringify(v['t'])).toBe('"1507591916746609046"');
  });

  it('reports syntax errors at positions of the text as sent', () => {
    expect(() => parseJson('{"t":1507591916746609046,}')).toThrow(/position 25|Expected double-quoted property name/);
    expect(() => parseJson('[12345678901234567890')).toThrow(SyntaxError);
  });

  it('digits inside strings and keys are never rewritten', () => {
    const text = '{"12345678901234567890":"99999999999999999999","k":[1e500]}';
    expect(stringifyJson(parseJson(text))).toBe(text);
  });

  it('random JSON with big integers inserted round-trips parse -> stringify unchanged', () => {
    const big = fc.bigInt({ min: -(10n ** 40n), max: 10n ** 40n }).filter((b) => b > 2n ** 53n || b < -(2n ** 53n)).map((b) => ({ big: b.toString() }));
    const leaf = fc.oneof(fc.string(), fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean(), fc.constant(null), big);
    const tree = fc.letrec((tie) => ({
      node: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leaf, fc.array(tie('node'), { maxLength: 5 }), fc.dictionary(fc.string({ maxLength: 8 }), tie('node'), { maxKeys: 5 })),
    })).node;
    // Builds the JSON text by hand so the big integers appear as bare digits.
    const text = (v: unknown): string => {
      if (v !== null && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 1 && typeof (v as { big?: unknown }).big === 'string') return (v as { big: string }).big;
      if (Array.isArray(v)) return `[${v.map(text).join(',')}]`;
      if (v !== null && typeof v === 'object') return `{${Object.entries(v).map(([k, x]) => `${JSON.stringify(k)}:${text(x)}`).join(',')}}`;
      return JSON.stringify(v);
    };
    fc.assert(fc.property(tree, (v) => {
      const t = text(v);
      expect(stringifyJson(parseJson(t))).toBe(t);
    }), { seed: 20261125, numRuns: 300 });
  });

  it('kept numbers land where the reviver put them: duplicate keys, __proto__, escaped keys, arrays, deep nesting, a bare number', () => {
    const big = fc.constantFrom('1507591916746609046', '-9007199254740993', '1e400', '-1e-400', '123456789012345678901234567890', '1.7976931348623159e308');
    const plain = fc.oneof(fc.integer().map(String), fc.constantFrom('0.5', '1e5', '"x"', 'true', 'null', '"1507591916746609046"', '[]', '{}'));
    const key = fc.oneof(fc.string({ maxLength: 4 }), fc.constantFrom('__proto__', 'a', 'a', 'constructor', '0', '\\u0061', '\\"q', '__proto\\u005f_'));
    const tree = fc.letrec((tie) => ({
      v: fc.oneof({ depthSize: 'small', withCrossShrink: true }, big, plain,
        fc.array(tie('v'), { maxLength: 4 }).map((xs) => `[${xs.join(',')}]`),
        fc.array(fc.tuple(key, tie('v')), { maxLength: 5 }).map((es) => `{${es.map(([k, x]) => `${k.startsWith('\\') || k.includes('\\') ? `"${k}"` : JSON.stringify(k)}:${x}`).join(',')}}`)),
    })).v;
    const deep = (n: number, inner: string) => `${'{"a":['.repeat(n)}${inner}${']}'.repeat(n)}`;
    let kept = 0;
    fc.assert(fc.property(fc.oneof(tree, tree.map((t) => deep(40, t))), (text) => {
      let expected: unknown;
      try { expected = parseJsonWithReviver(text); } catch { expect(() => parseJson(text)).toThrow(SyntaxError); return; }
      const got = parseJson(text);
      expect(got).toEqual(expected);
      expect(stringifyJson(got)).toBe(stringifyJson(expected));
      // toEqual does not see an own __proto__ turned into a prototype: compare own keys and prototypes along the way.
      const same = (a: unknown, b: unknown): void => {
        if (typeof a !== 'object' || a === null) return;
        expect(Object.getPrototypeOf(a)).toBe(Object.getPrototypeOf(b));
        expect(Object.keys(a)).toEqual(Object.keys(b as object));
        for (const k of Object.keys(a)) same((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]);
      };
      same(got, expected);
      if (stringifyJson(got)!.match(/1507591916746609046|1e400|e-400|123456789012345678901234567890|9007199254740993|e308/)) kept++;
    }), { seed: 20261127, numRuns: 2000 });
    expect(kept).toBeGreaterThan(200);
    const proto = parseJson('{"__proto__":1507591916746609046,"x":[12345678901234567890]}') as Record<string, unknown>;
    expect(Object.getPrototypeOf(proto)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(proto, '__proto__')?.value).toEqual(new JsonNumber('1507591916746609046'));
    expect(parseJson('1507591916746609046')).toEqual(new JsonNumber('1507591916746609046'));
    expect(parseJson('{"a":1e400,"a":2}')).toEqual({ a: 2 });
  });
});

describe('inexactNumber on integer tokens', () => {
  it('agrees with an exact BigInt comparison around 2^53 and for random 15-20 digit integers', () => {
    // Exact, and not a negative zero (a double, but JavaScript writes it as 0: kept as its text).
    const exact = (t: string) => BigInt(t) === BigInt(Number(t)) && !Object.is(Number(t), -0);
    for (const t of ['9007199254740991', '-9007199254740991', '9007199254740992', '9007199254740993', '-9007199254740993', '9007199254740994',
      '18014398509481985', '1507591916746609046', '0000000000000000012', '-0000000000000000000', '1732700000123456']) {
      expect(inexactNumber(t) === undefined, t).toBe(exact(t));
    }
    fc.assert(fc.property(fc.bigInt({ min: -(10n ** 20n), max: 10n ** 20n }), (b) => {
      const t = b.toString();
      expect(inexactNumber(t) === undefined, t).toBe(exact(t));
    }), { seed: 20261127, numRuns: 5_000 });
  });
});

describe('a negative zero', () => {
  it('is kept as sent, wherever it stands; other zeros and minus signs are plain numbers', () => {
    for (const t of ['-0', '-0.0', '-0e3', '-0.000E-5']) {
      expect(parseJson(t)).toEqual(new JsonNumber(t));
      expect(stringifyJson(parseJson(`{"a":[${t}]}`))).toBe(`{"a":[${t}]}`);
    }
    for (const t of ['0', '0.0', '-0.5', '-1', '-05e1']) expect(inexactNumber(t), t).toBeUndefined();
    // Strings that hold "-0" (dates, offsets) are not numbers.
    expect(parseJson('{"d":"2026-00-01T00:00:00-00:00","n":-0.25}')).toEqual({ d: '2026-00-01T00:00:00-00:00', n: -0.25 });
  });
});
