// Postee's own rego-templates/ and rego-filters/ (test/fixtures/postee) load as
// a Postee user has them; a module that does not compile fails only the
// templates that depend on it, with its file and line; filter errors name the
// user's package, never the generated data.hooker.route_<i>.

import { afterAll, describe, expect, it } from 'vitest';
import { cpSync, readFileSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadTemplateLibrary } from '../../src/templates/template-files.js';
import { compileTemplates } from '../../src/templates/compile-templates.js';
import { buildRouteProgram } from '../../src/routing/route-modules.js';
import { compileRoutes } from '../../src/routing/route-matcher.js';
import type { RouteConfig, TemplateConfig } from '../../src/config/types.js';

const fixtures = fileURLToPath(new URL('../fixtures/postee/', import.meta.url));
const templatesDir = join(fixtures, 'rego-templates');
const filtersDir = join(fixtures, 'rego-filters');
const temps: string[] = [];
afterAll(() => { for (const d of temps) rmSync(d, { recursive: true, force: true }); });

/**
 * Templates whose modules OPA itself rejects: none. incident-html.rego declares a rule named `data` and
 * reads it back (`json.unmarshal(data)`); OPA accepts that in a v0 module (only Rego v1 and strict mode
 * refuse it, with "rules must not shadow data"), where `data` in the package means the rule.
 */
const REJECTED: Record<string, RegExp> = {};

async function compileAll(dir: string) {
  const library = loadTemplateLibrary({ userDir: dir });
  const packages = library.packages().filter((p) => p.startsWith('postee.'));
  const templates: TemplateConfig[] = packages.map((p, i) => ({ name: p, source: { kind: 'rego-package', package: p }, path: `templates[${i}]` }));
  return { packages, ...(await compileTemplates(templates, { cfgFile: 'cfg.yaml', library })) };
}

const failed = (problems: Array<{ message: string }>) => new Set(problems.map((p) => /^template "([^"]+)"/.exec(p.message)![1]));

describe("Postee's rego-templates directory", () => {
  it('every template package compiles except the ones OPA rejects, each failure naming its file and line', async () => {
    const { packages, renderers, problems } = await compileAll(templatesDir);
    expect(packages.length).toBeGreaterThan(15);
    const bad = failed(problems);
    for (const p of bad) {
      expect(Object.keys(REJECTED), `unexpected failure of ${p}: ${problems.map((x) => x.message).join('\n')}`).toContain(p);
    }
    for (const [pkg, file] of Object.entries(REJECTED)) {
      const mine = problems.filter((p) => p.message.startsWith(`template "${pkg}"`));
      expect(mine.length).toBeGreaterThan(0);
      for (const p of mine) { expect(p.file).toMatch(file); expect(p.line).toBeGreaterThan(0); }
    }
    // No message leaks the generated wrapper package.
    for (const p of problems) expect(p.message).not.toMatch(/hooker_template_render/);
    for (const p of ['postee.incident.html', 'postee.vuls.html', 'postee.vuls.slack', 'postee.trivy.jira', 'postee.trivyoperator.slack', 'postee.trivyoperator.jira', 'postee.tracee.html', 'postee.tracee.slack', 'postee.rawmessage.json', 'postee.rawmessage.html', 'postee.iac.html', 'postee.vuls.cyclondx']) {
      expect(renderers.has(p), p).toBe(true);
    }
  });

  it("incident-html reads its own rule named `data` (the incident's JSON string), as under OPA", async () => {
    const { renderers } = await compileAll(templatesDir);
    const incident = JSON.parse(readFileSync(new URL('../../../shared/fixtures/postee-aqua-incident-input.json', import.meta.url), 'utf8')) as Record<string, unknown>;
    const out = renderers.get('postee.incident.html')!.render({ ...incident, main_category: 'malware', container: 'web-1', postee: { AquaServer: '' }, response_policy_name: 'incidents', response_policy_id: '' });
    expect(out.title).toBe('Malware Incident on web-1');
    // Fields of json.unmarshal(data): the template's `data` rule, not the data document.
    for (const field of ['Eicar-Test-Signature', 'Virus', '/home/usr/tmp/malware/eicar.test', '10.100.102.19']) expect(out.body).toContain(field);
  });

  it('a broken module fails only the templates that depend on it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hooker-postee-tpl-'));
    temps.push(dir);
    cpSync(templatesDir, dir, { recursive: true });
    // A template of its own package with a syntax error on line 4.
    writeFileSync(join(dir, 'trivy-operator-jira.rego'), 'package postee.trivyoperator.jira\n\ntitle := "x"\nresult := {\n');
    let r = await compileAll(dir);
    expect([...failed(r.problems)].filter((p) => !(p in REJECTED))).toEqual(['postee.trivyoperator.jira']);
    const p = r.problems.find((x) => x.message.startsWith('template "postee.trivyoperator.jira"'))!;
    expect(p.file).toBe(join(dir, 'trivy-operator-jira.rego'));
    expect(p.line).toBe(5);
    expect(r.renderers.has('postee.trivyoperator.slack')).toBe(true);

    // The shared library broken: templates importing data.postee.* fail, self-contained ones still load.
    writeFileSync(join(dir, 'common', 'common.rego'), 'package postee\n\nwith_default(a, b, c) = a {\n  a ==\n}\n');
    r = await compileAll(dir);
    const bad = failed(r.problems);
    expect(bad.has('postee.vuls.html')).toBe(true);
    expect(r.problems.find((x) => x.message.startsWith('template "postee.vuls.html"'))!.file).toBe(join(dir, 'common', 'common.rego'));
    for (const ok of ['postee.rawmessage.json', 'postee.tracee.html', 'postee.trivyoperator.dependencytrack']) expect(r.renderers.has(ok), ok).toBe(true);
  });
});

