import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { validateConfigText } from '../../src/config/validate.js';
import { formatProblem } from '../../src/config/problems.js';
import { parseDuration } from '../../src/config/duration.js';
import { actionTypes } from '../../src/actions/index.js';

const opts = (env: NodeJS.ProcessEnv = {}) => ({ env, actionTypes: actionTypes() });
const errors = (text: string, env: NodeJS.ProcessEnv = {}) =>
  validateConfigText('cfg.yaml', text, opts(env)).problems.filter((p) => p.severity === 'error');
const warnings = (text: string) => validateConfigText('cfg.yaml', text, opts()).problems.filter((p) => p.severity === 'warning');

const BASE = `routes:
  - name: r1
    actions: [out]
    template: raw
templates:
  - name: raw
    rego-package: hooker.rawmessage.json
actions:
  - name: out
    type: stdout
    enable: true
`;

describe('validateConfigText', () => {
  it('accepts a minimal valid config and reads its routes, templates and actions', () => {
    const r = validateConfigText('cfg.yaml', BASE, opts());
    expect(r.problems).toEqual([]);
    expect(r.config!.routes.map((x) => x.name)).toEqual(['r1']);
    expect(r.config!.templates[0]!.source).toEqual({ kind: 'rego-package', package: 'hooker.rawmessage.json' });
    expect(r.config!.actions[0]).toMatchObject({ name: 'out', type: 'stdout', enable: true });
  });

  it('names file, line and key path of a route naming a missing action', () => {
    const text = BASE.replace('actions: [out]', 'actions:\n      - out\n      - nope');
    const errs = errors(text);
    expect(errs).toHaveLength(1);
    expect(errs[0]).toMatchObject({ file: 'cfg.yaml', path: 'routes[0].actions[1]', line: 5 });
    expect(errs[0]!.message).toContain('"nope"');
    expect(formatProblem(errs[0]!)).toMatch(/^cfg\.yaml:5: error: routes\[0\]\.actions\[1\]: /);
  });

  it('reports a missing template, an unknown action type and a bad duration', () => {
    const text = `routes:
  - name: r1
    actions: [a]
    template: missing
    plugins:
      unique-message-timeout: 10 parsecs
actions:
  - name: a
    type: carrier-pigeon
    enable: true
`;
    const errs = errors(text);
    const byPath = Object.fromEntries(errs.map((e) => [e.path, e]));
    expect(byPath['routes[0].template']!.message).toContain('template "missing"');
    expect(byPath['routes[0].template']!.line).toBe(4);
    expect(byPath['actions[0].type']!.message).toContain('unknown action type "carrier-pigeon"');
    expect(byPath['actions[0].type']!.line).toBe(9);
    expect(byPath['routes[0].plugins.unique-message-timeout']!.message).toContain('bad duration');
    expect(byPath['routes[0].plugins.unique-message-timeout']!.line).toBe(6);
  });

  it('warns about unknown keys by path instead of dropping them silently', () => {
    const text = BASE.replace('    template: raw\n', '    template: raw\n    tempalte: typo\n') + 'colour: blue\n';
    const w = warnings(text).map((p) => p.path);
    expect(w).toContain('routes[0].tempalte');
    expect(w).toContain('colour');
  });

  it('warns about unknown keys of an action type', () => {
    const text = BASE.replace('    type: stdout\n', '    type: stdout\n    urll: x\n');
    expect(warnings(text).map((p) => p.path)).toContain('actions[0].urll');
  });

  it('accepts the old "outputs" section with a warning', () => {
    const text = BASE.replace('actions:\n  - name: out', 'outputs:\n  - name: out');
    const r = validateConfigText('cfg.yaml', text, opts());
    expect(r.problems.filter((p) => p.severity === 'error')).toEqual([]);
    expect(r.problems.some((p) => p.path === 'outputs' && p.severity === 'warning')).toBe(true);
    expect(r.config!.actions.map((a) => a.name)).toEqual(['out']);
  });

  it('substitutes $NAME, ${NAME} and ${NAME:-default} from the environment, but not in scripts', () => {
    const text = `actions:
  - name: h
    type: http
    enable: true
    url: $TARGET_URL
    headers:
      Authorization: \${TOKEN}
    body-content: "$TARGET_URL"
  - name: w
    type: webhook
    enable: true
    url: \${UNSET_URL:-http://fallback.example/x}
`;
    const r = validateConfigText('cfg.yaml', text, opts({ TARGET_URL: 'http://127.0.0.1:9/x', TOKEN: 'Bearer s3cret' }));
    expect(r.problems.filter((p) => p.severity === 'error')).toEqual([]);
    const h = r.config!.actions[0]!.raw;
    expect(h['url']).toBe('http://127.0.0.1:9/x');
    expect((h['headers'] as Record<string, string>)['Authorization']).toBe('Bearer s3cret');
    expect(h['body-content']).toBe('$TARGET_URL');
    expect(r.config!.actions[1]!.raw['url']).toBe('http://fallback.example/x');
  });

  it('treats an action without enable as disabled, as Postee does, and says so', () => {
    const text = BASE.replace('    enable: true\n', '');
    const r = validateConfigText('cfg.yaml', text, opts());
    expect(r.config!.actions[0]!.enable).toBe(false);
    expect(r.problems.some((p) => p.severity === 'warning' && p.message.includes('no "enable" key'))).toBe(true);
  });

  it('only warns about unknown types of disabled actions (Postee configs carry many)', () => {
    const text = BASE + '  - name: j\n    type: jira\n    enable: false\n';
    expect(errors(text)).toEqual([]);
  });

  it('reports YAML syntax errors with their line', () => {
    const errs = errors('routes:\n  - name: a\n   bad: [\n');
    expect(errs.length).toBeGreaterThan(0);
    expect(errs[0]!.line).toBeGreaterThanOrEqual(2);
  });

  it('reports duplicate names', () => {
    const text = BASE.replace('routes:\n', 'routes:\n  - name: r1\n');
    expect(errors(text).map((e) => e.message).join('\n')).toContain('used twice');
  });

  it('records the line of an inline input for Rego error mapping', () => {
    const text = BASE.replace('    actions: [out]\n', '    input: |\n      input.a == 1\n    actions: [out]\n');
    const r = validateConfigText('cfg.yaml', text, opts());
    expect(r.config!.routes[0]!.input).toBe('input.a == 1\n');
    expect(r.config!.routes[0]!.inputLine).toBe(3);
  });

  it('the bundled default config passes the structural checks', () => {
    const text = readFileSync(new URL('../../config/cfg.yaml', import.meta.url), 'utf8');
    const r = validateConfigText('config/cfg.yaml', text, opts());
    expect(r.problems.filter((p) => p.severity === 'error')).toEqual([]);
    expect(r.config!.routes.find((x) => x.name === 'tracee-trc2-forensics')!.serializeActions).toBe(true);
  });
});

