// The JavaScript twins of the bundled projection templates (raw-json,
// raw-html) must give exactly the message the compiled .rego gives: for the
// fixture events of ../shared/fixtures, for hand-picked edge cases (key
// order, integer keys, escapes, scalars, arrays) and for random JSON.
import { describe, expect, it, beforeAll } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import { compileTemplate, type TemplateRenderer } from '../../src/templates/template-renderer.js';
import { compileTemplates } from '../../src/templates/compile-templates.js';
import { loadTemplateLibrary } from '../../src/templates/template-files.js';
import { templateInput } from '../../src/templates/template-input.js';
import { NATIVE_TEMPLATES } from '../../src/templates/native-templates.js';
import { withDetectedVersion } from '../../src/routing/rego-version.js';

const FIXTURES = new URL('../../../shared/fixtures/', import.meta.url);
const SEED = 1215;

const fixtureEvents = readdirSync(FIXTURES).filter((f) => f.endsWith('.json'))
  .map((f) => [f, JSON.parse(readFileSync(new URL(f, FIXTURES), 'utf8')) as unknown] as const);

const edgeCases: unknown[] = [
  { b: 1, a: 2, z: { y: 1, x: [3, 1.5, 1e21, -0, 0.1] } },
  { 10: 'ten', 9: 'nine', '01': 'lead', a: 1, 4294967295: 'not an index', 4294967294: 'index' },
  { hooker: { scan: { passed: true } }, postee: 1, keep: 'me' },
  { 'é': '\u2028', '\u0000': 1, '\uff01': 'bmp', '\u{1f600}': 'astral', '<b>': '"&"' },
  { html: '<script>alert("x")</script> & more', n: null, t: true, nested: { '<': ['>', { '&': 1 }] } },
  [], {}, [1, { b: 2, a: 1 }], 'a string', '', 0, 1.5e300, -42, null, true, [[['deep']]],
];

/** Random JSON as JSON.parse would give it (no -0, no undefined). */
const json = fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.parse(JSON.stringify(v)) as unknown);
const objectEvent = fc.dictionary(fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.constantFrom('hooker', 'postee', '0', '17', 'Z', 'a')), json, { maxKeys: 12 });

describe.each([...NATIVE_TEMPLATES.keys()])('%s: JavaScript twin equals the compiled template', (pkg) => {
  let wasm: TemplateRenderer;
  const native = NATIVE_TEMPLATES.get(pkg)!;
  const ctx = { routeName: 'route-1', eventId: 'ev-1', serverUrl: 'https://console.example', hookerUrl: 'https://hooker.example' };

  beforeAll(async () => {
    const library = loadTemplateLibrary({});
    const found = library.modulesFor(pkg)!;
    wasm = await compileTemplate(pkg, found.package, found.modules.map((m) => withDetectedVersion({ file: m.file, source: m.source })));
  });

  const same = (event: unknown) => {
    const { aggregationPkg: _agg, ...expected } = wasm.render(templateInput(event, ctx));
    expect(native(event)).toEqual(expected);
  };

  it('on every fixture event', () => {
    for (const [file, event] of fixtureEvents) {
      try { same(event); } catch (e) { throw new Error(`${file}: ${(e as Error).message}`); }
    }
  });

  it('on edge cases: key order, integer keys, escapes, the keys Hooker adds, non-object events', () => {
    for (const event of edgeCases) same(event);
  });

  it('on random JSON events', () => {
    fc.assert(fc.property(fc.oneof(objectEvent, json), (event) => { same(event); }), { numRuns: 300, seed: SEED });
  });
});

describe('compiled configuration', () => {
  it('uses the twin for bundled packages (alias included) and tells route-independent templates from those reading input.hooker.route', async () => {
    const library = loadTemplateLibrary({});
    const { renderers, problems } = await compileTemplates([
      { name: 'raw', line: 1, path: 'templates[0]', source: { kind: 'rego-package', package: 'hooker.rawmessage.json' } },
      { name: 'alias', line: 2, path: 'templates[1]', source: { kind: 'rego-package', package: 'postee.rawmessage.json' } },
      { name: 'per-route', line: 3, path: 'templates[2]', source: { kind: 'body', body: 'package mine\nimport rego.v1\nresult := sprintf("%s for %s", [input.kind, input.hooker.route])' } },
      { name: 'shared', line: 4, path: 'templates[3]', source: { kind: 'body', body: 'package shared\nimport rego.v1\nresult := sprintf("%s at %s", [input.kind, input.hooker.event_id])' } },
    ], { cfgFile: 'cfg.yaml', library });
    expect(problems).toEqual([]);
    expect(renderers.get('raw')!.renderEvent).toBeDefined();
    expect(renderers.get('alias')!.renderEvent).toBeDefined();
    expect(renderers.get('raw')!.routeIndependent).toBe(true);
    expect(renderers.get('per-route')!.routeIndependent).toBe(false);
    expect(renderers.get('shared')!.routeIndependent).toBe(true);
    expect(renderers.get('per-route')!.render(templateInput({ kind: 'k' }, { routeName: 'r1', eventId: 'e' })).body).toBe('k for r1');
  });
});
