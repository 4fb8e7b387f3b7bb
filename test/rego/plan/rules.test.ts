import { describe, expect, it } from 'vitest';
import { interpret } from './support.js';

describe('planner: rules', () => {
  it('complete rules: constants, bodies, defaults', () => {
    const l = interpret([`package t
p := 1
q := x if { x := input.a + 1 }
default r := "d"
r := "yes" if input.a > 5
`], ['t/p', 't/q', 't/r']);
    expect(l.value('t/p')).toBe(1);
    expect(l.value('t/q', { a: 2 })).toBe(3);
    expect(l.value('t/q', {})).toBeUndefined();
    expect(l.value('t/r', { a: 1 })).toBe('d');
    expect(l.value('t/r', { a: 9 })).toBe('yes');
  });

  it('complete rules with conflicting values abort', () => {
    const l = interpret([`package t
p := x if { some x in input }
`], ['t/p']);
    expect(l.value('t/p', [1, 1])).toBe(1);
    expect(() => l.value('t/p', [1, 2])).toThrow('eval_conflict_error: complete rules must not produce multiple outputs');
  });
});

describe('planner: multi-value and keyed rules', () => {
  it('partial sets are the union of all definitions', () => {
    const l = interpret([`package t
s contains x if { some x in input.a }
s contains y if { some y in input.b }
s contains "c"
`], ['t/s']);
    expect(l.value('t/s', { a: [1, 2], b: [2, 3] })).toEqual([1, 2, 3, 'c']);
    expect(l.value('t/s', {})).toEqual(['c']);
  });

  it('partial objects and ref heads build nested objects', () => {
    const l = interpret([`package t
o[k] := v if { some k, v in input }
r[a].b[c] := 1 if { some a in ["x", "y"]; some c in ["m"] }
`], ['t/o', 't/r']);
    expect(l.value('t/o', { a: 1, b: 2 })).toEqual({ a: 1, b: 2 });
    expect(l.value('t/o', {})).toEqual({});
    expect(l.value('t/r')).toEqual({ x: { b: { m: 1 } }, y: { b: { m: 1 } } });
  });

  it('conflicting keys in partial objects abort', () => {
    const l = interpret([`package t
o[k] := v if { some v in input; k := "same" }
`], ['t/o']);
    expect(() => l.value('t/o', [1, 2])).toThrow('object keys must be unique');
  });

  it('else chains pick the first body that succeeds', () => {
    const l = interpret([`package t
p := "a" if { input.x == 1 } else := "b" if { input.x == 2 } else := "c"
`], ['t/p']);
    expect(l.value('t/p', { x: 1 })).toBe('a');
    expect(l.value('t/p', { x: 2 })).toBe('b');
    expect(l.value('t/p', { x: 3 })).toBe('c');
  });
});

describe('planner: functions', () => {
  it('unifies head args with patterns and tries every definition', () => {
    const l = interpret([`package t
f([a, b]) := a + b
f(x) := x if is_number(x)
g(x, x) := "same"
g(x, y) := "diff" if x != y
p := [data.t.f([1, 2]), data.t.f(10), data.t.g(1, 1), data.t.g(1, 2)]
`], ['t/p']);
    expect(l.value('t/p')).toEqual([3, 10, 'same', 'diff']);
  });

  it('conflicting outputs for the same inputs abort', () => {
    const l = interpret([`package t
f(x) := 1 if x > 0
f(x) := 2 if x > 1
p := data.t.f(input)
`], ['t/p']);
    expect(l.value('t/p', 1)).toBe(1);
    expect(() => l.value('t/p', 2)).toThrow('functions must not produce multiple outputs for same inputs');
  });
});

describe('planner: overlapping ref heads', () => {
  it('rule sets below a rule set with variables become part of its object', () => {
    const l = interpret([`package t
p[q].r := i if { some i, q in ["a", "b"] }
p.c.r := 2
p.e := 4
s[q] contains r if { some q in ["a", "b"]; some r in ["x"] }
s.b contains "foo"
`], ['t/p', 't/s']);
    expect(l.value('t/p')).toEqual({ a: { r: 0 }, b: { r: 1 }, c: { r: 2 }, e: 4 });
    expect(l.value('t/s')).toEqual({ a: ['x'], b: ['foo', 'x'] });
  });

  it('placing a value inside another rule\'s value, or a different one, aborts', () => {
    const inject = interpret([`package t
p[q].r := v if { q := "q"; v := {"s": {"t": 1}} }
p.q.r.s.u := 42
`], ['t/p']);
    expect(() => inject.value('t/p')).toThrow('eval_conflict_error');
    const clash = interpret([`package t
p[q].r.s := i if { some i, q in ["a"] }
p.a.r := 42
`], ['t/p']);
    expect(() => clash.value('t/p')).toThrow('eval_conflict_error');
    const same = interpret([`package t
p[q].r := i if { some i, q in ["a", "b"] }
p.a.r := 0
`], ['t/p']);
    expect(same.value('t/p')).toEqual({ a: { r: 0 }, b: { r: 1 } });
  });
});
