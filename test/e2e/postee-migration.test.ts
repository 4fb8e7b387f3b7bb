// Issue 10's "done when": a Postee user's setup runs unchanged. Postee's sample
// cfg.yaml and its rego-templates/ and rego-filters/ (test/fixtures/postee),
// edited only as a user would (actions pointed at their receivers and
// enabled, routes for their sources), pass `hooker validate`, then a real
// `hooker serve` process gets the Aqua, Trivy, trivy-operator and Tracee
// fixtures and a local receiver gets the bodies Postee's templates give:
// goldens in test/fixtures/postee-bodies/ (see its README: each was checked
// against Postee's template by reading it, not taken from our output; with
// UPDATE_GOLDENS=1 the test rewrites them, and the diff must be reviewed the
// same way). The webhook action posts `result` as is, as Postee did.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import { runHooker, startHooker, type HookerProcess } from './hooker-process.js';
import { startReceiver } from './receiver.js';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const postee = join(repo, 'test/fixtures/postee');
const shared = new URL('../../../shared/fixtures/', import.meta.url);
const fixture = (name: string) => JSON.parse(readFileSync(new URL(name, shared), 'utf8')) as Record<string, unknown>;
const goldenDir = join(repo, 'test/fixtures/postee-bodies');
const update = process.env['UPDATE_GOLDENS'] === '1';

/** The user's edits to Postee's sample: receivers for my-slack and one webhook per route, routes for each source. */
function userConfig(receiverUrl: string): string {
  let cfg = readFileSync(join(postee, 'cfg.yaml'), 'utf8');
  const slack = '- name: my-slack\n  type: slack\n  enable: false\n  url: https://hooks.slack.com/services/TAAAA/BBB/<key>';
  expect(cfg).toContain(slack);
  cfg = cfg.replace(slack, `- name: my-slack\n  type: slack\n  enable: true\n  url: ${receiverUrl}/slack`);
  const routes = `
- name: aqua-html
  input: input.registry == "Aqua"
  actions: [hook-aqua-html]
  template: vuls-html

- name: aqua-legacy
  input: input.registry == "Aqua"
  actions: [hook-aqua-legacy]
  template: legacy

- name: trivy
  input: input.SchemaVersion == 2
  actions: [hook-trivy]
  template: trivy-jira

- name: tracee
  input: contains(input.SigMetadata.ID, "TRC-")
  actions: [hook-tracee]
  template: tracee-html

- name: trivy-operator-raw
  input: input.kind == "VulnerabilityReport"
  actions: [hook-trivy-operator]
  template: raw-json

`;
  cfg = cfg.replace('# Templates are used to format a message', `${routes}# Templates are used to format a message`);
  cfg = cfg.replace('# Rules are predefined rego policies', `- name: trivy-jira\n  rego-package: postee.trivy.jira\n- name: tracee-html\n  rego-package: postee.tracee.html\n\n# Rules are predefined rego policies`);
  const hooks = ['aqua-html', 'aqua-legacy', 'trivy', 'tracee', 'trivy-operator']
    .map((n) => `\n- name: hook-${n}\n  type: webhook\n  enable: true\n  url: ${receiverUrl}/${n}\n`).join('');
  return `${cfg}${hooks}`;
}

function golden(name: string, text: string) {
  const file = join(goldenDir, name);
  if (update) { mkdirSync(goldenDir, { recursive: true }); writeFileSync(file, text); }
  expect(text, name).toBe(readFileSync(file, 'utf8'));
}

