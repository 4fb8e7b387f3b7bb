import { describe, expect, it } from 'vitest';
import { declare } from '../../../src/rego/builtins/registry.js';
import { compileModules } from '../../../src/rego/compile/index.js';
import { parseModule } from '../../../src/rego/syntax/parser.js';
import { bodyOf, compile, compileErrors, rulesOf } from './helpers.js';

describe('name resolution', () => {
  it('resolves rules of the package (from any module), imports and input/data roots', () => {
    const p = compile([
      [
        'package a',
        'import data.lib',
        'import data.lib.g as h',
        'import input.user',
        'p if { lib.f(1); h(2); user.name == "x"; q; data.a.q; r.s[_]; other }',
        'q := 1',
        'r.s := [1]',
      ].join('\n'),
      'package a\nother := true',
      'package lib\nf(x) := x\ng(x) := x',
    ]);
    expect(bodyOf(p, 'a.p')).toBe(
      'data.lib.f(1); data.lib.g(2); input.user.name == "x"; data.a.q; data.a.q; data.a.r.s[$1]; data.a.other',
    );
  });

  it('lets declared locals and function args shadow rule names', () => {
    const p = compile('package a\nq := 1\np if { q := 2; q > 1 }\nf(q) := q');
    expect(bodyOf(p, 'a.p')).toBe('$1 := 2; $1 > 1');
    expect(rulesOf(p, 'a.f')).toEqual(['data "a" "f"(q) = q {  }']);
  });

  it('resolves head refs relative to the package and refs in head values', () => {
    const p = compile('package a.b\nq := 1\nt := q');
    expect(rulesOf(p, 'a.b.t')).toEqual(['data "a" "b" "t" = $1 { $1 = data.a.b.q }']);
  });

  it('leaves builtin calls as builtin names, including test-registered builtins', () => {
    declare({ name: 'test_only.double', args: [{ type: 'number' }], result: { type: 'number' } });
    const p = compile('package a\np if { strings.replace_n({"a": "b"}, "a", x); test_only.double(2) == 4 }');
    expect(bodyOf(p, 'a.p')).toBe('strings.replace_n({"a": "b"}, "a", x); test_only.double(2, $1); $1 == 4');
  });

  it('reports undefined functions and arity errors as OPA type errors', () => {
    expect(
      compileErrors('package a\nf(x) := x\ns if { nope(1) }\nt if { count(1, 2, 3) }\nu if { count() }\nv if { x := f(1, 2) }\nw if { q(1) }\nq := 1'),
    ).toEqual([
      'm0.rego:3:8: rego_type_error: undefined function nope',
      'm0.rego:4:8: rego_type_error: count: too many arguments',
      'm0.rego:5:8: rego_type_error: count: too few arguments',
      'm0.rego:6:13: rego_type_error: data.a.f: too many arguments',
      'm0.rego:7:8: rego_type_error: undefined function data.a.q',
    ]);
  });

  it('rejects invalid import paths (ASTs not made by our parser)', () => {
    const m = parseModule('package a\nimport data.foo.bar\np := 1', 'm0.rego');
    m.imports[0]!.path.terms[0] = { type: 'var', name: 'foo', loc: m.imports[0]!.loc };
    expect(() => compileModules([m], { entrypoints: [] })).toThrow(
      /m0\.rego:2:1: rego_parse_error: invalid import path foo\.foo\.bar: path must begin with input, data, future or rego/,
    );
  });
});

describe('with modifiers', () => {
  it('resolves targets to input/data refs, function refs and builtin names', () => {
    const p = compile([
      'package a\nimport data.lib\nf(x) := x + 1\ng(x) := x * 2\np if { f(1) == 2 with input.a as 1 with f as g with count as sum with lib.z as 3 with count as lib.h }',
      'package lib\nh(_) := 1',
    ]);
    expect(bodyOf(p, 'a.p')).toBe(
      [
        'data.a.f(1, $1) with input.a as 1 with data.a.f as data.a.g with count as sum with data.lib.z as 3 with count as data.lib.h',
        '$1 == 2 with input.a as 1 with data.a.f as data.a.g with count as sum with data.lib.z as 3 with count as data.lib.h',
      ].join('; '),
    );
  });

  it('rejects targets that are neither input, data nor a function', () => {
    expect(compileErrors('package a\np if { true with foo as 1 }')).toEqual([
      'm0.rego:2:18: rego_type_error: with keyword target must reference existing input, data, or a function',
    ]);
  });
});
