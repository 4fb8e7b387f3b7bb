// Builtins a tool adds to OPA: declared by an OPA capabilities file, made by
// a JS module. `hooker test/eval/build --capabilities --builtins` on the
// command line, and a real `hooker serve` process given the same files
// through HOOKER_REGO_CAPABILITIES / HOOKER_REGO_BUILTINS routing and
// rendering with them (and with Postee's jsonformat) to a local receiver.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli-run.js';
import { useCustomBuiltins } from '../../src/rego/builtins/custom.js';
import { startHooker, type HookerProcess } from './hooker-process.js';
import { buildRuntime } from '../../src/server/runtime.js';
import { formatProblem } from '../../src/config/problems.js';
import { startReceiver } from './receiver.js';

let dir: string;
let caps: string;
let impl: string;

const CAPABILITIES = {
  builtins: [
    // OPA's own entries, as `opa capabilities` prints them, are accepted and left to Hooker's catalog.
    { name: 'count', decl: { type: 'function', args: [{ type: 'any' }], result: { type: 'number' } } },
    { name: 'acme.severity_rank', decl: { type: 'function', args: [{ type: 'string' }], result: { type: 'number' } } },
    {
      name: 'acme.tag',
      decl: {
        type: 'function',
        args: [{ type: 'string' }, { type: 'object', dynamic: { key: { type: 'string' }, value: { type: 'any' } } }],
        result: { type: 'string' },
      },
    },
    { name: 'acme.explode', decl: { type: 'function', args: [{ type: 'string' }], result: { type: 'any' } } },
    { name: 'acme.unimplemented', decl: { type: 'function', args: [], result: { type: 'boolean' } } },
  ],
};

const MODULE = `
const ranks = { LOW: 1, MEDIUM: 2, HIGH: 3, CRITICAL: 4 };
export default {
  acme: {
    severity_rank: (s) => ranks[s] ?? 0,
    tag: (name, labels) => name + '[' + Object.keys(labels).sort().map((k) => k + '=' + labels[k]).join(',') + ']',
    explode: (s) => { throw new Error('cannot explode ' + s); },
  },
};
// A builtin no capabilities entry declares: arity from the function, any types.
export { uniq as "acme.uniq_sorted" };
function uniq(xs) { return new Set(xs); }
`;

const POLICY = `package acme.checks

deny contains msg if {
  some f in input.findings
  acme.severity_rank(f.severity) >= 3
  msg := acme.tag(f.id, {"sev": f.severity})
}

severities := acme.uniq_sorted([f.severity | some f in input.findings])
`;

const TESTS = `package acme.checks_test

import data.acme.checks

test_high_is_denied if {
  checks.deny == {"CVE-1[sev=HIGH]"} with input as {"findings": [{"id": "CVE-1", "severity": "HIGH"}, {"id": "CVE-2", "severity": "LOW"}]}
}

test_severities_as_set if {
  checks.severities == {"HIGH", "LOW"} with input as {"findings": [{"id": "a", "severity": "LOW"}, {"id": "b", "severity": "HIGH"}, {"id": "c", "severity": "LOW"}]}
}
`;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'hooker-custom-'));
  caps = join(dir, 'caps.json');
  impl = join(dir, 'impl.mjs');
  writeFileSync(caps, JSON.stringify(CAPABILITIES));
  writeFileSync(impl, MODULE);
  writeFileSync(join(dir, 'policy.rego'), POLICY);
  writeFileSync(join(dir, 'policy_test.rego'), TESTS);
});
afterAll(async () => {
  await useCustomBuiltins({}); // this process's later tests see no custom builtins
  rmSync(dir, { recursive: true, force: true });
});

