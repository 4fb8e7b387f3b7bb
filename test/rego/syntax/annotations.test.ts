import { describe, expect, it } from 'vitest';
import { RegoCompileError, formatProblem } from '../../../src/rego/errors.js';
import { annotationObject } from '../../../src/rego/syntax/annotation-json.js';
import type { Annotation } from '../../../src/rego/syntax/ast.js';
import { lex } from '../../../src/rego/syntax/lexer.js';
import { parseModule } from '../../../src/rego/syntax/parser.js';
import { noLoc } from './helpers.js';

const parse = (src: string) => parseModule(src, 'a.rego');

function errors(src: string): string[] {
  try {
    parse(src);
  } catch (e) {
    if (e instanceof RegoCompileError) return e.problems.map(formatProblem);
    throw e;
  }
  throw new Error('expected a parse error');
}

describe('comments', () => {
  it('are collected by the lexer with the text after # and their location', () => {
    const { comments } = lex('package a # trailing\n#x\n  # indented\r\np := 1', 'c.rego');
    expect(comments).toEqual([
      { text: ' trailing', loc: { file: 'c.rego', row: 1, col: 11 } },
      { text: 'x', loc: { file: 'c.rego', row: 2, col: 1 } },
      { text: ' indented', loc: { file: 'c.rego', row: 3, col: 3 } },
    ]);
  });

  it('that are not METADATA blocks leave the module without annotations', () => {
    const m = parse('# a comment\npackage a\n\n# title: not metadata\np := 1\n');
    expect(m.annotations).toBeUndefined();
    expect(m.rules[0]!.annotations).toBeUndefined();
  });
});

describe('METADATA blocks', () => {
  it('decode every field of the annotations reference', () => {
    const m = parse([
      '# METADATA',
      '# title: Deny all',
      '# description: |',
      '#   Multi',
      '#   line',
      '# organizations: [Acme, Initech]',
      '# related_resources:',
      '# - https://example.com/a',
      '# - ref: https://example.com/b',
      '#   description: B docs',
      '# authors:',
      '# - Jane Doe <jane@example.com>',
      '# - name: John',
      '# - email: x@example.com',
      '# schemas:',
      '# - input: schema.input',
      '# - data.cfg["x.y"]: {type: object}',
      '# custom:',
      '#   severity: high',
      '#   score: 7.5',
      '#   tags: [a, b]',
      'package acme.policy',
    ].join('\n'));
    const a = m.package.annotations![0]!;
    expect(noLoc(a)).toEqual({
      scope: 'package',
      title: 'Deny all',
      description: 'Multi\nline\n',
      organizations: ['Acme', 'Initech'],
      relatedResources: [{ ref: 'https://example.com/a' }, { ref: 'https://example.com/b', description: 'B docs' }],
      authors: [{ name: 'Jane Doe', email: 'jane@example.com' }, { name: 'John' }, { email: 'x@example.com' }],
      schemas: [
        { path: ['input'], schema: ['schema', 'input'] },
        { path: ['data', 'cfg', 'x.y'], definition: { type: 'object' } },
      ],
      custom: { severity: 'high', score: 7.5, tags: ['a', 'b'] },
    });
    expect(a.loc).toEqual({ file: 'a.rego', row: 1, col: 1 });
  });

  it('end at the first line that is not a column-1 comment on the next row', () => {
    const m = parse('package a\n\n# METADATA\n# title: T\n\n# description: not in the block\np := 1\n');
    expect(noLoc(m.rules[0]!.annotations)).toEqual([{ scope: 'rule', title: 'T' }]);
    const indented = parse('package a\n\n# METADATA\n# title: T\n  # description: indented\np := 1\n');
    expect(indented.rules[0]!.annotations![0]!.description).toBeUndefined();
  });

  it('keep scalar text for string fields and ignore unknown keys', () => {
    const m = parse('package a\n# METADATA\n# title: 1.0\n# unknown: x\np := 1\n');
    expect(noLoc(m.rules[0]!.annotations)).toEqual([{ scope: 'rule', title: '1.0' }]);
  });
});

