import { describe, expect, it } from 'vitest';
import { parseModule, parseQuery, parseTerm } from '../../../src/rego/syntax/parser.js';
import { RegoCompileError } from '../../../src/rego/errors.js';

function problems(src: string, version: 'v0' | 'v1' = 'v1'): string[] {
  try {
    parseModule(src, 'e.rego', { regoVersion: version });
  } catch (e) {
    if (!(e instanceof RegoCompileError)) throw e;
    expect(e.code).toBe('rego_parse_error');
    return e.problems.map((p) => `${p.loc?.row}:${p.loc?.col}: ${p.message}`);
  }
  throw new Error('expected a parse error');
}

describe('parse errors', () => {
  it('reports an unexpected token at its position', () => {
    expect(problems('package p\np := 1 }')).toEqual(['2:8: unexpected } token: expected \\n or EOF']);
    expect(problems('package p\np if {\n  x := \n}')).toEqual(['4:1: unexpected } token']);
  });

  it('collects one problem per broken statement', () => {
    expect(problems('package p\na := [1,\nb := 2\nc := )\nd := 3\n')).toEqual([
      '3:3: unexpected := token: expected "," or "]"',
      '4:6: unexpected ) token',
    ]);
  });

  it('requires if and contains in v1', () => {
    expect(problems('package p\nq { true }')).toEqual(['2:3: `if` keyword is required before rule body']);
    expect(problems('package p\nq[x] if { x := 1 }\nr[x] { x := 1 }')).toEqual([
      '3:1: `contains` keyword is required for partial set rules',
      '3:6: `if` keyword is required before rule body',
    ]);
  });

  it('names what cannot be a rule name', () => {
    expect(problems('package p\n"a" = 1')).toEqual(['2:1: string cannot be used for rule name']);
    expect(problems('package p\nfoo')).toEqual(['2:1: var cannot be used for rule name']);
  });

  it('checks default rules', () => {
    expect(problems('package p\ndefault q := x')).toEqual(['2:1: illegal default rule (value cannot contain var)']);
    expect(problems('package p\ndefault q')).toEqual(['2:1: illegal default rule (must have a value)']);
    expect(problems('package p\ndefault f(1) := 1')).toEqual(['2:1: illegal default rule (arguments cannot contain number)']);
  });

  it('rejects misplaced keywords and else on multi-value rules', () => {
    expect(problems('package p\nq if { not some x }')).toEqual(["2:12: unexpected some keyword: illegal negation of 'some'"]);
    expect(problems('package p\nq contains 1 if { true } else := 2')).toEqual(['2:26: else keyword cannot be used on multi-value rules']);
    expect(problems('package p\nx := if')).toEqual(['2:6: unexpected if keyword: expected rule value term (e.g., x := <VALUE> { ... })']);
  });

  it('reports missing package, leading zeros and lexer problems', () => {
    expect(problems('p := 1')).toEqual(['1:1: package expected']);
    expect(problems('package p\nx := 01')).toEqual(['2:6: unexpected number token: expected number without leading zero']);
    expect(problems('package p\nx := "a\\x"')).toEqual(['2:6: illegal string literal: invalid escape \\x']);
  });

  it('rejects bad imports', () => {
    expect(problems('package p\nimport foo.bar')).toEqual(['2:8: unexpected import path, must begin with one of: {data, future, input, rego}, got: foo']);
    expect(problems('package p\nimport future.keywords.nope', 'v0')).toEqual(['2:8: unexpected keyword, must be one of [contains every if in]']);
  });

  it('reports errors in queries and terms with their file', () => {
    expect(() => parseQuery('x := ', 'cli')).toThrow('cli:1:6: rego_parse_error: unexpected eof token');
    expect(() => parseQuery('', 'cli')).toThrow('empty query');
    expect(() => parseTerm('{1, 2', 'input_term')).toThrow('input_term:1:6: rego_parse_error');
    expect(() => parseQuery('$"{x := 1}"')).toThrow("unexpected assignment (':=') in template-string expression");
  });
});

describe('error recovery', () => {
  it('resumes at the rule that starts the next line, even when it is the offending token', () => {
    // Line 3 is both where line 2's array is found unterminated and a statement of its own.
    const m = 'package p\na := [1, 2\nb := )\nc := 4\nd := (\n';
    expect(problems(m)).toEqual([
      '3:1: unexpected ident token: expected "," or "]"',
      '3:6: unexpected ) token',
      '6:1: unexpected eof token',
    ]);
  });
});
