import { describe, expect, it } from 'vitest';
import { bodyOf, compile, compileErrors, rulesOf } from './helpers.js';

describe('safety reordering', () => {
  it('moves expressions after the ones binding their inputs, otherwise keeps source order', () => {
    const p = compile('package a\np if { y > 1; y = x + 1; x = input.a; input.b }');
    // OPA places in passes: the first pass places every expression that is ready.
    expect(bodyOf(p, 'a.p')).toBe('x = input.a; input.b; plus(x, 1, $1); y = $1; y > 1');
  });

  it('orders negations, every and comprehensions after the bindings of their closure vars', () => {
    const p = compile(
      'package a\np if { not input.xs[i]; i = 1 }\nq contains z if { z = [a | a = b]; b = 1 }\nt if { every x in xs { x > 0 }; xs = input.xs }',
    );
    expect(bodyOf(p, 'a.p')).toBe('i = 1; not input.xs[i]');
    expect(bodyOf(p, 'a.q')).toBe('b = 1; z = [a | a = b]');
    expect(bodyOf(p, 'a.t')).toBe('xs = input.xs; every $1 in xs { $1 > 0 }');
  });

  it('binds vars by unification of patterns, iteration refs and call outputs', () => {
    const p = compile('package a\nu if { n > 0; count(c, n); c = {"k": a, "j": b}; [a, b] = [1, input.c] }');
    expect(bodyOf(p, 'a.u')).toBe('[a, b] = [1, input.c]; c = {"k": a, "j": b}; count(c, n); n > 0');
  });

  it('treats head ref vars, key and value as needing bindings and function args as bound', () => {
    const p = compile('package a\nr[k] := v if { v := input.vals[k] }\nf(x) := y if { y := x }');
    expect(rulesOf(p, 'a.r')).toEqual(['data "a" "r" k = $1 { $1 := input.vals[k] }']);
    expect(rulesOf(p, 'a.f')).toEqual(['data "a" "f"(x) = $1 { $1 := x }']);
  });

  it('binds refs that iterate inside call inputs to a var of their own first', () => {
    const p = compile('package a\nq := foo if { some foo; foo == input.foos[foo] }\nr if { count(input.xs[i], n); n > i }');
    expect(rulesOf(p, 'a.q')).toEqual(['data "a" "q" = $1 { $2 = input.foos[$1]; $1 == $2 }']);
    expect(bodyOf(p, 'a.r')).toBe('$1 = input.xs[i]; count($1, n); n > i');
  });

  it('reports unsafe vars with their location and user spelling', () => {
    expect(
      compileErrors(
        'package a\np if { x > 1 }\nq := y if { true }\nr if { not input.xs[i] }\ns if { [x | x > 1] }\nf(x) := y\nt if { z := 1; input.a[_] > w }',
      ),
    ).toEqual([
      'm0.rego:2:8: rego_unsafe_var_error: var x is unsafe',
      'm0.rego:3:6: rego_unsafe_var_error: var y is unsafe',
      'm0.rego:4:21: rego_unsafe_var_error: var i is unsafe',
      'm0.rego:5:13: rego_unsafe_var_error: var x is unsafe',
      'm0.rego:6:9: rego_unsafe_var_error: var y is unsafe',
      'm0.rego:7:29: rego_unsafe_var_error: var w is unsafe',
    ]);
  });

  it('checks query bodies too', () => {
    expect(compileErrors('package a\nq := 1', { queries: { main: 'x = data.a.q; y > x' } })).toEqual([
      'main:1:15: rego_unsafe_var_error: var y is unsafe',
    ]);
    const p = compile('package a\nq := 1', { queries: { main: 'y = x; x = data.a.q' } });
    expect(p.queries[0]!.vars).toEqual(['y', 'x']);
  });
});
