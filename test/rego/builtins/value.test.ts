import { describe, expect, it } from 'vitest';
import { RegoObject, RegoSet } from '../../../src/rego/builtins/types.js';
import {
  compare,
  decode,
  encode,
  equal,
  formatValue,
  makeObject,
  makeSet,
  objectGet,
  typeName,
} from '../../../src/rego/builtins/value.js';

describe('wire form', () => {
  it('decodes tagged sets and non-string-key objects', () => {
    const v = decode({ a: { '\u0000set': [3, 1, 1] }, b: { '\u0000obj': [[1, 'x']] } }) as Record<string, unknown>;
    expect(v.a).toBeInstanceOf(RegoSet);
    expect((v.a as RegoSet).items).toEqual([1, 3]);
    expect(v.b).toBeInstanceOf(RegoObject);
    expect(objectGet(v.b as RegoObject, 1)).toBe('x');
  });

  it('encodes back to the tagged form, sorted', () => {
    expect(encode(new RegoSet(['b', 'a']))).toEqual({ '\u0000set': ['a', 'b'] });
    expect(encode(new RegoObject([[[1], 2]]))).toEqual({ '\u0000obj': [[[1], 2]] });
    expect(encode(new RegoObject([['k', 2]]))).toEqual({ k: 2 });
  });

  it('round-trips __proto__ keys as data', () => {
    const v = decode(JSON.parse('{"__proto__": {"x": 1}}'));
    expect(Object.keys(v as object)).toEqual(['__proto__']);
    expect(JSON.stringify(encode(v))).toBe('{"__proto__":{"x":1}}');
  });
});

describe('order', () => {
  it('orders types null < boolean < number < string < array < object < set', () => {
    const vs = [makeSet([]), {}, [], '', 0, false, null];
    const sorted = [...vs].sort(compare);
    expect(sorted.map(typeName)).toEqual(['null', 'boolean', 'number', 'string', 'array', 'object', 'set']);
  });

  it('compares numbers by value and strings by code point', () => {
    expect(equal(1, 1.0)).toBe(true);
    expect(compare(2, 10)).toBe(-1);
    // U+FF61 sorts before U+1F600 by code point, but not by UTF-16 unit.
    expect(compare('\uff61', '\u{1f600}')).toBe(-1);
  });

  it('compares objects by sorted keys then values', () => {
    expect(compare({ a: 1 }, { b: 0 })).toBe(-1);
    expect(compare({ a: 1, b: 2 }, { b: 2, a: 1 })).toBe(0);
    expect(compare({ a: 1 }, { a: 1, b: 0 })).toBe(-1);
  });

  it('dedups sets', () => {
    expect(makeSet([2, 1, 2.0, 'a']).items).toEqual([1, 2, 'a']);
  });

  it('keeps plain objects when all keys are strings', () => {
    expect(makeObject([['a', 1]])).toEqual({ a: 1 });
    expect(makeObject([[1, 'a'], [1, 'b']])).toEqual(new RegoObject([[1, 'b']]));
  });
});

describe('printing', () => {
  it('prints terms as OPA does', () => {
    expect(formatValue(makeSet([])) ).toBe('set()');
    expect(formatValue({ b: [1, 'x'], a: makeSet([2, 1]) })).toBe('{"a": {1, 2}, "b": [1, "x"]}');
    expect(formatValue(null)).toBe('null');
  });
});
