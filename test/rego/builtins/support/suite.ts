// Declares one vitest test per conformance case of the given topics, each
// run through the real pipeline (parse -> compile -> plan -> wasm -> SDK).

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCases } from '../../../../src/rego/conformance/cases.js';
import { runCase } from '../../../../src/rego/conformance/run.js';

const CONFORMANCE_DIR = new URL('../../../../../shared/conformance', import.meta.url).pathname;

/**
 * `expectedGaps` lists notes known not to pass yet (with the reason in the
 * caller); they still run, and must keep failing, so fixing one is noticed.
 */
export function conformanceSuite(topics: string[], expectedGaps: Record<string, string> = {}): void {
  for (const topic of topics) {
    const dir = join(CONFORMANCE_DIR, topic);
    describe.skipIf(!existsSync(dir))(`conformance: ${topic}`, () => {
      const cases = existsSync(dir) ? loadCases(dir) : [];
      cases.forEach((c, i) => {
        const title = `${c.note} #${i}`;
        if (expectedGaps[c.note]) {
          it(`${title} (known gap: ${expectedGaps[c.note]})`, async () => expect((await runCase(c)).pass).toBe(false));
        } else {
          it(title, async () => {
            const o = await runCase(c);
            expect(o.pass ? o : { ...o, note: c.note }).toEqual({ pass: true });
          });
        }
      });
    });
  }
}
