import { describe, expect, it } from 'vitest';
import { call, errorOf, set } from './helpers.js';

describe('operators', () => {
  it('compares with OPA order', () => {
    expect(call('lt', 1, 'a')).toBe(true);
    expect(call('equal', 1, 1.0)).toBe(true);
    expect(call('neq', set(1, 2), set(2, 1))).toBe(false);
    expect(call('gte', [1, 2], [1])).toBe(true);
  });

  it('does arithmetic', () => {
    expect(call('plus', 49649733057, 1)).toBe(49649733058);
    expect(call('plus', 0.1, 0.2)).toBe(0.3);
    expect(call('div', 1, 2)).toBe(0.5);
    expect(call('rem', -7, 3)).toBe(-1);
    expect(call('minus', 3, 5)).toBe(-2);
  });

  it('reports OPA errors', () => {
    expect(errorOf('div', 1, 0)).toBe('div: divide by zero');
    expect(errorOf('rem', 7, 0)).toBe('rem: modulo by zero');
    expect(errorOf('rem', 1.1, 1)).toBe('rem: modulo on floating-point number');
    expect(errorOf('minus', set(1), 1)).toBe('minus: operand 2 must be set but got number');
    expect(errorOf('minus', 1, set(1))).toBe('minus: operand 2 must be number but got set');
  });

  it('does set algebra', () => {
    expect(call('minus', set(1, 2, 3, 4), set(1, 3))).toEqual(set(2, 4));
    expect(call('and', set(3, 2, 1), set(3, 4, 2))).toEqual(set(2, 3));
    expect(call('or', set(3, 2), set(3, 4))).toEqual(set(2, 3, 4));
  });

  it('tests membership', () => {
    expect(call('internal.member_2', 1, { foo: 1 })).toBe(true);
    expect(call('internal.member_2', 1, 'foo')).toBe(false);
    expect(call('internal.member_3', 1, 'two', ['one', 'two'])).toBe(true);
    expect(call('internal.member_3', 'foo', 2, { foo: 1 })).toBe(false);
    expect(call('internal.member_2', set(1, 2), [set(2, 1)])).toBe(true);
  });
});

describe('numbers', () => {
  it('rounds like Go', () => {
    expect(call('round', -2.5)).toBe(-3);
    expect(call('round', 2.5)).toBe(3);
    expect(call('ceil', 2222.2222222222)).toBe(2223);
    expect(call('floor', -1.001)).toBe(-2);
    expect(call('abs', -10)).toBe(10);
  });

  it('builds ranges', () => {
    expect(call('numbers.range', -2, 3)).toEqual([-2, -1, 0, 1, 2, 3]);
    expect(call('numbers.range', 2, 0)).toEqual([2, 1, 0]);
    expect(call('numbers.range_step', 0, -10, 2)).toEqual([0, -2, -4, -6, -8, -10]);
    expect(call('numbers.range_step', 2, 5, 2)).toEqual([2, 4]);
    expect(call('numbers.range_step', 0, 10, 99999999999999999999)).toEqual([0]);
    expect(errorOf('numbers.range_step', 0, 10, -2)).toBe('numbers.range_step: step must be a positive integer');
    expect(errorOf('numbers.range', 3.14, 4)).toBe(
      'numbers.range: operand 1 must be integer number but got floating-point number',
    );
  });
});

describe('aggregates', () => {
  it('counts code points and collections', () => {
    expect(call('count', 'åäö')).toBe(3);
    expect(call('count', { a: 1, b: 2 })).toBe(2);
    expect(call('count', set(1, 2, 3, 4))).toBe(4);
    expect(errorOf('count', null)).toBe('count: operand 1 must be one of {array, object, set, string} but got null');
  });

  it('sums, multiplies, and picks extremes', () => {
    expect(call('sum', [1, 2, 3, 4])).toBe(10);
    expect(call('product', set(1, 2, 3, 4))).toBe(24);
    expect(call('max', [1, 2, 3, 4])).toBe(4);
    expect(call('min', [3, 2, 1, 4, 6, -7, 10])).toBe(-7);
    expect(call('max', [])).toBeUndefined();
    expect(call('sort', [4, 'a', 3, null])).toEqual([null, 3, 4, 'a']);
    expect(errorOf('sum', ['a'])).toBe('sum: operand 1 must be array of numbers but got array containing string');
  });
});

describe('arrays', () => {
  it('slices with clamping', () => {
    expect(call('array.slice', [1, 2, 3, 4, 5], 1, 3)).toEqual([2, 3]);
    expect(call('array.slice', [1, 2, 3, 4, 5], -1, 2)).toEqual([1, 2]);
    expect(call('array.slice', [1, 2, 3, 4, 5], 4, 1)).toEqual([]);
    expect(call('array.slice', [1, 2, 3], 1000, 2000)).toEqual([]);
  });

  it('concats, reverses and flattens one level', () => {
    expect(call('array.concat', [1, 2], [3, 4])).toEqual([1, 2, 3, 4]);
    expect(call('array.reverse', [1, 2, 3])).toEqual([3, 2, 1]);
    expect(call('array.flatten', [[1], [[2, 3, []]], 4])).toEqual([1, [2, 3, []], 4]);
    expect(errorOf('array.reverse', { a: 1 })).toBe('array.reverse: operand 1 must be array but got object');
  });
});