describe('hooker test/eval/build with --capabilities and --builtins', () => {
  it('hooker test runs a policy calling custom builtins', async () => {
    const r = await runCli('test', '--capabilities', caps, '--builtins', impl, join(dir, 'policy.rego'), join(dir, 'policy_test.rego'));
    expect(r.out).toMatch(/data\.acme\.checks_test\.test_high_is_denied: PASS/);
    expect(r.out).toMatch(/data\.acme\.checks_test\.test_severities_as_set: PASS/);
    expect(r.code).toBe(0);
  });

  it('without the declarations the policy does not compile; without the module a call fails naming what is missing', async () => {
    await useCustomBuiltins({});
    const undeclared = await runCli('build', '-e', 'acme/checks/deny', join(dir, 'policy.rego'), '-o', join(dir, 'p.wasm'));
    expect(undeclared.code).toBe(1);
    expect(undeclared.err).toContain('policy.rego:5:3: rego_type_error: undefined function acme.severity_rank');

    const built = await runCli('build', '--capabilities', caps, '-e', 'acme/checks/severities', '-e', 'acme/checks/deny', join(dir, 'policy.rego'), '-o', join(dir, 'p.wasm'));
    // acme.uniq_sorted is only in the module, so build needs it too.
    expect(built.code).toBe(1);
    const withModule = await runCli('build', '--capabilities', caps, '--builtins', impl, '-e', 'acme/checks/deny', join(dir, 'policy.rego'), '-o', join(dir, 'p.wasm'));
    expect(withModule.code).toBe(0);

    writeFileSync(join(dir, 'only-caps.rego'), 'package x\np := acme.unimplemented()\n');
    const missing = await runCli('eval', '--capabilities', caps, '-d', join(dir, 'only-caps.rego'), 'data.x.p');
    expect(missing.code).toBe(1);
    expect(missing.err).toContain('acme.unimplemented: declared in the capabilities file but no implementation was loaded');
  });

  it('a builtin that throws is an error under --strict-builtin-errors and undefined otherwise, as OPA treats builtin errors', async () => {
    writeFileSync(join(dir, 'explode.rego'), 'package x\np := acme.explode("now")\n');
    const lax = await runCli('eval', '--capabilities', caps, '--builtins', impl, '-d', join(dir, 'explode.rego'), 'data.x.p');
    expect(JSON.parse(lax.out)).toEqual({});
    const strict = await runCli('eval', '--strict-builtin-errors', '--capabilities', caps, '--builtins', impl, '-d', join(dir, 'explode.rego'), 'data.x.p');
    expect(strict.code).toBe(1);
    expect(strict.err).toContain('eval_builtin_error: acme.explode: cannot explode now');
  });

  it('names the file when the capabilities or the module cannot be used', async () => {
    writeFileSync(join(dir, 'bad-caps.json'), JSON.stringify({ builtins: [{ name: 'acme.x', decl: { type: 'function', args: [{ type: 'strng' }] } }] }));
    const badCaps = await runCli('eval', '--capabilities', join(dir, 'bad-caps.json'), 'true');
    expect(badCaps.code).toBe(1);
    expect(badCaps.err).toContain(`${join(dir, 'bad-caps.json')}: builtins[0] (acme.x) args[0]: unknown type "strng"`);
    writeFileSync(join(dir, 'broken.mjs'), 'export default {;');
    const badModule = await runCli('eval', '--builtins', join(dir, 'broken.mjs'), 'true');
    expect(badModule.code).toBe(1);
    expect(badModule.err).toContain(`${join(dir, 'broken.mjs')}: cannot load the builtins module`);
  });
});

describe('hooker serve with HOOKER_REGO_CAPABILITIES and HOOKER_REGO_BUILTINS', () => {
  const procs: HookerProcess[] = [];
  afterAll(async () => { await Promise.all(procs.map((p) => p.stop())); });

  it('routes and renders with the custom builtins and jsonformat', async () => {
    const rx = await startReceiver();
    try {
      const cfg = join(dir, 'cfg.yaml');
      writeFileSync(cfg, `
routes:
  - name: severe
    input: acme.severity_rank(input.severity) >= 3
    actions: [hook]
    template: tagged
templates:
  - name: tagged
    body: |
      package acme.tagged
      title := acme.tag(input.id, {"sev": input.severity})
      result := jsonformat({"id": input.id, "note": "<b>&</b>", "rank": acme.severity_rank(input.severity)})
actions:
  - name: hook
    type: webhook
    enable: true
    url: ${rx.url}/hook
`);
      const h = await startHooker({ HOOKER_CFG: cfg, HOOKER_REGO_CAPABILITIES: caps, HOOKER_REGO_BUILTINS: impl }, { startTimeoutMs: 240_000 });
      procs.push(h);
      const post = async (body: unknown) => (await (await request(`${h.url}/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })).body.json()) as { matched: string[] };
      expect((await post({ id: 'CVE-9', severity: 'LOW' })).matched).toEqual([]);
      expect((await post({ id: 'CVE-7', severity: 'CRITICAL' })).matched).toEqual(['severe']);
      const [got] = await rx.waitFor(1);
      expect(got!.url).toBe('/hook');
      expect(got!.body).toBe('{\n "id": "CVE-7",\n "note": "\\u003cb\\u003e\\u0026\\u003c/b\\u003e",\n "rank": 4\n}');
    } finally {
      await rx.close();
    }
  }, 300_000);

  it('a module that cannot be loaded is a configuration error naming it (start and reload refuse it)', async () => {
    const cfg = join(dir, 'cfg2.yaml');
    writeFileSync(cfg, 'routes: []\ntemplates: []\nactions: []\n');
    const broken = join(dir, 'broken.mjs');
    const built = await buildRuntime({ cfgPath: cfg, env: { HOOKER_REGO_BUILTINS: broken }, filtersPath: dir });
    expect(built.runtime).toBeUndefined();
    expect(built.problems.map(formatProblem)).toEqual([expect.stringMatching(new RegExp(`^${broken.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: error: cannot load the builtins module: `))]);
    await useCustomBuiltins({});
  });
});
