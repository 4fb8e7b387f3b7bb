// Property: random Rego source given to the parser and the compiler never
// crashes or hangs them: either a module, or a RegoCompileError whose every
// problem carries file:row:col.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { compile, RegoCompileError } from '../../src/rego/index.js';

const SEED = 1516;

const TOKENS = ['package', 'p', 'import', 'rego.v1', 'future.keywords', 'default', 'allow', 'if', 'contains', 'in', 'some', 'every', 'not', 'with', 'as', 'else',
  ':=', '=', '==', '!=', '<', '>', '+', '-', '*', '/', '%', '|', '&', '{', '}', '[', ']', '(', ')', ',', ';', '.', ':', '\n', ' ', '\t',
  'input', 'data', 'x', 'y', '_', '"s"', '`raw`', '"\\u00e9"', '"unterminated', '1', '-2.5e3', '1e400', 'true', 'false', 'null',
  'count', 'sum', 'numbers.range', 'sprintf', 'concat', 'walk', 'object.get', 'regex.match', '# comment', '# METADATA\n# title: t\n', '#', '\\', '@', '$', '\u0000'];

const soup = fc.array(fc.constantFrom(...TOKENS), { maxLength: 60 }).map((ts) => ts.join(' '));

const VALID = [
  'package p\nallow if { input.x == 1 }',
  'package p\nimport rego.v1\nmatched contains n if { some n in input.names; startswith(n, "a") }',
  'package p\ndefault allow := false\nallow if { count([x | some x in input.xs; x > 2]) > 1 }',
  'package p\nf(x) := y if { y := x * 2 }\nallow if { f(input.n) == 4 }',
  'package p\nallow if { every x in input.xs { x != "bad" } }',
];

/** A valid module with characters inserted, deleted or replaced. */
const mutated = fc.tuple(fc.constantFrom(...VALID), fc.array(fc.tuple(fc.nat(), fc.constantFrom(...TOKENS), fc.boolean()), { minLength: 1, maxLength: 5 }))
  .map(([src, edits]) => {
    let s = src;
    for (const [at, tok, insert] of edits) {
      const i = at % (s.length + 1);
      s = insert ? s.slice(0, i) + tok + s.slice(i) : s.slice(0, i) + tok + s.slice(i + tok.length);
    }
    return s;
  });

describe('property: random Rego to the parser and compiler', () => {
  it('compiles or fails with located RegoCompileErrors, nothing else', () => {
    fc.assert(fc.property(fc.oneof(soup, mutated, fc.string({ maxLength: 80 })), (source) => {
      try {
        compile({ modules: [{ file: 'random.rego', source: source.startsWith('package') ? source : `package p\n${source}` }], entrypoints: ['p/allow'] });
      } catch (e) {
        expect(e, String(e)).toBeInstanceOf(RegoCompileError);
        for (const p of (e as RegoCompileError).problems) {
          expect(p.loc, p.message).toBeDefined();
          expect(p.loc!.file).toBe('random.rego');
          expect(p.loc!.row).toBeGreaterThanOrEqual(1);
          expect(p.loc!.col).toBeGreaterThanOrEqual(1);
        }
      }
    }), { numRuns: 400, seed: SEED });
  }, 60_000);
});
