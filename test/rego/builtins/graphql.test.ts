import { describe, expect, it } from 'vitest';
import { call, errorOf } from './helpers.js';
import { conformanceSuite } from './support/suite.js';

conformanceSuite(['graphql']);

describe('graphql', () => {
  it('prints AST objects back to source so they validate like strings', () => {
    const schema = call('graphql.parse_schema', 'type Query { hello(name: String!): String }');
    const good = call('graphql.parse_query', '{ hello(name: "x") }');
    const bad = call('graphql.parse_query', '{ hello }');
    expect(call('graphql.is_valid', good!, schema!)).toBe(true);
    expect(call('graphql.is_valid', bad!, schema!)).toBe(false);
  });

  it('reports syntax errors with gqlparser wording', () => {
    expect(errorOf('graphql.parse_query', '{')).toBe('graphql.parse_query: Expected Name, found <EOF> in GraphQL string at location 1:2');
  });
});