describe('a Postee user migrating: stock cfg.yaml, rego-templates, rego-filters', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hooker-postee-'));
  let rx: Awaited<ReturnType<typeof startReceiver>>;
  let h: HookerProcess | undefined;
  let env: Record<string, string>;

  beforeAll(async () => {
    rx = await startReceiver();
    writeFileSync(join(dir, 'cfg.yaml'), userConfig(rx.url));
    env = {
      POSTEE_CFG: join(dir, 'cfg.yaml'),
      REGO_TEMPLATES_PATH: join(postee, 'rego-templates'),
      REGO_FILTERS_PATH: join(postee, 'rego-filters'),
      HOOKER_DB: join(dir, 'hooker.db'),
    };
  });
  afterAll(async () => { await h?.stop(); await rx.close(); rmSync(dir, { recursive: true, force: true }); });

  it("Postee's sample cfg.yaml as it ships validates", async () => {
    const r = await runHooker(['validate', join(postee, 'cfg.yaml')], { REGO_TEMPLATES_PATH: env['REGO_TEMPLATES_PATH']!, REGO_FILTERS_PATH: env['REGO_FILTERS_PATH']! });
    expect(r.out).toMatch(/cfg\.yaml: ok \(3 routes, 12 templates, 1 enabled actions\)/);
    expect(r.out).toMatch(/template "custom-email" has no rego-package, body, url or legacy-scan-renderer; no route uses it/);
    expect(r.code).toBe(0);
  }, 600_000);

  it('the edited one validates, serves, and delivers the bodies of Postee\'s templates', async () => {
    const check = await runHooker(['validate', env['POSTEE_CFG']!], env);
    expect(check.code, check.out).toBe(0);
    // `hooker serve` runs the same checks as `hooker validate` and refuses to start on an error.
    h = await startHooker(env, { startTimeoutMs: 120_000 });
    expect(h.output()).not.toMatch(/error:/);
    const events: Array<[string, Record<string, unknown>]> = [
      ['aqua', fixture('postee-aqua-input.json')],
      ['trivy', fixture('postee-trivy-input.json')],
      ['trivy-operator', fixture('postee-trivy-operator-input.json')],
      ['tracee', fixture('tracee-trc1-finding.json')],
    ];
    const matched: Record<string, string[]> = {};
    for (const [name, event] of events) {
      const res = await request(`${h.url}/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(event) });
      expect(res.statusCode).toBe(202);
      matched[name] = ((await res.body.json()) as { matched: string[] }).matched;
    }
    // Postee's routing: route1's input-files replace its `input:` (Ignore-Image-Name allows any image
    // without alpine/postgres, so every event matches), the sample's stdout route takes everything.
    expect(matched).toEqual({
      aqua: ['stdout', 'route1', 'aqua-html', 'aqua-legacy'],
      trivy: ['stdout', 'route1', 'trivy'],
      'trivy-operator': ['stdout', 'route1', 'Trivy Operator Alerts', 'trivy-operator-raw'],
      tracee: ['stdout', 'route1', 'tracee'],
    });
    const want = ['/aqua-legacy', '/slack', '/slack', '/tracee', '/trivy', '/trivy-operator'];
    const got = await rx.waitFor(want.length, 60_000);
    await new Promise((r) => setTimeout(r, 300)); // nothing more may come
    expect(got.map((g) => g.url).sort(), h.output().slice(-3000)).toEqual(want);
    const at = (path: string) => got.filter((g) => g.url === path);

    // Postee's vuls-html has no result for this Aqua scan (no image_assurance_results.disallowed) and
    // vuls-slack none for a Trivy report (no input.image): in Postee nothing was sent; here a dead
    // delivery says why.
    expect(h.output()).toMatch(/route \\?"aqua-html\\?": template failed: template \\?"vuls-html\\?" \(postee\.vuls\.html\): rule result is undefined/);
    expect(h.output()).toMatch(/route \\?"route1\\?": template failed: template \\?"vuls-slack\\?" \(postee\.vuls\.slack\): rule result is undefined/);

    for (const g of got.filter((x) => x.url !== '/slack')) {
      expect(g.headers['hooker-delivery-id']).toBeTruthy();
      expect(g.headers['content-type']).toBe('application/json');
    }
    // Text results are posted as they are, not as JSON strings (Postee's webhook output).
    // Postee's Go HTML renderer: the legacy renderer's reviewed golden, with the sample's empty
    // aqua-server (the link is the bare registry/image path).
    const legacy = readFileSync(join(repo, 'test/templates/golden/legacy.html.html'), 'utf8').split('\n---\n')[1]!;
    expect(at('/aqua-legacy')[0]!.body).toBe(legacy.replaceAll('https://aqua.example/#/images/', ''));
    golden('trivy-jira.txt', at('/trivy')[0]!.body);
    golden('tracee-html.html', at('/tracee')[0]!.body);
    // raw-json: Postee's template input (the event, postee.AquaServer, response_policy_* from the
    // route name split at its last dash) as Go marshals it: keys sorted, <>& escaped.
    const raw = at('/trivy-operator')[0]!.body;
    expect(JSON.parse(raw)).toEqual({ ...events[2]![1], postee: { AquaServer: '' }, response_policy_name: 'trivy-operator', response_policy_id: 'raw' });
    golden('trivy-operator-raw.json', raw);
    // Slack: our message (header block from the template's title, then the template's blocks); the
    // blocks Postee's templates give are compared, as Postee's slack output sent them after its title.
    const slack = at('/slack').map((g) => JSON.parse(g.body) as { text: string; blocks: Array<Record<string, unknown>> });
    const aquaSlack = slack.find((m) => m.text === 'all-in-one:3.5.19223 vulnerability scan report')!;
    const operatorSlack = slack.find((m) => m.text === 'Vulnerability scan report library/nginx:1.16')!;
    expect(aquaSlack.blocks[0]).toEqual({ type: 'header', text: { type: 'plain_text', text: aquaSlack.text, emoji: true } });
    expect(operatorSlack.blocks[0]).toEqual({ type: 'header', text: { type: 'plain_text', text: operatorSlack.text, emoji: true } });
    golden('vuls-slack.json', JSON.stringify(aquaSlack.blocks.slice(1), null, 2) + '\n');
    golden('trivy-operator-slack.json', JSON.stringify(operatorSlack.blocks.slice(1), null, 2) + '\n');

    // The stdout route of the sample printed raw-json of every event, as Postee printed it.
    const printed = h.stdout().split('\n').filter((l) => l.startsWith('{'));
    expect(printed.map((l) => (JSON.parse(l) as { response_policy_name: string }).response_policy_name)).toEqual(['stdout', 'stdout', 'stdout', 'stdout']);
    expect(h.stdout()).toContain('"Properties":{"MITRE ATT\\u0026CK":"Persistence: Server Software Component","Severity":3}');
  }, 300_000);
});
