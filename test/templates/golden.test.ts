// Bundled templates render the shared fixtures to the committed goldens.
// Regenerate after a deliberate template change with UPDATE_GOLDENS=1 and
// review the diff.

import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { loadTemplateLibrary } from '../../src/templates/template-files.js';
import { compileTemplates } from '../../src/templates/compile-templates.js';
import { templateInput } from '../../src/templates/template-input.js';
import type { TemplateConfig } from '../../src/config/types.js';

const fixtures = new URL('../../../shared/fixtures/', import.meta.url);
const golden = new URL('./golden/', import.meta.url);
const update = process.env['UPDATE_GOLDENS'] === '1';

const cases: Array<{ pkg: string; fixture: string; ext: string }> = [
  { pkg: 'hooker.rawmessage.json', fixture: 'postee-simple-input.json', ext: 'json' },
  { pkg: 'hooker.rawmessage.html', fixture: 'falco-event.json', ext: 'html' },
  { pkg: 'hooker.trivy.slack', fixture: 'postee-trivy-input.json', ext: 'json' },
  { pkg: 'hooker.trivy.html', fixture: 'postee-trivy-input.json', ext: 'html' },
  { pkg: 'hooker.trivy.jira', fixture: 'postee-trivy-input.json', ext: 'txt' },
  { pkg: 'hooker.trivy.markdown', fixture: 'postee-trivy-input.json', ext: 'md' },
  { pkg: 'hooker.tracee.html', fixture: 'tracee-trc1-finding.json', ext: 'html' },
  { pkg: 'hooker.tracee.slack', fixture: 'tracee-trc1-finding.json', ext: 'json' },
  { pkg: 'hooker.trivyoperator.slack', fixture: 'postee-trivy-operator-input.json', ext: 'json' },
  { pkg: 'hooker.trivyoperator.jira', fixture: 'postee-trivy-operator-input.json', ext: 'txt' },
  { pkg: 'hooker.vuls.html', fixture: 'postee-aqua-input.json', ext: 'html' },
  { pkg: 'hooker.vuls.slack', fixture: 'postee-aqua-input.json', ext: 'json' },
  { pkg: 'hooker.alertmanager.markdown', fixture: 'alertmanager-webhook.json', ext: 'md' },
  { pkg: 'hooker.falco.markdown', fixture: 'falco-event.json', ext: 'md' },
  { pkg: 'hooker.inspec.markdown', fixture: 'inspec-json-output.json', ext: 'md' },
  { pkg: 'hooker.securecodebox.markdown', fixture: 'securecodebox-findings.json', ext: 'md' },
];

function pretty(body: string, ext: string): string {
  return ext === 'json' ? JSON.stringify(JSON.parse(body), null, 2) + '\n' : body.endsWith('\n') ? body : body + '\n';
}

describe('bundled templates', async () => {
  const templates: TemplateConfig[] = cases.map((c) => ({ name: c.pkg, source: { kind: 'rego-package', package: c.pkg }, path: 'templates[0]' }));
  // Postee's package names resolve to ours.
  templates.push({ name: 'postee-alias', source: { kind: 'rego-package', package: 'postee.vuls.html' }, path: 'templates[1]' });
  const compiled = await compileTemplates(templates, { cfgFile: 'test', library: loadTemplateLibrary({}) });

  it('all compile', () => {
    expect(compiled.problems).toEqual([]);
    expect(compiled.renderers.get('postee-alias')!.package).toBe('hooker.vuls.html');
  });

  for (const c of cases) {
    it(`${c.pkg} renders ${c.fixture}`, () => {
      const event = JSON.parse(readFileSync(new URL(c.fixture, fixtures), 'utf8'));
      const out = compiled.renderers.get(c.pkg)!.render(templateInput(event, { routeName: 'r', eventId: 'e', serverUrl: 'https://console.example' }));
      const text = `title: ${out.title}\n---\n${pretty(out.body, c.ext)}`;
      const file = new URL(`${c.pkg}.${c.ext}`, golden);
      if (update || !existsSync(file)) {
        if (!update) throw new Error(`no golden ${file.pathname}: run with UPDATE_GOLDENS=1 and review it`);
        writeFileSync(file, text);
      }
      expect(text).toBe(readFileSync(file, 'utf8'));
    });
  }

  it('raw-json returns the event without the added hooker/postee keys', () => {
    const event = { a: [1, 2], b: { c: 'd' } };
    const out = compiled.renderers.get('hooker.rawmessage.json')!.render(templateInput(event, { routeName: 'r', eventId: 'e' }));
    expect(JSON.parse(out.body)).toEqual(event);
  });

  it('escapes HTML in event values', () => {
    const out = compiled.renderers.get('hooker.rawmessage.html')!.render(templateInput({ k: '<script>"x"&</script>' }, { routeName: 'r', eventId: 'e' }));
    expect(out.body).not.toContain('<script>');
    expect(out.body).toContain('&lt;script&gt;');
  });
});

