// Every module, query and input_term of OPA's conformance cases must parse.

import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadCases } from '../../../src/rego/conformance/cases.js';
import { parseModule, parseQuery, parseTerm } from '../../../src/rego/syntax/parser.js';

const DIR = fileURLToPath(new URL('../../../../shared/conformance', import.meta.url));

describe('conformance sweep', () => {
  it('parses every conformance module, query and input_term', () => {
    const cases = loadCases(DIR);
    expect(cases.length).toBeGreaterThan(1000);
    const failures: string[] = [];
    let parsed = 0;
    for (const c of cases) {
      const attempt = (what: string, fn: () => unknown) => {
        parsed++;
        try {
          fn();
        } catch (e) {
          failures.push(`${c.note} [${what}]: ${(e as Error).message}`);
        }
      };
      c.modules?.forEach((m, i) => attempt(`module ${i}`, () => parseModule(m, `${c.note}#${i}`)));
      attempt('query', () => parseQuery(c.query, `${c.note}:query`));
      if (c.input_term !== undefined) attempt('input_term', () => parseTerm(c.input_term!, `${c.note}:input_term`));
    }
    expect(failures, `${failures.length} of ${parsed} failed:\n${failures.join('\n')}`).toEqual([]);
  });
});
