import { describe, expect, it } from 'vitest';
import { interpret } from './support.js';

const modules = [`package a.b
p := 1
s contains x if { some x in [1, 2] }
f(x) := x
`, `package a.c
q := data.a.b.p + 1
u := 1 if false
`, `package use
whole := data.a
pkg := data.a.b
keys contains k if { data.a[k] }
deep contains [k, v] if { v := data.a[k].p }
base := data.x.y
mixed := data.a.b.extra
elem if { data.a.b.s[2] }
`];

describe('planner: references to data', () => {
  const l = interpret(modules, ['use/whole', 'use/pkg', 'use/keys', 'use/deep', 'use/base', 'use/mixed', 'use/elem', 'a/c/q', 'a']);

  it('calls rules and dots into their values', () => {
    expect(l.value('a/c/q')).toBe(2);
    expect(l.value('use/elem')).toBe(true);
  });

  it('builds virtual documents for packages, merged with base data (functions left out, base wins)', () => {
    expect(l.value('use/pkg', undefined, { a: { b: { extra: 'e' } } })).toEqual({ p: 1, s: [1, 2], extra: 'e' });
    expect(l.value('use/pkg', undefined, { a: { b: { p: 'base' } } })).toEqual({ p: 'base', s: [1, 2] });
    expect(l.value('use/whole')).toEqual({ b: { p: 1, s: [1, 2] }, c: { q: 2 } });
    expect(l.value('a')).toEqual({ b: { p: 1, s: [1, 2] }, c: { q: 2 } });
  });

  it('iterates virtual documents', () => {
    expect(l.value('use/keys', undefined, { a: { z: 1 } })).toEqual(['b', 'c', 'z']);
    expect(l.value('use/deep')).toEqual([['b', 1]]);
  });

  it('reads base documents', () => {
    expect(l.value('use/base', undefined, { x: { y: [1] } })).toEqual([1]);
    expect(l.value('use/base', undefined, {})).toBeUndefined();
    expect(l.value('use/mixed', undefined, { a: { b: { extra: 3 } } })).toBe(3);
  });
});

describe('planner: with', () => {
  it('replaces input and data for one expression, also inside the rules it calls', () => {
    const l = interpret([`package t
p := input.x
b := data.cfg.v
q := [a, c, d] if {
  a := data.t.p with input.x as 7
  c := data.t.p
  d := data.t.b with data.cfg.v as "w"
}
`], ['t/q']);
    expect(l.value('t/q', { x: 1 }, { cfg: { v: 'orig' } })).toEqual([7, 1, 'w']);
  });

  it('replaces rules (virtual documents) and re-plans the rules that read them', () => {
    const l = interpret([`package t
r := 1
s := data.t.r + 1
q := [x, y] if {
  x := data.t.s with data.t.r as 10
  y := data.t.s
}
`], ['t/q']);
    expect(l.value('t/q')).toEqual([11, 2]);
    expect(l.policy.funcs.map((f) => f.name)).toEqual(expect.arrayContaining(['g0.data.t.s', 'g1.data.t.s']));
  });

  it('replaces functions and builtins, with functions or values', () => {
    const l = interpret([`package t
f(x) := x + 1
g(x) := x * 10
h(x) := data.t.f(x)
q := [a, b, c, d] if {
  a := data.t.h(1) with data.t.f as data.t.g
  b := count([1]) with count as 42
  c := data.t.h(1) with data.t.f as input.v
  d := data.t.h(1)
}
`], ['t/q']);
    expect(l.value('t/q', { v: 'in' })).toEqual([10, 42, 'in', 2]);
  });

  it('iterating expressions under with run the rest of the query with the original input', () => {
    const l = interpret([`package t
xs contains x if { some x in input }
q contains [x, y] if {
  data.t.xs[x] with input as [1, 2]
  y := count(input)
}
`], ['t/q']);
    expect(l.value('t/q', [5, 6, 7])).toEqual([[1, 3], [2, 3]]);
  });
});

describe('planner: with replacements of functions', () => {
  it('a replacement calls the original, not itself, and not other replacements', () => {
    const l = interpret([`package t
mock_count(x) := count(x) + 100
g(x) := count(x)
q := x if { x := data.t.r with object.union_n as data.t.g }
r := object.union_n([{}])
p := [a, b] if {
  a := count([1, 2]) with count as data.t.mock_count
  b := data.t.q with count as data.t.mock_count
}
`], ['t/p']);
    expect(l.value("t/p")).toEqual([102, 1]);
  });

  it('a replacement value still needs the arguments to be defined', () => {
    const l = interpret([`package t
p if { count(input) == 1 with count as 1 }
`], ['t/p']);
    expect(l.value('t/p')).toBeUndefined();
    expect(l.value('t/p', [])).toBe(true);
  });
});

describe('planner: keys into data known at run time', () => {
  it('selects the document by key without evaluating the others (no self-recursion)', () => {
    const l = interpret([`package t
p := data[first].allow.see if { first := "primary" }
all := data[k] if { k := "primary" }
`, `package primary
allow.see := "yes"
`], ['t/p', 't/all']);
    expect(l.value('t/p')).toBe('yes');
    expect(l.value('t/all')).toEqual({ allow: { see: 'yes' } });
    const pFunc = l.policy.funcs.find((f) => f.name === 'g0.data.t.p')!;
    const callees = JSON.stringify(pFunc.blocks, (_k, v) => (typeof v === 'bigint' ? String(v) : v));
    expect(callees).toContain('"func":"g0.data.primary.allow.see"');
    expect(callees).not.toContain('"func":"g0.data.t.p"');
  });

  it('reads integer keys of base documents as strings too', () => {
    const l = interpret([`package t
p := data.nested[2]
q := data.arr[1]
`], ['t/p', 't/q']);
    expect(l.value('t/p', undefined, { nested: { 2: 'bar' } })).toBe('bar');
    expect(l.value('t/q', undefined, { arr: ['a', 'b'] })).toBe('b');
  });
});
