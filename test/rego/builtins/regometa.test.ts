import { describe, expect, it } from 'vitest';
import { call, errorOf } from './helpers.js';
import { conformanceSuite } from './support/suite.js';

conformanceSuite(['regoparsemodule', 'regometadatachain', 'regometadatarule']);

describe('rego.metadata.chain / rule outside rules', () => {
  it('answer [] and {} as OPA does for queries (rules get constants at compile time)', () => {
    expect(call('rego.metadata.chain')).toEqual([]);
    expect(call('rego.metadata.rule')).toEqual({});
  });
});

describe('rego.parse_module', () => {
  it('returns OPA-shaped terms for package, imports and rules', () => {
    const m = call('rego.parse_module', 'a.rego', 'package a.b\nimport data.x as y\np := 1 if input.z') as Record<string, any>;
    expect(m.package.path).toEqual([
      { type: 'var', value: 'data' },
      { type: 'string', value: 'a' },
      { type: 'string', value: 'b' },
    ]);
    expect(m.imports[0].alias).toBe('y');
    expect(m.rules[0].head.name).toBe('p');
    expect(m.rules[0].head.value).toEqual({ type: 'number', value: 1 });
    expect(m.rules[0].body[0].terms.type).toBe('ref');
  });

  it('returns annotations on the module and on the rules they are attached to', () => {
    const src = '# METADATA\n# title: P\npackage a\n# METADATA\n# title: R\n# schemas:\n# - input.x: schema.y\np := 1\nq := 2\n';
    const m = call('rego.parse_module', 'a.rego', src) as Record<string, any>;
    const r = {
      scope: 'rule',
      title: 'R',
      schemas: [{ path: [{ type: 'var', value: 'input' }, { type: 'string', value: 'x' }], schema: [{ type: 'var', value: 'schema' }, { type: 'string', value: 'y' }] }],
    };
    expect(m.annotations).toEqual([{ scope: 'package', title: 'P' }, r]);
    expect(m.rules[0].annotations).toEqual([r]);
    expect(m.rules[1].annotations).toBeUndefined();
    expect(call('rego.parse_module', 'a.rego', 'package a\np := 1') as Record<string, unknown>).not.toHaveProperty('annotations');
  });

  it('reports malformed METADATA blocks as parse errors', () => {
    expect(errorOf('rego.parse_module', 'x.rego', 'package a\n# METADATA\n# scope: nope\np := 1')).toContain("x.rego:2:1: rego_parse_error: invalid annotation scope 'nope'");
  });

  it('reports parse errors', () => {
    expect(errorOf('rego.parse_module', 'x.rego', 'package')).toContain('rego_parse_error');
  });
});
