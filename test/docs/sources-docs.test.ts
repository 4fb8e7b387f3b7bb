// docs/sources/*.md: every source has a page, and the Hooker configuration
// each page shows is one a user can paste: together they pass `hooker
// validate` (the built CLI, as a user runs it), naming only bundled templates
// and filters. The goldens of those templates are in test/templates/golden.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';
import { runHooker } from '../e2e/hooker-process.js';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const pages = join(repo, 'docs/sources');
const dir = mkdtempSync(join(tmpdir(), 'hooker-sources-docs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Snippet { routes: Array<{ name: string; actions: string[]; template: string }>; templates: Array<{ name: string; 'rego-package': string }> }

/** The yaml block under a page's "## Hooker configuration" heading. */
function hookerConfig(page: string): Snippet {
  const text = readFileSync(join(pages, page), 'utf8');
  const section = text.split('## Hooker configuration')[1]?.split('\n## ')[0];
  const block = section && /```yaml\n([\s\S]*?)```/.exec(section);
  if (!block) throw new Error(`${page} has no Hooker configuration block`);
  return parse(block[1]!) as Snippet;
}

describe('docs/sources', () => {
  const files = readdirSync(pages).filter((f) => f.endsWith('.md')).sort();

  it('has a page for every source of the overview', () => {
    expect(files).toEqual(['alertmanager.md', 'falco.md', 'inspec.md', 'securecodebox.md', 'tracee.md', 'trivy-operator.md', 'trivy.md']);
    const overview = readFileSync(join(repo, 'docs/sources.md'), 'utf8');
    for (const f of files) expect(overview).toContain(`(sources/${f})`);
  });

  it("every page's Hooker configuration validates, with bundled templates and filters only", async () => {
    const snippets = files.map(hookerConfig);
    const routes = snippets.flatMap((s) => s.routes);
    const templates = snippets.flatMap((s) => s.templates);
    const actions = [...new Set(routes.flatMap((r) => r.actions))].map((name) => ({ name, type: 'stdout', enable: true }));
    const cfg = join(dir, 'cfg.yaml');
    writeFileSync(cfg, stringify({ routes, templates, actions }));
    const r = await runHooker(['validate', cfg], { REGO_FILTERS_PATH: join(repo, 'rego/filters') });
    expect(r.out).not.toMatch(/error|warning/);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain(`ok (${routes.length} routes, ${templates.length} templates`);
    for (const t of templates) expect(t['rego-package'], t.name).toMatch(/^hooker\./);
  }, 120_000);
});
