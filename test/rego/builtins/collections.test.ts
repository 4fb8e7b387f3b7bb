import { describe, expect, it } from 'vitest';
import { RegoObject } from '../../../src/rego/builtins/types.js';
import { call, errorOf, set } from './helpers.js';

describe('object.*', () => {
  it('gets by key or path with default', () => {
    expect(call('object.get', { a: 'b' }, 'c', 'c')).toBe('c');
    expect(call('object.get', new RegoObject([[1, 2]]), 1, 3)).toBe(2);
    expect(call('object.get', { a: 1 }, [], 2)).toEqual({ a: 1 });
    expect(call('object.get', { a: { b: [{ c: 1 }] } }, ['a', 'b', 0, 'c'], 2)).toBe(1);
    expect(call('object.get', { a: { b: [1, 2, 3] } }, ['a', 'b', 'a'], 2)).toBe(2);
    expect(errorOf('object.get', 'x', ['a'], 2)).toBe('object.get: operand 1 must be object but got string');
  });

  it('lists keys as a set', () => {
    expect(call('object.keys', { b: 2, a: 1 })).toEqual(set('a', 'b'));
    expect(call('object.keys', new RegoObject([[[1], 1]]))).toEqual(set([1]));
  });

  it('removes and filters by set, array or object keys', () => {
    expect(call('object.remove', { a: 1, b: { c: 3 }, d: 4 }, ['d', 'b'])).toEqual({ a: 1 });
    expect(call('object.remove', { a: { b: 2 }, x: 123 }, { a: { b: 1 } })).toEqual({ x: 123 });
    expect(call('object.filter', { a: 1, b: 2, e: 9 }, set('a', 'e'))).toEqual({ a: 1, e: 9 });
    expect(call('object.filter', new RegoObject([['a', 1], [[[7]], 2]]), set([[7]]))).toEqual(new RegoObject([[[[7]], 2]]));
    expect(errorOf('object.remove', { a: 1 }, 'a')).toBe(
      'object.remove: operand 2 must be one of {object, set, array} but got string',
    );
  });

  it('merges recursively, right side winning', () => {
    expect(call('object.union', { a: { b: { c: 1 } }, e: 1 }, { a: { b: 'foo', b1: 'bar' }, d: 7, e: 17 })).toEqual({
      a: { b: 'foo', b1: 'bar' },
      d: 7,
      e: 17,
    });
    expect(call('object.union_n', [{ a: 1, b: 2 }, { a: 'a', d: 4 }, { a: 'final' }])).toEqual({ a: 'final', b: 2, d: 4 });
    expect(errorOf('object.union', [], {})).toBe('object.union: operand 1 must be object but got array');
  });

  it('checks subsets', () => {
    const A = { a: 5, nested: { x: 10, set1: set(1, 2, 3, 4), arr1: [6, 7, 8, 9] } };
    const B = { a: 5, nested: { set1: set(4, 1), arr1: [6, 7] } };
    expect(call('object.subset', A, B)).toBe(true);
    expect(call('object.subset', B, A)).toBe(false);
    expect(call('object.subset', [1, 2, 3, 4, 5, 6], [3, 4, 5])).toBe(true);
    expect(call('object.subset', [1, 2, 3, 4, 5, 6], [4, 5, 6, 8])).toBe(false);
    expect(call('object.subset', [1, 2, 3, 4, 5, 6], set(4, 3, 2))).toBe(true);
  });
});

