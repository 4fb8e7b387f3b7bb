import { describe, expect, it } from 'vitest';
import { interpret } from './support.js';

describe('planner: bodies', () => {
  it('unifies composite patterns on either side', () => {
    const l = interpret([`package t
a := [x, y] if { [x, 1] = [2, y] }
b := v if { {"k": v} = input }
c := [p, q] if { [p, [q, 3]] = input.arr }
d if { [1, 2] = [1, 3] }
`], ['t/a', 't/b', 't/c', 't/d']);
    expect(l.value('t/a')).toEqual([2, 1]);
    expect(l.value('t/b', { k: 'v' })).toBe('v');
    expect(l.value('t/b', { k: 'v', other: 1 })).toBeUndefined();
    expect(l.value('t/c', { arr: ['a', ['b', 3]] })).toEqual(['a', 'b']);
    expect(l.value('t/c', { arr: ['a', ['b', 4]] })).toBeUndefined();
    expect(l.value('t/d')).toBeUndefined();
  });

  it('iterates refs with unbound keys and dots with bound ones', () => {
    const l = interpret([`package t
ks contains k if { input.obj[k].v == 1 }
pairs contains [i, j] if { input.xs[i] == input.ys[j] }
`], ['t/ks', 't/pairs']);
    expect(l.value('t/ks', { obj: { a: { v: 1 }, b: { v: 2 }, c: { v: 1 } } })).toEqual(['a', 'c']);
    expect(l.value('t/pairs', { xs: [1, 2, 3], ys: [3, 1] })).toEqual([[0, 1], [2, 0]]);
  });

  it('negation', () => {
    const l = interpret([`package t
p if { not input.x }
q if { not input.x == 1 }
r contains x if { some x in input.xs; not x in input.bad }
n if { not input.xs[_] == 3 }
b if { [input] }
`], ['t/p', 't/q', 't/r', 't/n', 't/b']);
    expect(l.value('t/n', { xs: [1, 2] })).toBe(true);
    expect(l.value('t/n', { xs: [1, 3, 3] })).toBeUndefined();
    expect(l.value('t/p', {})).toBe(true);
    expect(l.value('t/p', { x: false })).toBe(true);
    expect(l.value('t/p')).toBe(true);
    expect(l.value('t/b')).toBeUndefined();
    expect(l.value('t/b', 0)).toBe(true);
    expect(l.value('t/p', { x: 1 })).toBeUndefined();
    expect(l.value('t/q', { x: 2 })).toBe(true);
    expect(l.value('t/q', { x: 1 })).toBeUndefined();
    expect(l.value('t/r', { xs: [1, 2, 3], bad: [2] })).toEqual([1, 3]);
  });

  it('comprehensions', () => {
    const l = interpret([`package t
a := [y | x := input[_]; y := x * 2]
s := {x | x := input[_]; x > 1}
o := {k: v | v := input[_]; k := sprintf("k%d", [v])}
bad := {"k": v | v := input[_]}
`], ['t/a', 't/s', 't/o', 't/bad']);
    expect(l.value('t/a', [1, 2, 2])).toEqual([2, 4, 4]);
    expect(l.value('t/s', [1, 2, 3, 2])).toEqual([2, 3]);
    expect(l.value('t/o', [1, 2])).toEqual({ k1: 1, k2: 2 });
    expect(l.value('t/bad', [1])).toEqual({ k: 1 });
    expect(() => l.value('t/bad', [1, 2])).toThrow('object keys must be unique');
  });

  it('every', () => {
    const l = interpret([`package t
p if { every x in input { x > 0 } }
q if { every k, v in input { k == v } }
r if { every x in input.xs { some y in input.ys; y == x } }
`], ['t/p', 't/q', 't/r']);
    expect(l.value('t/r', { xs: [1, 2], ys: [2, 1, 0] })).toBe(true);
    expect(l.value('t/r', { xs: [1, 5], ys: [2, 1, 0] })).toBeUndefined();
    expect(l.value('t/p', [1, 2])).toBe(true);
    expect(l.value('t/p', [1, -2])).toBeUndefined();
    expect(l.value('t/p', [])).toBe(true);
    expect(l.value('t/p', 42)).toBeUndefined();
    expect(l.value('t/p', 'str')).toBeUndefined();
    expect(l.value('t/q', { a: 'a' })).toBe(true);
    expect(l.value('t/q', { a: 'b' })).toBeUndefined();
  });

  it('calls with an output argument and calls as conditions', () => {
    const l = interpret([`package t
p := n if { count(input, n) }
q if { startswith(input, "a") }
r := [x, y] if { split(input, ",", [x, y]) }
`], ['t/p', 't/q', 't/r']);
    expect(l.value('t/p', [1, 2, 3])).toBe(3);
    expect(l.value('t/q', 'abc')).toBe(true);
    expect(l.value('t/q', 'bc')).toBeUndefined();
    expect(l.value('t/r', 'a,b')).toEqual(['a', 'b']);
    expect(l.value('t/r', 'a,b,c')).toBeUndefined();
  });

  it('queries report their vars once per solution', () => {
    const l = interpret([`package t
s contains x if { some x in [1, 2] }
`], [], [{ name: 'q', query: 'data.t.s[x]; y := x + 1', vars: ['x', 'y'] }]);
    expect(l.results('q')).toEqual([{ x: 1, y: 2 }, { x: 2, y: 3 }]);
  });
});

describe('planner: relations', () => {
  it('walk yields one solution per [path, value] pair', () => {
    const l = interpret([`package t
paths contains path if { walk(input, [path, v]); is_number(v) }
`], ['t/paths']);
    expect(l.value('t/paths', { a: [1, { b: 2 }] })).toEqual([['a', 0], ['a', 1, 'b']]);
  });
});