describe('inline and v0 templates', async () => {
  it('accepts a Postee v0 body template and JSON results', async () => {
    const body = 'package postee.custom\n\ntitle = sprintf("Image %s", [input.image])\n\nresult = {"image": input.image, "n": count(input.tags)}\n';
    const { renderers, problems } = await compileTemplates([{ name: 'c', source: { kind: 'body', body, line: 3 }, path: 'templates[0]' }], { cfgFile: 'cfg.yaml', library: loadTemplateLibrary({}) });
    expect(problems).toEqual([]);
    const out = renderers.get('c')!.render({ image: 'alpine', tags: ['a', 'b'] });
    expect(out.title).toBe('Image alpine');
    expect(JSON.parse(out.body)).toEqual({ image: 'alpine', n: 2 });
  });

  it('reports a broken body template with the config line', async () => {
    const body = 'package x\n\nresult := input.a +\n';
    const { problems } = await compileTemplates([{ name: 'bad', source: { kind: 'body', body, line: 10 }, path: 'templates[4]' }], { cfgFile: 'cfg.yaml', library: loadTemplateLibrary({}) });
    expect(problems[0]).toMatchObject({ file: 'cfg.yaml', path: 'templates[4]' });
    expect(problems[0]!.line).toBeGreaterThanOrEqual(13);
    expect(problems[0]!.message).toContain('template "bad"');
  });

  it('names a missing rego-package', async () => {
    const { problems } = await compileTemplates([{ name: 'm', source: { kind: 'rego-package', package: 'no.such' }, path: 'templates[0]' }], { cfgFile: 'cfg.yaml', library: loadTemplateLibrary({}) });
    expect(problems[0]!.message).toContain('"no.such" is not a bundled template');
  });
});

describe('aggregation packages', async () => {
  const templates: TemplateConfig[] = [{ name: 'ts', source: { kind: 'rego-package', package: 'hooker.trivy.slack' }, path: 'templates[0]' }];
  const compiled = await compileTemplates(templates, { cfgFile: 'test', library: loadTemplateLibrary({}) });

  it('hooker.trivy.slack combines several reports into one message', () => {
    expect(compiled.problems).toEqual([]);
    const r = compiled.renderers.get('ts')!;
    const event = JSON.parse(readFileSync(new URL('postee-trivy-input.json', fixtures), 'utf8'));
    const one = r.render(templateInput(event, { routeName: 'r', eventId: 'e' }));
    expect(one.aggregationPkg).toBe('hooker.trivy.slack.aggregation');
    const two = r.aggregate!([one, one]);
    expect(two.title).toBe('2 Trivy reports');
    const blocks = JSON.parse(two.body) as Array<{ type: string }>;
    const single = JSON.parse(one.body) as unknown[];
    expect(blocks[0]).toMatchObject({ type: 'header' });
    expect(blocks).toHaveLength(1 + 2 * (1 + single.length));
    expect(blocks.filter((b) => b.type === 'divider')).toHaveLength(2 + 2 * single.filter((b) => (b as { type: string }).type === 'divider').length);
  });
});