describe('parseDuration', () => {
  it('reads Go-style durations and bare seconds', () => {
    expect(parseDuration('1h30m')).toEqual({ ms: 5_400_000 });
    expect(parseDuration('500ms')).toEqual({ ms: 500 });
    expect(parseDuration(10)).toEqual({ ms: 10_000 });
    expect(parseDuration('15')).toEqual({ ms: 15_000 });
    expect('error' in parseDuration('10 parsecs')).toBe(true);
    expect('error' in parseDuration('')).toBe(true);
  });
});

describe('delivery keys of actions', () => {
  it('reads kind, priority, retries, backoff and concurrency with defaults', () => {
    const text = BASE.replace('    enable: true\n', '    enable: true\n    kind: ReadAndWrite\n    priority: 5\n    retries: 2\n    retry-backoff: 2s\n    retry-max-backoff: 1m\n    concurrency: 8\n');
    const r = validateConfigText('cfg.yaml', text, opts());
    expect(r.problems).toEqual([]);
    expect(r.config!.actions[0]!.delivery).toEqual({ kind: 'ReadAndWrite', priority: 5, retries: 2, retryBackoffMs: 2_000, retryMaxBackoffMs: 60_000, concurrency: 8 });
    const plain = validateConfigText('cfg.yaml', BASE, opts()).config!.actions[0]!.delivery;
    expect(plain).toMatchObject({ kind: 'ReadOnly', priority: 0, retries: 5, concurrency: 4 });
  });

  it('reports bad values with their key path', () => {
    const text = BASE.replace('    enable: true\n', '    enable: true\n    kind: Sometimes\n    retries: -1\n    retry-backoff: 10s\n    retry-max-backoff: 1s\n');
    expect(errors(text).map((p) => p.path).sort()).toEqual(['actions[0].kind', 'actions[0].retries', 'actions[0].retry-max-backoff']);
  });

  it('checks max-db-size', () => {
    expect(errors(`max-db-size: 300MB\n${BASE}`)).toEqual([]);
    expect(errors(`max-db-size: plenty\n${BASE}`)[0]).toMatchObject({ path: 'max-db-size', line: 1 });
  });
});

describe('delete-old-data', () => {
  it('defaults to 7 days and accepts 0 to keep finished events', () => {
    expect(validateConfigText('cfg.yaml', BASE, opts()).config!.deleteOldDataDays).toBe(7);
    expect(validateConfigText('cfg.yaml', `delete-old-data: 0\n${BASE}`, opts()).config!.deleteOldDataDays).toBe(0);
    expect(errors(`delete-old-data: soon\n${BASE}`)[0]!.path).toBe('delete-old-data');
  });
});
