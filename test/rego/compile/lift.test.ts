import { describe, expect, it } from 'vitest';
import { bodyOf, compile, rulesOf } from './helpers.js';

describe('lifting nested calls', () => {
  it('lifts calls out of refs, ref keys, call args and composites, innermost first', () => {
    const p = compile('package a\nf(x) := {"y": x}\np if { x := f(count(input.a)).y; data.b[count(input.c)] == [1, lower("A")] }');
    expect(bodyOf(p, 'a.p')).toBe(
      'count(input.a, $1); data.a.f($1, $2); $3 := $2.y; count(input.c, $4); lower("A", $5); data.b[$4] == [1, $5]',
    );
  });

  it('binds non-var ref heads and composite ref keys to fresh vars', () => {
    const p = compile('package a\nt := v if { v := [1, 2][input.i] }');
    expect(rulesOf(p, 'a.t')).toEqual(['data "a" "t" = $1 { $2 = [1, 2]; $3 = input.i; $1 := $2[$3] }']);
  });

  it('moves calls and refs in rule heads into the body', () => {
    const p = compile('package a\nq := count(input.x)\nr contains upper(input.y)\ns[lower(input.k)] := 1\nf(x) := x + 1\ng := input.v');
    expect(rulesOf(p, 'a.q')).toEqual(['data "a" "q" = $1 { count(input.x, $1) }']);
    expect(rulesOf(p, 'a.r')).toEqual(['data "a" "r" contains $1 { upper(input.y, $1) }']);
    expect(rulesOf(p, 'a.s')).toEqual(['data "a" "s" $1 = 1 { lower(input.k, $1) }']);
    expect(rulesOf(p, 'a.f')).toEqual(['data "a" "f"(x) = $1 { plus(x, 1, $1) }']);
    expect(rulesOf(p, 'a.g')).toEqual(['data "a" "g" = $1 { $1 = input.v }']);
  });

  it('turns computed function args into a var compared in the body', () => {
    const p = compile('package a\nf($"{x}!") := 42 if x = "foo"\ng([a, b]) := a + b');
    expect(rulesOf(p, 'a.f')).toEqual([
      'data "a" "f"($1) = 42 { $1 = $2; x = "foo"; $3 = {$4 | $4 = x}; internal.template_string([$3, "!"], $2) }',
    ]);
    expect(rulesOf(p, 'a.g')).toEqual(['data "a" "g"([a, b]) = $1 { plus(a, b, $1) }']);
  });

  it('lifts else values into the else body', () => {
    const p = compile('package a\nf(x) := 1 if x > 1 else := count(x)');
    expect(rulesOf(p, 'a.f')).toEqual(['data "a" "f"(x) = 1 { x > 1 }', 'data "a" "f"(x) = $1 { count(x, $1) }']);
  });

  it('copies with modifiers onto lifted expressions, but not onto those lifted from with values', () => {
    const p = compile('package a\np if { count(input.x) > 1 with input.x as [lower("A")] }');
    expect(bodyOf(p, 'a.p')).toBe(
      'lower("A", $1); count(input.x, $2) with input.x as [$1]; $2 > 1 with input.x as [$1]',
    );
  });

  it('lifts comprehensions out of nested positions but keeps them as unification operands', () => {
    const p = compile('package a\np if { count([x | x := input[_]]) > 0; y := {k: 1 | some k in input.ks} }');
    expect(bodyOf(p, 'a.p')).toBe(
      '$1 = [$2 | $2 := input[$3]]; count($1, $4); $4 > 0; $5 := {$6: 1 | $6 = input.ks[$7]}',
    );
  });

  it('lifts what a negated expression computes out of the negation, as OPA does', () => {
    const p = compile([
      'package a',
      'p if { not count(input.x) > 2 }',
      'q if { not input.y }',
      'r if { not startswith(input.s, lower(input.t)) with input.s as input.u }',
      's if { not input.z == 1; not [input.w] = [2]; not input.v != 3 }',
    ].join('\n'));
    expect(bodyOf(p, 'a.p')).toBe('count(input.x, $1); not $1 > 2');
    expect(bodyOf(p, 'a.q')).toBe('not input.y');
    expect(bodyOf(p, 'a.r')).toBe(
      'lower(input.t, $1) with input.s as input.u; $2 = input.u; $3 = input.s with input.s as $2; not startswith($3, $1) with input.s as $2',
    );
    // In modules `==` unifies (OPA rewrites it to `=`): its operands stay; composites and other calls do not.
    expect(bodyOf(p, 'a.s')).toBe('not input.z == 1; $1 = input.w; not [$1] = [2]; $2 = input.v; not $2 != 3');
  });
});

describe('template strings and print', () => {
  it('turns template strings into internal.template_string over singleton sets', () => {
    const p = compile('package a\nw := $"a {input.z} b {count(input.q)}"');
    expect(rulesOf(p, 'a.w')).toEqual([
      'data "a" "w" = $1 { $2 = {$3 | $3 = input.z}; $4 = {$5 | count(input.q, $6); $5 = $6}; internal.template_string(["a ", $2, " b ", $4], $1) }',
    ]);
  });

  it('rewrites print to internal.print like OPA', () => {
    const p = compile('package a\np if { x := 1; print("x is", x) }');
    expect(bodyOf(p, 'a.p')).toBe('$1 := 1; $2 = {$3 | $3 = "x is"}; $4 = {$5 | $5 = $1}; internal.print([$2, $4])');
  });
});
