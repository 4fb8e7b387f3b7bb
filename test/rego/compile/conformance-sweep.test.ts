// Compiles every module and query of OPA's conformance cases: none may fail
// to compile unless the case expects that rego_* error.

import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { compileModules } from '../../../src/rego/compile/index.js';
import { loadCases } from '../../../src/rego/conformance/cases.js';
import { RegoCompileError } from '../../../src/rego/errors.js';
import { parseModule, parseQuery } from '../../../src/rego/syntax/parser.js';

const dir = fileURLToPath(new URL('../../../../shared/conformance', import.meta.url));

describe.skipIf(!existsSync(dir))('conformance sweep (compile stage)', () => {
  it('compiles every case that does not expect a compile-time error', () => {
    const cases = loadCases(dir);
    const failures: string[] = [];
    let compiled = 0;
    for (const c of cases) {
      const expectsCompileError = c.want_error_code?.startsWith('rego_') ?? false;
      let outcome: string | undefined;
      try {
        const modules = (c.modules ?? []).map((src, i) => parseModule(src, `${c.note}#${i}`, { regoVersion: 'v1' }));
        const body = parseQuery(c.query, 'query', { regoVersion: 'v1' });
        compileModules(modules, { entrypoints: [], queries: [{ name: 'q', body }] });
      } catch (e) {
        if (!(e instanceof RegoCompileError)) throw e;
        outcome = e.code;
        if (!expectsCompileError) failures.push(`${c.note}: ${e.message.split('\n').slice(0, 3).join(' | ')}`);
      }
      if (expectsCompileError && outcome !== c.want_error_code) failures.push(`${c.note}: want ${c.want_error_code}, got ${outcome ?? 'success'}`);
      if (!outcome) compiled++;
    }
    expect(failures).toEqual([]);
    expect(compiled).toBeGreaterThan(1700);
  });
});
