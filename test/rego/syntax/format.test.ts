import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadCases } from '../../../src/rego/conformance/cases.js';
import { parseModule, parseQuery, parseTerm } from '../../../src/rego/syntax/parser.js';
import { bodyToString, exprToString, termToString } from '../../../src/rego/syntax/format.js';
import type { Body } from '../../../src/rego/syntax/ast.js';
import { noLoc } from './helpers.js';

const DIR = fileURLToPath(new URL('../../../../shared/conformance', import.meta.url));

describe('format', () => {
  it('prints terms as Rego source', () => {
    expect(termToString(parseTerm('{"a": [1, {2}], "b-c": set()}'))).toBe('{"a": [1, {2}], "b-c": set()}');
    expect(termToString(parseTerm('input.a["b-c"][x]'))).toBe('input.a["b-c"][x]');
    expect(termToString(parseTerm('(1 + 2) * 3'))).toBe('(1 + 2) * 3');
    expect(termToString(parseTerm('[x | some x in xs]'))).toBe('[x | some x in xs]');
    expect(termToString(parseTerm('$"a {x} \\{"'))).toBe('$"a {x} \\{"');
  });

  it('prints expressions with not, with and every', () => {
    const [e1, e2] = parseQuery('not x == 1 with input as {}\nevery k, v in xs { k != v }');
    expect(exprToString(e1!)).toBe('not x == 1 with input as {}');
    expect(exprToString(e2!)).toBe('every k, v in xs { k != v }');
  });

  it('round-trips every conformance rule body and query through the parser', () => {
    const failures: string[] = [];
    const check = (body: Body, where: string) => {
      const text = bodyToString(body);
      try {
        const again = parseQuery(text, 'roundtrip');
        if (JSON.stringify(noLoc(again)) !== JSON.stringify(noLoc(body))) failures.push(`${where}: ${text}`);
      } catch (e) {
        failures.push(`${where}: ${text}: ${(e as Error).message}`);
      }
    };
    for (const c of loadCases(DIR)) {
      check(parseQuery(c.query), `${c.note} query`);
      for (const m of c.modules ?? []) {
        for (const r of parseModule(m, c.note).rules) if (r.body.length) check(r.body, `${c.note} rule`);
      }
    }
    expect(failures, failures.slice(0, 20).join('\n')).toEqual([]);
  });
});
