// The lossless JSON module: numbers a double would change survive parse and
// stringify as their digits; everything else behaves as JSON.parse/stringify.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { JsonNumber, parseJson, stringifyJson } from '../../src/json/lossless.js';

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
});
