// The action config pipeline: one YAML reader, each action type checking its
// own keys (problems at file:line:key), case-insensitive types as in Postee,
// secrets from $ENV / NAME_FILE / <key>-file scrubbed from what actions report,
// and the services an action needs passed in.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateConfigText } from '../../src/config/validate.js';
import { actionTypes } from '../../src/actions/index.js';
import { defineAction } from '../../src/actions/define.js';
import { parseRateLimit } from '../../src/config/rate-limit.js';
import { readYamlFile } from '../../src/config/yaml-source.js';
import type { DeliveryContext } from '../../src/actions/types.js';

const dir = mkdtempSync(join(tmpdir(), 'hooker-pipeline-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const cfg = (actions: string) => `routes:
  - name: r
    actions: [a]
    template: raw
templates:
  - name: raw
    rego-package: hooker.rawmessage.json
actions:
${actions}`;

const validate = (text: string, env: NodeJS.ProcessEnv = {}) => validateConfigText('cfg.yaml', text, { env, actionTypes: actionTypes() });

describe('action types', () => {
  it('match case-insensitively, as Postee does (Webhook, STDOUT)', () => {
    const r = validate(cfg(`  - name: a
    type: Webhook
    enable: true
    url: http://127.0.0.1:9/hook
  - name: b
    type: STDOUT
    enable: true
`));
    expect(r.problems.filter((p) => p.severity === 'error')).toEqual([]);
    expect(r.config!.actions.map((a) => a.type)).toEqual(['webhook', 'stdout']);
  });

  it('an unknown type is an error at its line that lists the known types', () => {
    const r = validate(cfg(`  - name: a
    type: carrier-pigeon
    enable: true
`));
    const e = r.problems.find((p) => p.path === 'actions[0].type')!;
    expect(e).toMatchObject({ severity: 'error', file: 'cfg.yaml', line: 10 });
    expect(e.message).toContain('unknown action type "carrier-pigeon"');
    expect(e.message).toMatch(/known types: stdout, webhook, exec, http, docker, kubernetes, scan/);
  });

  it("a type's own key problems carry file, line and key, in the same pass as other problems", () => {
    const r = validate(cfg(`  - name: a
    type: http
    enable: true
    url: ftp://nowhere
    method: BREW
    colour: blue
`).replace('template: raw', 'template: missing'));
    const byPath = Object.fromEntries(r.problems.map((p) => [p.path, p]));
    expect(byPath['actions[0].url']).toMatchObject({ severity: 'error', line: 12 });
    expect(byPath['actions[0].method']).toMatchObject({ severity: 'error', line: 13 });
    expect(byPath['actions[0].colour']).toMatchObject({ severity: 'warning', line: 14 });
    expect(byPath['actions[0].colour']!.message).toContain('known keys:');
    expect(byPath['routes[0].template']).toMatchObject({ severity: 'error' });
  });

  it('rate-limit is a key of every action: 1/s, 30/m, 5/10s', () => {
    expect(parseRateLimit('1/s')).toEqual({ count: 1, perMs: 1000 });
    expect(parseRateLimit('30/m')).toEqual({ count: 30, perMs: 60_000 });
    expect(parseRateLimit('5/10s')).toEqual({ count: 5, perMs: 10_000 });
    expect(parseRateLimit('fast')).toHaveProperty('error');
    const r = validate(cfg(`  - name: a
    type: stdout
    enable: true
    rate-limit: 2/s
`));
    expect(r.config!.actions[0]!.delivery.rateLimit).toEqual({ count: 2, perMs: 1000 });
    const bad = validate(cfg(`  - name: a
    type: stdout
    enable: true
    rate-limit: lots
`));
    expect(bad.problems.find((p) => p.path === 'actions[0].rate-limit')).toMatchObject({ severity: 'error', line: 12 });
  });
});

describe("Postee's stock cfg.yaml", () => {
  it('every action key it uses is known, and enabled actions with its empty values are errors at their lines', async () => {
    const { readFileSync } = await import('node:fs');
    const text = readFileSync(new URL('../fixtures/postee/cfg.yaml', import.meta.url), 'utf8');
    const stock = validate(text);
    expect(stock.problems.filter((p) => p.message.startsWith('unknown key'))).toEqual([]);
    const enabled = validate(text.replace(/enable: false/g, 'enable: true'));
    expect(enabled.problems.filter((p) => p.message.startsWith('unknown key'))).toEqual([]);
    const jiraUrl = enabled.problems.find((p) => p.path.endsWith('.url') && p.message.includes('my-jira'))!;
    expect(jiraUrl).toMatchObject({ severity: 'error', file: 'cfg.yaml' });
    expect(text.split('\n')[jiraUrl.line! - 1]).toMatch(/^\s*url:/);
  });
});

describe('secrets', () => {
  const probe = defineAction<{ token: string }>({
    type: 'probe',
    keys: [],
    secrets: ['token'],
    parse: (r) => { const token = r.secret('token', true); return token ? { token } : undefined; },
    build: ({ token }, { name }) => ({
      name, type: 'probe',
      async deliver(ctx) {
        ctx.log(`sending with ${token}`);
        return { ok: false, detail: `server said: bad token ${token} (Basic ${Buffer.from(token).toString('base64')})`, changed: [token] };
      },
    }),
  });
  const types = actionTypes([probe]);
  const ctx = (log: string[]): DeliveryContext => ({
    deliveryId: 'd', eventId: 'e', routeName: 'r', event: {}, hops: 0, signal: new AbortController().signal,
    message: { title: '', body: '' }, log: (l) => log.push(l),
  });
  const probeCfg = (extra: string) => cfg(`  - name: a\n    type: probe\n    enable: true\n${extra}`);

  it('come from $NAME, from the file NAME_FILE names, or from <key>-file', () => {
    const file = join(dir, 'token');
    writeFileSync(file, 's3cr3t-from-file\n');
    const viaEnv = validateConfigText('cfg.yaml', probeCfg('    token: $PROBE_TOKEN\n'), { env: { PROBE_TOKEN: 's3cr3t-env' }, actionTypes: types });
    expect((viaEnv.config!.actions[0]!.settings as { value: { token: string } }).value.token).toBe('s3cr3t-env');
    const viaEnvFile = validateConfigText('cfg.yaml', probeCfg('    token: $PROBE_TOKEN\n'), { env: { PROBE_TOKEN_FILE: file }, actionTypes: types });
    expect((viaEnvFile.config!.actions[0]!.settings as { value: { token: string } }).value.token).toBe('s3cr3t-from-file');
    const viaKey = validateConfigText('cfg.yaml', probeCfg(`    token-file: ${file}\n`), { env: {}, actionTypes: types });
    expect((viaKey.config!.actions[0]!.settings as { value: { token: string } }).value.token).toBe('s3cr3t-from-file');
    const missing = validateConfigText('cfg.yaml', probeCfg(`    token-file: ${join(dir, 'nope')}\n`), { env: {}, actionTypes: types });
    expect(missing.problems.find((p) => p.path === 'actions[0].token-file')).toMatchObject({ severity: 'error', line: 12 });
    const none = validateConfigText('cfg.yaml', probeCfg(''), { env: {}, actionTypes: types });
    expect(none.problems.find((p) => p.path === 'actions[0].token')!.message).toContain('required');
  });

  it('never appear in delivery details, changed entries or log lines', async () => {
    const v = validateConfigText('cfg.yaml', probeCfg('    token: $PROBE_TOKEN\n'), { env: { PROBE_TOKEN: 'hunter2-token' }, actionTypes: types });
    const action = probe.build(v.config!.actions[0]!.settings, {}, {});
    const log: string[] = [];
    const result = await action.deliver(ctx(log));
    const text = JSON.stringify({ result, log });
    expect(text).not.toContain('hunter2-token');
    expect(text).not.toContain(Buffer.from('hunter2-token').toString('base64'));
    expect(result.detail).toContain('[redacted]');
  });
});

describe('the YAML reader', () => {
  it('gives file:line for YAML errors of any file it reads', () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'a: 1\nb: [\n');
    const r = readYamlFile(file);
    expect(r.value).toBeUndefined();
    expect(r.problems[0]).toMatchObject({ severity: 'error', file });
    expect(r.problems[0]!.line).toBeGreaterThanOrEqual(2);
  });
});
