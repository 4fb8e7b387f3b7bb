import { describe, expect, it } from 'vitest';
import { bodyOf, compile, compileErrors, queryBody } from './helpers.js';

describe('local variables', () => {
  it('renames := declarations and every _ to fresh vars', () => {
    const p = compile('package a\np if { x := input.a; input.b[_] = x; input.c[_] = 1 }');
    expect(bodyOf(p, 'a.p')).toBe('$1 := input.a; input.b[$2] = $1; input.c[$3] = 1');
  });

  it('reports re-declarations like OPA', () => {
    expect(
      compileErrors(
        'package a\np if { x := 1; x := 2 }\nq if { y = 1; y := 2 }\nr if { some z; z := 1 }\nf(a) := 1 if { a := 2 }\ns if { [1, "x"] := [1, "x"] }',
      ),
    ).toEqual([
      'm0.rego:2:16: rego_compile_error: var x assigned above',
      'm0.rego:3:15: rego_compile_error: var y referenced above',
      'm0.rego:4:16: rego_compile_error: var z declared above',
      'm0.rego:5:16: rego_compile_error: arg a redeclared',
      'm0.rego:6:9: rego_compile_error: cannot assign to number',
      'm0.rego:6:12: rego_compile_error: cannot assign to string',
    ]);
  });

  it('rewrites some x in xs and some k, v in xs into iteration refs', () => {
    const p = compile('package a\np if { some x in input.xs; some k, v in input.o; x == v; k == "a" }\nq if { some y; y = 1 }');
    expect(bodyOf(p, 'a.p')).toBe('$1 = input.xs[$2]; $3 = input.o[$4]; $1 == $3; $4 == "a"');
    expect(bodyOf(p, 'a.q')).toBe('$1 = 1');
  });

  it('scopes comprehension and every locals, sharing closure vars with the enclosing body', () => {
    const p = compile(
      'package a\np if { x := 1; y := [x | x := 2]; z := [w | w := x]; every k, v in [1] { k == v; x > 0 }; a := [u | u = 1]; b := [u | u = 2] }',
    );
    // the second comprehension binding `u` gets a name of its own
    expect(bodyOf(p, 'a.p')).toBe(
      '$1 := 1; $2 := [$3 | $3 := 2]; $4 := [$5 | $5 := $1]; every $6, $7 in [1] { $6 == $7; $1 > 0 }; $8 := [u | u = 1]; $9 := [$10 | $10 = 2]',
    );
  });

  it('reports query vars with their renamed spelling', () => {
    const p = compile('package a\nq := 1', { queries: { main: 'x := data.a.q; y = x; [z | z = 1]; _ = 2' } });
    const q = p.queries[0]!;
    expect(q.vars).toEqual(['x', 'y']);
    expect(q.varNames.get('y')).toBe('y');
    expect(q.varNames.get('x')).toMatch(/^__local\d+__$/);
    expect(queryBody(p, 'main')).toBe('$1 := data.a.q; y = $1; $2 = [z | z = 1]; $2; $3 = 2');
  });

  it('never reuses a var name the user wrote', () => {
    const p = compile('package a\np if { __local0__ = input.x[_] }');
    const [expr] = p.ruleSets.get('a.p')!.rules[0]!.body;
    const args = expr?.kind.type === 'call' ? expr.kind.args : [];
    expect(args[0]).toMatchObject({ type: 'var', name: '__local0__' });
    const key = args[1]?.type === 'ref' ? args[1].terms[2] : undefined;
    expect(key).toMatchObject({ type: 'var' });
    expect(key).not.toMatchObject({ name: '__local0__' });
  });
});
