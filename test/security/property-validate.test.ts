// Property: random YAML given to `hooker validate` never crashes it: it
// exits 0 or 1, and every error it prints is located (file:line: error:
// or file: error: for problems of the whole file).
import { describe, expect, it, vi } from 'vitest';
import fc from 'fast-check';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { main } from '../../src/cli/main.js';
import { tempDir } from '../e2e/server-harness.js';

const SEED = 1517;

const scalar = fc.oneof(fc.string({ maxLength: 12 }), fc.integer(), fc.boolean(), fc.constant(null), fc.constantFrom('$HOME', '${NOPE:-d}', '$$', 'event.input.x', '10s', '-1', 'true'));
const action = fc.record({
  name: fc.constantFrom('a', 'b', ''), type: fc.constantFrom('http', 'exec', 'stdout', 'scan', 'webhook', 'nope'), enable: fc.oneof(fc.boolean(), scalar),
  url: fc.oneof(scalar, fc.constant('http://127.0.0.1:9/x')), 'exec-script': scalar, 'inherit-env': scalar, timeout: scalar, headers: fc.dictionary(fc.string({ maxLength: 5 }), scalar, { maxKeys: 2 }),
}, { requiredKeys: ['name', 'type'] });
const route = fc.record({
  name: fc.constantFrom('r', 's', ''), input: fc.oneof(fc.constantFrom('input.x == 1', 'input.x ==', 'count(numbers.range(1, 1e9)) > 0'), scalar),
  actions: fc.array(fc.constantFrom('a', 'b', 'c'), { maxLength: 2 }), template: fc.constantFrom('raw', 'missing'), plugins: fc.dictionary(fc.constantFrom('aggregate-message-number', 'unique-message-timeout', 'x'), scalar, { maxKeys: 2 }),
}, { requiredKeys: ['name'] });
const cfgShaped = fc.record({
  routes: fc.oneof(fc.array(route, { maxLength: 2 }), scalar), actions: fc.oneof(fc.array(action, { maxLength: 2 }), scalar),
  templates: fc.constant([{ name: 'raw', 'rego-package': 'hooker.rawmessage.json' }]), 'max-db-size': scalar,
}, { requiredKeys: [] }).map((v) => stringify(v));

/** YAML text with characters inserted or replaced (indentation, anchors, aliases, tabs, flow markers). */
const mutated = fc.tuple(cfgShaped, fc.array(fc.tuple(fc.nat(), fc.constantFrom(' ', '\t', '\n', ':', '-', '&a ', '*a', '[', '{', '"', "'", '#', '!!binary ', '<<: *a\n'), fc.boolean()), { minLength: 1, maxLength: 5 }))
  .map(([text, edits]) => {
    let s = text;
    for (const [at, ch, insert] of edits) {
      const i = at % (s.length + 1);
      s = insert ? s.slice(0, i) + ch + s.slice(i) : s.slice(0, i) + ch + s.slice(i + 1);
    }
    return s;
  });

describe('property: random YAML to hooker validate', () => {
  it('exits 0 or 1 with located problems, never throws', async () => {
    const dir = tempDir();
    const file = join(dir, 'cfg.yaml');
    let n = 0;
    await fc.assert(fc.asyncProperty(fc.oneof(cfgShaped, mutated, fc.string({ maxLength: 60 })), async (text) => {
      writeFileSync(file, text);
      n++;
      const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
      const out = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
      let code: number;
      let printed: string;
      try {
        code = await main(['validate', file]);
        printed = err.mock.calls.map((c) => String(c[0])).join('');
      } finally { err.mockRestore(); out.mockRestore(); }
      expect([0, 1]).toContain(code);
      for (const line of printed.split('\n').filter((l) => / error: /.test(l))) expect(line).toMatch(/^.*cfg\.yaml(:\d+)?: error: /);
    }), { numRuns: 120, seed: SEED });
    expect(n).toBe(120);
  }, 120_000);
});
