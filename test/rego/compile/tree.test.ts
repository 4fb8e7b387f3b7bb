import { describe, expect, it } from 'vitest';
import { compile, compileErrors, rulesOf } from './helpers.js';

describe('rule sets and the document tree', () => {
  it('merges rules of one package across modules, in source order', () => {
    const p = compile([
      'package a.b\np contains 1\nq := 2',
      'package a.b\np contains 3\n',
    ]);
    const set = p.ruleSets.get('a.b.p');
    expect(set?.kind).toBe('multi');
    expect(set?.path).toEqual(['a', 'b', 'p']);
    expect(rulesOf(p, 'a.b.p')).toEqual(['data "a" "b" "p" contains 1 {  }', 'data "a" "b" "p" contains 3 {  }']);
    expect(p.root.children.get('a')?.children.get('b')?.children.get('q')?.ruleSet?.kind).toBe('single');
  });

  it('groups ref heads under their ground prefix and keeps the dynamic rest in head.ref', () => {
    const p = compile('package x\na.b[k].c := 1 if k := "z"\na.b.d := 2');
    const set = p.ruleSets.get('x.a.b')!;
    expect(set.kind).toBe('single');
    const dynamic = set.rules[0]!.head.ref.slice(set.path.length + 1);
    expect(dynamic.map((t) => t.type)).toEqual(['var', 'string']);
    expect(p.ruleSets.get('x.a.b.d')?.rules).toHaveLength(1);
  });

  it('separates defaults and records function arity', () => {
    const p = compile('package x\ndefault p := 0\np := 1 if input.a\nf(a, b) := a + b');
    expect(p.ruleSets.get('x.p')?.default?.head.value).toMatchObject({ type: 'number', value: '0' });
    expect(p.ruleSets.get('x.p')?.rules).toHaveLength(1);
    expect(p.ruleSets.get('x.f')).toMatchObject({ kind: 'function', arity: 2 });
  });

  it('fills in head.value true for rules written without a value', () => {
    const p = compile('package x\np if input.a');
    expect(p.ruleSets.get('x.p')?.rules[0]?.head.value).toMatchObject({ type: 'boolean', value: true });
  });

  it('rejects single-value and multi-value rules at one path', () => {
    expect(compileErrors('package x\np := 1\np contains 2')).toEqual(['m0.rego:2:1: rego_type_error: conflicting rules data.x.p found']);
  });

  it('rejects functions of different arity', () => {
    expect(compileErrors('package x\nf(a) := 1\nf(a, b) := 2')).toEqual(['m0.rego:2:1: rego_type_error: conflicting rules data.x.f found']);
  });

  it('rejects a complete rule next to a partial object rule at one path', () => {
    expect(compileErrors('package x\np := 1\np[k] := 2 if k := "a"')).toEqual(['m0.rego:2:1: rego_type_error: conflicting rules data.x.p found']);
  });

  it('rejects two defaults', () => {
    expect(compileErrors('package x\ndefault p := 1\ndefault p := 2')).toEqual(['m0.rego:2:1: rego_type_error: multiple default rules data.x.p found']);
  });

  it('rejects rules under a complete rule, but allows them under a ref head with vars', () => {
    expect(compileErrors('package x\np := {}\np.q := 1')).toEqual(['m0.rego:2:1: rego_type_error: rule data.x.p conflicts with [data.x.p.q]']);
    expect(() => compile('package x\np[k] contains 1 if k := "a"\np.b contains 2')).not.toThrow();
  });

  it('rejects a package nested under a complete rule', () => {
    expect(compileErrors(['package x\ny := 1', 'package x.y\nz := 2'])).toEqual([
      'm0.rego:2:1: rego_type_error: rule data.x.y conflicts with [data.x.y.z]',
    ]);
  });
});