describe("Postee's rego-filters directory", () => {
  const files = readdirSync(filtersDir).sort();
  const routes: RouteConfig[] = files.map((f, i) => ({
    name: `r${i}`, inputFiles: [f], actions: [], serializeActions: false, plugins: {}, path: `routes[${i}]`,
  }));

  it('each filter file parses as an input-file except the one OPA rejects (an empty allow body)', () => {
    const program = buildRouteProgram(routes, { cfgFile: 'cfg.yaml', filtersPath: filtersDir });
    expect(program.problems.length).toBeGreaterThan(0);
    for (const p of program.problems) {
      expect(p.file).toBe(join(filtersDir, 'Policy-Related-Features.rego'));
      expect(p.line).toBe(53);
      expect(p.message).toMatch(/empty body|unexpected }/);
    }
  });

  it("the two filters whose rule refers to itself are rejected, in the user's package terms (OPA: recursion)", async () => {
    const usable = routes.filter((r) => r.inputFiles[0] !== 'Policy-Related-Features.rego');
    const compiled = await compileRoutes(usable, { cfgFile: 'cfg.yaml', filtersPath: filtersDir });
    const errors = compiled.problems.filter((p) => p.severity === 'error');
    expect(errors.map((p) => p.file).sort()).toEqual([join(filtersDir, 'Tracee Default Set'), join(filtersDir, 'tracee-default')]);
    for (const p of errors) {
      expect(p.message).toMatch(/rego_recursion_error: rule data\.postee\.ArrayBlockedSignatures is recursive/);
      expect(p.message).not.toMatch(/hooker\.route_/);
    }
  });

  it('every other filter compiles together with the rest and matches as Postee documents it', async () => {
    const rejected = ['Policy-Related-Features.rego', 'Tracee Default Set', 'tracee-default'];
    const usable = routes.filter((r) => !rejected.includes(r.inputFiles[0]!));
    const compiled = await compileRoutes(usable, { cfgFile: 'cfg.yaml', filtersPath: filtersDir });
    expect(compiled.problems.filter((p) => p.severity === 'error').map((p) => `${p.file}:${p.line}: ${p.message}`)).toEqual([]);
    const name = (f: string) => usable.find((r) => r.inputFiles[0] === f)!.name;
    const matched = compiled.matcher!.match({ image: 'busybox:1', registry: 'Aqua', vulnerability_summary: { critical: 1 }, SigMetadata: { ID: 'TRC-12' } });
    expect(matched).toContain(name('Allow-Image-Name.rego'));
    expect(matched).toContain(name('Initial Access'));
    expect(matched).toContain(name('Policy-Min-Vulnerability.rego'));
    expect(matched).not.toContain(name('Ignore-Registry.rego'));
    expect(matched).not.toContain(name('Persistence'));
  });

  it("a filter's compile error names the user's package, not the generated one", () => {
    const dir = mkdtempSync(join(tmpdir(), 'hooker-postee-flt-'));
    temps.push(dir);
    writeFileSync(join(dir, 'loop.rego'), 'package postee.aa\n\nallow {\n  loop\n}\n\nloop {\n  allow\n}\n');
    return compileRoutes([{ name: 'r', inputFiles: ['loop.rego'], actions: [], serializeActions: false, plugins: {}, path: 'routes[0]' }], { cfgFile: 'cfg.yaml', filtersPath: dir }).then((r) => {
      expect(r.problems.length).toBeGreaterThan(0);
      const text = r.problems.map((p) => p.message).join('\n');
      expect(text).toMatch(/data\.postee\.aa\.(allow|loop)/);
      expect(text).not.toMatch(/hooker\.route_/);
    });
  });
});
