import { describe, expect, it } from 'vitest';
import { compile as compileWasm, loadPolicy } from '../../../src/rego/index.js';
import { parseModule } from '../../../src/rego/syntax/parser.js';
import { compileModules } from '../../../src/rego/compile/index.js';
import { compile, compileErrors, rulesOf } from './helpers.js';

const PKG = '# METADATA\n# title: P\npackage a\n';

describe('rego.metadata.rule()', () => {
  it('becomes the rule annotations closest to the rule', () => {
    const p = compile(`${PKG}# METADATA\n# title: first\n\n# METADATA\n# title: T\n# custom: {n: 1}\np := x if { x := rego.metadata.rule() }\n`);
    expect(rulesOf(p, 'a.p')).toEqual(['data "a" "p" = $1 { $1 := {"custom": {"n": 1}, "scope": "rule", "title": "T"} }']);
  });

  it('becomes {} for a rule without rule-scope annotations, in heads and with an output arg', () => {
    const p = compile(`${PKG}# METADATA\n# scope: document\n# title: D\nq := rego.metadata.rule()\nr contains x if { rego.metadata.rule(x) }\n`);
    expect(rulesOf(p, 'a.q')).toEqual(['data "a" "q" = {} {  }']);
    expect(rulesOf(p, 'a.r')).toEqual(['data "a" "r" contains x { x = {} }']);
  });

  it('is the annotation of the calling rule only, not of other rules at the same path', () => {
    const p = compile(`package a\n# METADATA\n# title: one\nf(1) := rego.metadata.rule()\n# METADATA\n# title: two\nf(2) := rego.metadata.rule()\n`);
    expect(rulesOf(p, 'a.f')).toEqual([
      'data "a" "f"(1) = {"scope": "rule", "title": "one"} {  }',
      'data "a" "f"(2) = {"scope": "rule", "title": "two"} {  }',
    ]);
  });
});

describe('rego.metadata.chain()', () => {
  it('lists rule, document, package and subpackages annotations, innermost first', () => {
    const p = compile([
      '# METADATA\n# scope: subpackages\n# title: S0\npackage a\n',
      '# METADATA\n# scope: subpackages\n# title: S1\npackage a.b\n',
      '# METADATA\n# title: P\npackage a.b\n\n# METADATA\n# scope: document\n# title: D\np = 1 if false\n\n# METADATA\n# title: R\np = x if { x := rego.metadata.chain() }\n',
    ]);
    expect(rulesOf(p, 'a.b.p')[1]).toBe(
      'data "a" "b" "p" = $1 { $1 := [' +
        '{"annotations": {"scope": "rule", "title": "R"}, "path": ["a", "b", "p"]}, ' +
        '{"annotations": {"scope": "document", "title": "D"}, "path": ["a", "b", "p"]}, ' +
        '{"annotations": {"scope": "package", "title": "P"}, "path": ["a", "b"]}, ' +
        '{"annotations": {"scope": "subpackages", "title": "S1"}, "path": ["a", "b"]}, ' +
        '{"annotations": {"scope": "subpackages", "title": "S0"}, "path": ["a"]}] }',
    );
  });

  it('always starts with the rule itself, at its rule set path', () => {
    const p = compile('package a\nx.y[k] := rego.metadata.chain() if some k in ["k"]\n');
    expect(rulesOf(p, 'a.x.y')[0]).toContain('= [{"path": ["a", "x", "y"]}]');
  });

  it('treats else rules as rules without annotations of their own', () => {
    const p = compile(`${PKG}# METADATA\n# title: T\ns := rego.metadata.rule() if { false } else := x if { x := rego.metadata.chain() }\n`);
    expect(rulesOf(p, 'a.s')).toEqual([
      'data "a" "s" = {"scope": "rule", "title": "T"} { false }',
      'data "a" "s" = $1 { $1 := [{"path": ["a", "s"]}, {"annotations": {"scope": "package", "title": "P"}, "path": ["a"]}] }',
    ]);
  });

  it('is replaced inside comprehensions and every bodies too', () => {
    const p = compile('package a\np := [x | x := rego.metadata.chain()[_].path]\nq if { every y in [1] { rego.metadata.rule() == {} } }\n');
    expect(rulesOf(p, 'a.p')[0]).not.toContain('rego');
    expect(rulesOf(p, 'a.q')[0]).not.toContain('rego');
    expect(rulesOf(p, 'a.q')[0]).toContain('{} == {}');
  });

  it('leaves the caller\'s modules untouched', () => {
    const m = parseModule('package a\np := rego.metadata.chain()\n', 'm.rego');
    const before = JSON.stringify(m);
    compileModules([m], { entrypoints: [] });
    expect(JSON.stringify(m)).toBe(before);
  });
});

describe('annotation conflicts', () => {
  it('reject a document annotation declared twice for one path', () => {
    const errs = compileErrors([
      'package a\n# METADATA\n# scope: document\np = 1 if false\n',
      'package a\n# METADATA\n# scope: document\np = 2 if false\n',
    ]);
    expect(errs).toEqual(['m1.rego:2:1: rego_type_error: document annotation redeclared: m0.rego:2:1']);
  });

  it('reject package annotations declared in two modules of one package', () => {
    const errs = compileErrors(['# METADATA\n# title: x\npackage a\n', '# METADATA\n# title: y\npackage a\n']);
    expect(errs).toEqual(['m1.rego:1:1: rego_type_error: package annotation redeclared: m0.rego:1:1']);
  });
});

describe('end to end through wasm', () => {
  it('evaluates to the annotations, and queries see [] and {}', async () => {
    const { wasm } = compileWasm({
      modules: [{ file: 'a.rego', source: `${PKG}# METADATA\n# title: T\n# authors: [Ann <a@x.io>]\np := [rego.metadata.rule(), rego.metadata.chain()]\n` }],
      entrypoints: ['a/p'],
      queries: [{ name: 'q', query: 'x := rego.metadata.chain(); y := rego.metadata.rule()' }],
    });
    const policy = await loadPolicy(wasm);
    const rule = { scope: 'rule', title: 'T', authors: [{ name: 'Ann', email: 'a@x.io' }] };
    expect(policy.evaluate({}, 'a/p')).toEqual([
      { result: [rule, [{ path: ['a', 'p'], annotations: rule }, { path: ['a'], annotations: { scope: 'package', title: 'P' } }]] },
    ]);
    expect(policy.evaluate({}, 'q')).toEqual([{ x: [], y: {} }]);
  });
});