describe('json.filter / json.remove', () => {
  it('keeps only the given paths', () => {
    expect(call('json.filter', { a: { b: { c: 7, d: 8 }, e: 9 } }, set('a/b/c', 'a/e'))).toEqual({ a: { b: { c: 7 }, e: 9 } });
    expect(call('json.filter', { a: [{ b: 7, c: 8 }, { d: 9 }] }, set('a/0/b', 'a/1'))).toEqual({ a: [{ b: 7 }, { d: 9 }] });
    expect(call('json.filter', { a: [{ 1: ['b', 'c', 'd'] }, { x: 'y' }] }, set('a/0/1/2'))).toEqual({ a: [{ 1: ['d'] }] });
    expect(call('json.filter', { a: { b: { c: 7, d: 8, x: 0 } }, e: 9 }, set('a/b/d', ['a', 'b', 'c']))).toEqual({
      a: { b: { c: 7, d: 8 } },
    });
  });

  it('removes the given paths', () => {
    expect(call('json.remove', { a: { b: 7 }, c: 1 }, set('a', 'a/b'))).toEqual({ c: 1 });
    expect(call('json.remove', { a: { b: 7 }, c: 1 }, set('a/b', 'c'))).toEqual({ a: {} });
    expect(call('json.remove', { a: [{ b: 7, c: 8 }, { d: 9 }] }, set('a/0/b', 'a/1'))).toEqual({ a: [{ c: 8 }] });
    expect(errorOf('json.remove', { a: 1 }, { a: 1 })).toBe('json.remove: operand 2 must be one of {set, array} but got object');
    expect(errorOf('json.remove', { a: 1 }, set(1))).toBe(
      'json.remove: operand 2 must be one of {set, array} containing string paths or array of path segments but got number',
    );
  });
});

describe('json.patch', () => {
  it('applies RFC 6902 operations', () => {
    expect(call('json.patch', { a: 1 }, [{ op: 'add', path: '/b', value: 2 }])).toEqual({ a: 1, b: 2 });
    expect(call('json.patch', { a: [1, 3] }, [{ op: 'add', path: '/a/1', value: 2 }])).toEqual({ a: [1, 2, 3] });
    expect(call('json.patch', { a: [1] }, [{ op: 'add', path: '/a/-', value: 2 }])).toEqual({ a: [1, 2] });
    expect(call('json.patch', { a: 1 }, [{ op: 'replace', path: '/a', value: 2 }])).toEqual({ a: 2 });
    expect(call('json.patch', { a: 1 }, [{ op: 'copy', from: '/a', path: '/b' }])).toEqual({ a: 1, b: 1 });
    expect(call('json.patch', { a: 1 }, [{ op: 'test', path: '/a', value: 2 }])).toBeUndefined();
    expect(call('json.patch', { a: 1 }, [{ op: 'remove', path: '/x' }])).toBeUndefined();
  });

  it('patches sets by element', () => {
    expect(call('json.patch', { foo: set('a', 'b', 'c') }, [{ op: 'remove', path: 'foo/b' }])).toEqual({ foo: set('a', 'c') });
    expect(call('json.patch', { foo: set('a') }, [{ op: 'add', path: 'foo/d', value: 'd' }])).toEqual({ foo: set('a', 'd') });
    expect(call('json.patch', { foo: set('a') }, [{ op: 'add', path: 'foo/d', value: 'e' }])).toBeUndefined();
    expect(call('json.patch', { foo: set('a', 'b'), bar: set('c') }, [{ op: 'move', from: 'foo/a', path: 'bar/a' }])).toEqual({
      foo: set('b'),
      bar: set('a', 'c'),
    });
    expect(call('json.patch', set([1]), [{ op: 'add', path: [[1], 1], value: 2 }])).toEqual(set([1, 2]));
  });
});

describe('sets and walk', () => {
  it('unions and intersects sets of sets', () => {
    expect(call('union', set(set(1, 2, 3), set(2, 3, 4), set(4, 5, 6)))).toEqual(set(1, 2, 3, 4, 5, 6));
    expect(call('intersection', set(set(1, 2, 3), set(2)))).toEqual(set(2));
    expect(call('intersection', set())).toEqual(set());
    expect(call('union', set())).toEqual(set());
  });

  it('walks every node with its path', () => {
    expect(call('walk', [1, 2])).toEqual([[[], [1, 2]], [[0], 1], [[1], 2]]);
    expect(call('walk', set(set(1)))).toEqual([[[], set(set(1))], [[set(1)], set(1)], [[set(1), 1], 1]]);
    expect(call('walk', { v2: 'b', v1: 'a' })).toEqual([[[], { v1: 'a', v2: 'b' }], [['v1'], 'a'], [['v2'], 'b']]);
  });
});
