import { describe, expect, it } from 'vitest';
import { lex, type Token } from '../../../src/rego/syntax/lexer.js';

function kinds(src: string): string[] {
  return lex(src, 'f').tokens.map((t) => {
    switch (t.kind) {
      case 'ident': case 'punct': return t.text;
      case 'number': return `num:${t.text}`;
      case 'string': return `${t.raw ? 'raw' : 'str'}:${t.value}`;
      case 'tmplstart': case 'tmplcont': return `${t.kind}:${t.value}${t.end ? '$' : ''}`;
      case 'illegal': return `illegal:${t.text}`;
      case 'eof': return 'eof';
    }
  });
}

describe('lexer', () => {
  it('splits operators, preferring two-character ones', () => {
    expect(kinds('a:=b==c!=d<=e>=f<g>h=i')).toEqual(['a', ':=', 'b', '==', 'c', '!=', 'd', '<=', 'e', '>=', 'f', '<', 'g', '>', 'h', '=', 'i', 'eof']);
    expect(kinds('+-*/%&|.,;:()[]{}')).toEqual(['+', '-', '*', '/', '%', '&', '|', '.', ',', ';', ':', '(', ')', '[', ']', '{', '}', 'eof']);
  });

  it('reads numbers in JSON forms and leaves the sign to the parser', () => {
    expect(kinds('0 12 3.25 1e10 2E-3 4.5e+6 -7')).toEqual(['num:0', 'num:12', 'num:3.25', 'num:1e10', 'num:2E-3', 'num:4.5e+6', '-', 'num:7', 'eof']);
    // `1.foo` is not a decimal.
    expect(kinds('x[1].y')).toEqual(['x', '[', 'num:1', ']', '.', 'y', 'eof']);
  });

  it('decodes string escapes including surrogate pairs', () => {
    const [t] = lex(String.raw`"a\"b\\c\/d\b\f\n\r\t\u00e9\ud83d\ude00"`, 'f').tokens;
    expect(t).toMatchObject({ kind: 'string', value: 'a"b\\c/d\b\f\n\r\té😀' });
  });

  it('keeps raw strings verbatim across lines', () => {
    expect(kinds('`a\\n\nb`')).toEqual(['raw:a\\n\nb', 'eof']);
  });

  it('reports bad escapes and unterminated strings with their location', () => {
    const r = lex('x := "a\\qb"\ny := "open', 'f.rego');
    expect(r.problems.map((p) => [p.loc?.row, p.loc?.col, p.message])).toEqual([
      [1, 6, 'illegal string literal: invalid escape \\q'],
      [2, 6, 'non-terminated string'],
    ]);
  });

  it('tracks rows, character columns and preceding whitespace/newlines', () => {
    const toks = lex('a # c\n  é.b\tc', 'f').tokens as Token[];
    expect(toks.map((t) => [t.loc.row, t.loc.col, t.spaceBefore, t.nlBefore])).toEqual([
      [1, 1, false, false],
      [2, 3, true, true],
      [2, 4, false, false],
      [2, 5, false, false],
      [2, 7, true, false],
      [2, 8, false, false],
    ]);
  });

  it('counts a surrogate pair as one column', () => {
    const toks = lex('"😀" x', 'f').tokens;
    expect(toks[1]!.loc.col).toBe(5);
  });

  it('splits template strings around embedded expressions, nesting braces and templates', () => {
    expect(kinds('$"a {x} b \\{c} {{1}} {$"{y}"}"')).toEqual([
      'tmplstart:a ', 'x', 'tmplcont: b {c} ', '{', 'num:1', '}', 'tmplcont: ', 'tmplstart:', 'y', 'tmplcont:$', 'tmplcont:$', 'eof',
    ]);
    expect(kinds('$`l1\n{x}\\{y}\\n`')).toEqual(['tmplstart:l1\n', 'x', 'tmplcont:{y}\\n$', 'eof']);
  });

  it('flags characters that start no token', () => {
    const r = lex('a ? b', 'f');
    expect(kinds('a ? b')).toContain('illegal:?');
    expect(r.problems[0]).toMatchObject({ code: 'rego_parse_error', loc: { row: 1, col: 3 } });
  });
});
