import { describe, expect, it } from 'vitest';
import { compileModules } from '../../../src/rego/compile/index.js';
import { RegoCompileError } from '../../../src/rego/errors.js';
import { parseModule } from '../../../src/rego/syntax/parser.js';
import { compile, compileErrors } from './helpers.js';

describe('compileModules', () => {
  it('warns about entrypoints that name nothing, accepts packages, rules and paths under rule sets', () => {
    const p = compile('package a.b\np := 1\nobj[k] := 2 if some k in ["x"]', {
      entrypoints: [['a'], ['a', 'b', 'p'], ['a', 'b', 'obj', 'x'], ['a', 'c'], []],
    });
    expect(p.warnings).toEqual(['entrypoint "a/c" does not refer to any rule or package']);
    expect(p.entrypoints).toHaveLength(5);
  });

  it('collects problems from every pass and module in one error', () => {
    let error: unknown;
    try {
      compile(['package a\np if { x > 1 }', 'package b\nq if { nope(1) }\nr := 1\nr := 2 if input.a\nr contains 3']);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(RegoCompileError);
    const problems = (error as RegoCompileError).problems;
    expect(problems.map((x) => x.code).sort()).toEqual(['rego_type_error', 'rego_type_error', 'rego_unsafe_var_error']);
    expect(problems.every((x) => x.loc?.file)).toBe(true);
  });

  it('reports only the resolution error of a rule whose calls do not resolve, like OPA stopping after a stage', () => {
    expect(compileErrors('package a\np if { x := nope(1); x > 0 }\nq if { y > 1 }')).toEqual([
      'm0.rego:2:13: rego_type_error: undefined function nope',
      'm0.rego:3:8: rego_unsafe_var_error: var y is unsafe',
    ]);
  });

  it('compiles v0 modules with future.keywords imports and v1 modules importing rego.v1', () => {
    const v0 = parseModule('package a\nimport future.keywords.in\nimport future.keywords\np[x] { x := input.xs[_] }\nq[k] = v { v := input.o[k] }\nr { 1 in input.s }', 'v0.rego', { regoVersion: 'v0' });
    const v1 = parseModule('package b\nimport rego.v1\ns if data.a.r', 'v1.rego', { regoVersion: 'v1' });
    const p = compileModules([v0, v1], { entrypoints: [] });
    expect(p.ruleSets.get('a.p')?.kind).toBe('multi');
    expect(p.ruleSets.get('a.q')?.rules[0]?.head.ref.map((t) => t.type)).toEqual(['var', 'string', 'string', 'var']);
    expect(p.ruleSets.get('b.s')?.rules[0]?.body[0]?.kind).toMatchObject({ type: 'term', term: { type: 'ref' } });
  });

  it('does not modify the modules it is given', () => {
    const m = parseModule('package a\np if { x := count(input.y); x > 1 }', 'm.rego');
    const before = JSON.stringify(m);
    compileModules([m], { entrypoints: [] });
    expect(JSON.stringify(m)).toBe(before);
  });
});
