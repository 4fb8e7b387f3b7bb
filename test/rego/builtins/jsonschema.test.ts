import { describe, expect, it } from 'vitest';
import { call } from './helpers.js';
import { conformanceSuite } from './support/suite.js';

conformanceSuite(['jsonschema']);

describe('json.match_schema', () => {
  const schema = {
    type: 'object',
    properties: { tags: { type: 'array', items: { type: 'string' }, maxItems: 2 }, n: { minimum: 3 } },
    required: ['tags'],
    additionalProperties: false,
  };

  it('reports each failure as gojsonschema does', () => {
    const [ok, errors] = call('json.match_schema', { tags: ['a', 1, 'c'], n: 1, x: true }, schema) as [boolean, Array<Record<string, string>>];
    expect(ok).toBe(false);
    expect(errors.map((e) => e.error).sort()).toEqual([
      '(root): Additional property x is not allowed',
      'n: Must be greater than or equal to 3',
      'tags.1: Invalid type. Expected: string, given: integer',
      'tags: Array must have at most 2 items',
    ]);
  });

  it('accepts documents and schemas as JSON text', () => {
    expect(call('json.match_schema', '{"tags": []}', JSON.stringify(schema))).toEqual([true, []]);
    expect(call('json.match_schema', '{}', JSON.stringify(schema))).toEqual([
      false,
      [{ error: '(root): tags is required', type: 'required', field: '(root)', desc: 'tags is required' }],
    ]);
  });
});
