// OPA's own test cases through compile -> wasm -> SDK. The committed floor
// (test/rego/conformance-floor.json, written by
// `npm run conformance -- --write-floor test/rego/conformance-floor.json`)
// says how many cases of each topic passed when it was last raised; a topic
// falling below it is a regression.
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadCases } from '../../src/rego/conformance/cases.js';
import { runCase } from '../../src/rego/conformance/run.js';
import { tally } from '../../src/rego/conformance/report.js';

const DIR = new URL('../../../shared/conformance', import.meta.url).pathname;
const FLOOR = new URL('./conformance-floor.json', import.meta.url);

describe.skipIf(!existsSync(DIR))('conformance', () => {
  it('passes at least the committed floor in every topic', async () => {
    const floor = JSON.parse(readFileSync(FLOOR, 'utf8')) as Record<string, number>;
    const rows: Array<{ topic: string; pass: boolean }> = [];
    for (const c of loadCases(DIR)) {
      let pass = false;
      try { pass = (await runCase(c)).pass; } catch { pass = false; }
      rows.push({ topic: c.topic, pass });
    }
    const got = Object.fromEntries(tally(rows).map((t) => [t.topic, t.passed]));
    const regressions = Object.entries(floor)
      .filter(([topic, min]) => (got[topic] ?? 0) < min)
      .map(([topic, min]) => `${topic}: ${got[topic] ?? 0} < ${min}`);
    expect(regressions).toEqual([]);
  }, 1_200_000);
});
