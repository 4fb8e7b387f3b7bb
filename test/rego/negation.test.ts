// OPA's negation semantics, as conformance-style cases (test/rego/cases,
// same format as ../shared/conformance): what a negated expression reads
// (call arguments, nested calls, ref keys, with values) is evaluated before
// the negation, so an undefined one makes the body fail; unified refs and
// plain refs stay inside it.
import { describe, expect, it } from 'vitest';
import { loadCases } from '../../src/rego/conformance/cases.js';
import { runCase } from '../../src/rego/conformance/run.js';

const CASES = new URL('./cases/negation.json', import.meta.url).pathname;

describe('negation (OPA lifts references out of negated expressions)', () => {
  for (const c of loadCases(CASES)) {
    it(c.note, async () => {
      expect(await runCase(c)).toEqual({ pass: true });
    });
  }
});