describe('annotation scopes', () => {
  it('default to package before the package and rule before a rule', () => {
    const m = parse('# METADATA\n# title: P\npackage a\n\n# METADATA\n# title: R\np := 1\n\nq := 2\n');
    expect(m.package.annotations!.map((a) => [a.scope, a.title])).toEqual([['package', 'P']]);
    expect(m.rules[0]!.annotations!.map((a) => [a.scope, a.title])).toEqual([['rule', 'R']]);
    expect(m.rules[1]!.annotations).toBeUndefined();
    expect(m.annotations!.map((a) => a.title)).toEqual(['P', 'R']);
  });

  it('default to document for an entrypoint rule and keep explicit scopes', () => {
    const m = parse([
      '# METADATA',
      '# scope: subpackages',
      'package a',
      '# METADATA',
      '# entrypoint: true',
      'p := 1',
      '# METADATA',
      '# scope: document',
      'q := 1',
    ].join('\n'));
    expect(m.package.annotations![0]!.scope).toBe('subpackages');
    expect(m.rules[0]!.annotations![0]).toMatchObject({ scope: 'document', entrypoint: true });
    expect(m.rules[1]!.annotations![0]!.scope).toBe('document');
  });

  it('attach to the next statement even across blank lines and comments', () => {
    const m = parse('package a\n\n# METADATA\n# title: T\n\n# just a note\n\np := 1\nq := 2\n');
    expect(m.rules[0]!.annotations![0]!.title).toBe('T');
    expect(m.rules[1]!.annotations).toBeUndefined();
  });

  it('are not attached to else rules', () => {
    const m = parse('package a\n# METADATA\n# title: T\np := 1 if { false } else := 2\n');
    expect(m.rules[0]!.annotations).toHaveLength(1);
    expect(m.rules[0]!.else!.annotations).toBeUndefined();
  });
});

describe('annotation errors', () => {
  it('report malformed YAML at the offending line', () => {
    const errs = errors('package a\n\n# METADATA\n# title: T\n# foo: a: b\n# bar: x\np := 1\n');
    expect(errs).toHaveLength(1);
    expect(errs[0]).toMatch(/^a\.rego:5:1: rego_parse_error: yaml: line 2: /);
    // An error at the end of the YAML points at the block's last line.
    expect(errors('package a\n# METADATA\n# foo: [\n#  x\np := 1\n')[0]).toMatch(/^a\.rego:4:1: rego_parse_error: yaml: /);
  });

  it('report a scope that does not fit the statement', () => {
    expect(errors('package a\n# METADATA\n# scope: package\np := 1\n')).toEqual([
      "a.rego:2:1: rego_parse_error: annotation scope 'package' must be applied to package (have rule)",
    ]);
    expect(errors('# METADATA\n# scope: rule\npackage a\n')).toEqual([
      "a.rego:1:1: rego_parse_error: annotation scope 'rule' must be applied to rule (have package)",
    ]);
  });

  it('report unknown scopes, empty blocks, bad entrypoints and bad field types', () => {
    expect(errors('package a\n# METADATA\n# scope: everything\np := 1\n')[0]).toContain("invalid annotation scope 'everything'");
    expect(errors('package a\n# METADATA\n#\np := 1\n')[0]).toContain('expected METADATA block, found whitespace');
    expect(errors('package a\n# METADATA\n# scope: rule\n# entrypoint: true\np := 1\n')[0]).toContain(
      "annotation entrypoint applied to non-document or package scope 'rule'",
    );
    expect(errors('package a\n# METADATA\n# title: T\n# authors: [{}]\np := 1\n')[0]).toMatch(
      /^a\.rego:4:1: rego_parse_error: invalid author definition/,
    );
    expect(errors('package a\n# METADATA\n# title: [x]\np := 1\n')[0]).toMatch(/^a\.rego:3:1: rego_parse_error: yaml: unmarshal errors/);
  });

  it('report a block with no statement after it', () => {
    expect(errors('package a\np := 1\n# METADATA\n# title: T\n')[0]).toMatch(/^a\.rego:3:1: rego_parse_error: annotation scope/);
  });
});

describe('annotation objects', () => {
  it('use OPA field names and leave out empty fields', () => {
    const a: Annotation = {
      scope: 'rule',
      title: 'T',
      relatedResources: [{ ref: 'https://x' }],
      authors: [{ name: 'N' }],
      schemas: [{ path: ['input'], schema: ['schema', 'x'] }],
      loc: { file: 'a.rego', row: 1, col: 1 },
    };
    expect(annotationObject(a)).toEqual({
      scope: 'rule',
      title: 'T',
      related_resources: [{ ref: 'https://x' }],
      authors: [{ name: 'N' }],
      schemas: [{ path: ['input'], schema: ['schema', 'x'] }],
    });
  });
});
