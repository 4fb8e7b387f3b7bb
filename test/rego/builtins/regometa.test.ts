import { describe, expect, it } from 'vitest';
import { call, errorOf } from './helpers.js';
import { conformanceSuite } from './support/suite.js';

conformanceSuite(['regoparsemodule']);

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

  it('reports parse errors', () => {
    expect(errorOf('rego.parse_module', 'x.rego', 'package')).toContain('rego_parse_error');
  });
});
