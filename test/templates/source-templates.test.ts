// The bundled templates and filters for the sources users connect first
// (docs/sources.md), beyond their goldens (golden.test.ts): Alertmanager's
// resolved notifications and mixed groups, Falcosidekick's extra fields, and
// each bundled filter on the real payloads of ../shared/fixtures.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { loadTemplateLibrary } from '../../src/templates/template-files.js';
import { compileTemplates } from '../../src/templates/compile-templates.js';
import { templateInput } from '../../src/templates/template-input.js';
import { compileRoutes } from '../../src/routing/route-matcher.js';
import type { RouteConfig, TemplateConfig } from '../../src/config/types.js';

const fixture = (name: string) => JSON.parse(readFileSync(new URL(`../../../shared/fixtures/${name}`, import.meta.url), 'utf8')) as unknown;
const alertmanager = fixture('alertmanager-webhook.json') as Record<string, unknown> & { alerts: Array<Record<string, unknown>> };

const PKGS = ['hooker.alertmanager.markdown', 'hooker.falco.markdown'];

describe('source templates', async () => {
  const templates: TemplateConfig[] = PKGS.map((p, i) => ({ name: p, source: { kind: 'rego-package', package: p }, path: `templates[${i}]` }));
  const compiled = await compileTemplates(templates, { cfgFile: 'test', library: loadTemplateLibrary({}) });
  const render = (pkg: string, event: unknown) => compiled.renderers.get(pkg)!.render(templateInput(event, { routeName: 'r', eventId: 'e' }));

  it('compile', () => expect(compiled.problems).toEqual([]));

  it('Alertmanager: a resolved notification says so, with the time it ended', () => {
    const alert = { ...alertmanager.alerts[0]!, status: 'resolved', endsAt: '2018-03-07T07:03:21Z', generatorURL: 'http://prometheus:9090/graph?g0.expr=up' };
    const out = render('hooker.alertmanager.markdown', { ...alertmanager, status: 'resolved', alerts: [alert] });
    expect(out.title).toBe('[RESOLVED] high_memory_load (master warning)');
    expect(out.body).toContain('## RESOLVED: Server High Memory usage');
    expect(out.body).toContain('Started 2018-03-07T06:33:21.873077559-05:00, resolved 2018-03-07T07:03:21Z');
    expect(out.body).toContain('[Source](http://prometheus:9090/graph?g0.expr=up)');
  });

  it('Alertmanager: each alert of a group on its own, firing and resolved ones told apart', () => {
    const [a] = alertmanager.alerts;
    const second = { ...a, status: 'resolved', labels: { ...(a!['labels'] as object), instance: 'db-2' }, endsAt: '2018-03-07T07:00:00Z' };
    const out = render('hooker.alertmanager.markdown', { ...alertmanager, alerts: [{ ...a, status: 'firing' }, second] });
    // Alertmanager counts only the firing alerts in the subject.
    expect(out.title).toBe('[FIRING:1] high_memory_load (master warning)');
    expect(out.body).toContain('2 alert(s), receiver teams_proxy');
    const sections = out.body.split('\n## ').slice(1);
    expect(sections.map((s) => s.split('\n')[0])).toEqual(['FIRING: Server High Memory usage', 'RESOLVED: Server High Memory usage']);
    expect(sections[0]).toContain('| instance | instance-with-hyphen_and_underscore |');
    expect(sections[1]).toContain('| instance | db-2 |');
    expect(sections[1]).toContain('resolved 2018-03-07T07:00:00Z');
  });

  it("Falco: Falcosidekick's webhook body (source, tags, uuid) renders like Falco's own", () => {
    const falco = fixture('falco-event.json') as Record<string, unknown>;
    const sidekick = { ...falco, uuid: '2b4f1c0e-1111-4c3b-9d0e-000000000001', source: 'syscall', tags: ['filesystem', 'mitre_persistence'] };
    const plain = render('hooker.falco.markdown', falco);
    const out = render('hooker.falco.markdown', sidekick);
    expect(out.title).toBe(plain.title);
    expect(out.body).toContain('Source: syscall');
    expect(out.body).toContain('Tags: filesystem, mitre_persistence');
    expect(out.body).toContain('| fd.name | /bin/hack |');
  });
});

describe('source filters (rego/filters)', async () => {
  const files = ['alertmanager-firing.rego', 'falco-warning.rego', 'inspec-failed.rego', 'securecodebox-high.rego', 'trivy-critical.rego', 'tracee-high-severity.rego'];
  const routes: RouteConfig[] = files.map((f, i) => ({ name: f.replace('.rego', ''), inputFiles: [f], actions: [], serializeActions: false, plugins: {}, path: `routes[${i}]` }));
  const compiled = await compileRoutes(routes, { cfgFile: 'cfg.yaml', filtersPath: new URL('../../rego/filters', import.meta.url).pathname });
  const match = (event: unknown) => compiled.matcher!.match(event);

  it('compile', () => expect(compiled.problems.filter((p) => p.severity === 'error')).toEqual([]));

  it('Alertmanager: firing groups pass, their resolved notification does not', () => {
    expect(match(alertmanager)).toEqual(['alertmanager-firing']);
    expect(match({ ...alertmanager, status: 'resolved' })).toEqual([]);
  });

  it('Falco: Warning and above pass, Notice does not', () => {
    const falco = fixture('falco-event.json') as Record<string, unknown>;
    expect(match(falco)).toEqual(['falco-warning']);
    expect(match({ ...falco, priority: 'Critical' })).toEqual(['falco-warning']);
    expect(match({ ...falco, priority: 'Notice' })).toEqual([]);
  });

  it('InSpec: a report with a failed test passes, an all-passed one does not', () => {
    const report = fixture('inspec-json-output.json') as { profiles: Array<{ controls: Array<{ results: Array<{ status: string }> }> }> };
    expect(match(report)).toEqual(['inspec-failed']);
    const passed = structuredClone(report);
    for (const p of passed.profiles) for (const c of p.controls) for (const r of c.results) r.status = 'passed';
    expect(match(passed)).toEqual([]);
  });

  it('secureCodeBox: findings with a HIGH one pass, informational ones only do not', () => {
    const findings = fixture('securecodebox-findings.json') as Array<{ severity: string }>;
    expect(match(findings)).toEqual(['securecodebox-high']);
    expect(match(findings.filter((f) => f.severity !== 'HIGH'))).toEqual([]);
  });

  it('Trivy, Tracee: the existing filters on their fixtures', () => {
    expect(match(fixture('postee-trivy-input.json'))).toEqual(['trivy-critical']);
    expect(match(fixture('tracee-trc1-finding.json'))).toEqual(expect.not.arrayContaining(['trivy-critical']));
  });
});
