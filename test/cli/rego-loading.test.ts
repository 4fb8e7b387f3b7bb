// OPA's data loading through `hooker test`, `hooker eval -d/-b` and
// `hooker build`: documents at their directory path, data.json merging,
// conflicts naming both files, --ignore, prefixes, bundles with .manifest
// roots; and a validation bundle shaped like real ones (hundreds of rules
// behind summary rules, inputs in nested directories, opa-test tests with
// `with`) run by `hooker test`.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli-run.js';

let dir: string;

function put(rel: string, text: string): string {
  const p = join(dir, rel);
  mkdirSync(dirname(p), { recursive: true });
  writeFileSync(p, text);
  return p;
}

async function evalJson(...argv: string[]): Promise<unknown> {
  const r = await runCli('eval', ...argv);
  expect(r.err).toBe('');
  expect(r.code).toBe(0);
  return (JSON.parse(r.out) as { result?: Array<{ expressions: Array<{ value: unknown }> }> }).result?.[0]?.expressions[0]?.value;
}

beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'hooker-load-')); });
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('plain paths (opa eval -d / opa test)', () => {
  it('places each document at its directory path relative to the path given, whatever the file name', async () => {
    put('p1/validation/tests/data/inputs/minimum_01/minimum_01.json', '{"kind": "Deployment"}');
    put('p1/validation/tests/data/inputs/minimum_01/extra.yaml', 'replicas: 2\n');
    put('p1/validation/data.json', '{"limits": {"cpu": 4}}');
    put('p1/validation/lib/data.yml', 'names: [a, b]\n');
    const root = join(dir, 'p1/validation');
    expect(await evalJson('-d', root, 'data.tests.data.inputs.minimum_01')).toEqual({ kind: 'Deployment', replicas: 2 });
    expect(await evalJson('-d', root, 'data.limits.cpu')).toBe(4);
    expect(await evalJson('-d', root, 'data.lib.names')).toEqual(['a', 'b']);
    // The root's own name is not part of the path; its parent as root adds it.
    expect(await evalJson('-d', join(dir, 'p1'), 'data.validation.tests.data.inputs.minimum_01.kind')).toBe('Deployment');
  });

  it('roots a path under data.x.y with the x.y:path prefix', async () => {
    put('p2/a/doc.json', '{"v": 1}');
    expect(await evalJson('-d', `x.y:${join(dir, 'p2')}`, 'data.x.y.a.v')).toBe(1);
  });

  it('reports two files setting the same value with both names', async () => {
    const a = put('p3/cfg/a.json', '{"mode": "strict", "n": {"k": 1}}');
    const b = put('p3/cfg/b.json', '{"n": {"k": 2}}');
    const r = await runCli('eval', '-d', join(dir, 'p3'), 'data.cfg');
    expect(r.code).toBe(1);
    expect(r.err).toContain(`${b}: merge error: data.cfg.n.k is also set by ${a}`);
  });

  it('reports a document that is not an object at the data root', async () => {
    const f = put('p4/list.json', '[1, 2]');
    const r = await runCli('eval', '-d', join(dir, 'p4'), 'data');
    expect(r.code).toBe(1);
    expect(r.err).toContain(`${f}: document must be of type object`);
  });

  it('--ignore skips matching file and directory names below the path', async () => {
    put('p5/keep/x.json', '{"a": 1}');
    put('p5/skip_me/x.json', '{"b": 1}');
    put('p5/keep/x_test.rego', 'package t\nbroken if {');
    expect(await evalJson('--ignore', 'skip_*', '--ignore', '*_test.rego', '-d', join(dir, 'p5'), 'data')).toEqual({ keep: { a: 1 } });
  });

  it('skips files of unknown type inside directories; a bad JSON file names itself', async () => {
    put('p6/notes.txt', 'not data');
    put('p6/ok/v.json', '{"ok": true}');
    expect(await evalJson('-d', join(dir, 'p6'), 'data.ok.ok')).toBe(true);
    const bad = put('p6/bad/v.json', '{"ok": ');
    const r = await runCli('eval', '-d', join(dir, 'p6'), 'data.ok');
    expect(r.code).toBe(1);
    expect(r.err).toContain(bad);
  });
});

describe('bundles (-b)', () => {
  it('loads only data.json/data.yaml at their directory and checks the manifest roots', async () => {
    put('b1/.manifest', JSON.stringify({ roots: ['app'] }));
    put('b1/app/settings/data.json', '{"limit": 5}');
    put('b1/app/settings/notdata.json', '{"ignored": true}');
    put('b1/app/policy.rego', 'package app.policy\nlimit := data.app.settings.limit\n');
    expect(await evalJson('-b', join(dir, 'b1'), 'data.app')).toEqual({ settings: { limit: 5 }, policy: { limit: 5 } });

    const stray = put('b1/app/stray.rego', 'package other\nx := 1\n');
    let r = await runCli('eval', '-b', join(dir, 'b1'), 'data.app');
    expect(r.code).toBe(1);
    expect(r.err).toContain(`manifest roots [app] do not permit 'package other' in module '${stray}'`);
    rmSync(stray);

    put('b1/elsewhere/data.json', '{"x": 1}');
    r = await runCli('test', '-b', join(dir, 'b1'));
    expect(r.code).toBe(1);
    expect(r.err).toContain("manifest roots [app] do not permit data at path '/elsewhere'");
    rmSync(join(dir, 'b1/elsewhere'), { recursive: true });
  });

  it('rejects two bundles with overlapping roots, naming both', async () => {
    put('b2/.manifest', JSON.stringify({ roots: ['app/policy'] }));
    put('b2/app/policy/p.rego', 'package app.policy\ny := 2\n');
    const r = await runCli('eval', '-b', join(dir, 'b1'), '-b', join(dir, 'b2'), 'data');
    expect(r.code).toBe(1);
    expect(r.err).toContain(`detected overlapping roots in bundle manifest with: [${join(dir, 'b1')} ${join(dir, 'b2')}]`);
  });

  it('parses modules as the manifest rego_version says', async () => {
    put('b3/.manifest', JSON.stringify({ roots: ['old'], rego_version: 0 }));
    put('b3/old/p.rego', 'package old\nallow { input.x == 1 }\n');
    expect(await evalJson('-b', join(dir, 'b3'), '-i', put('b3-input.json', '{"x": 1}'), 'data.old.allow')).toBe(true);
  });

  it('hooker build -b checks the same rules before writing the module', async () => {
    const out = join(dir, 'b1.wasm');
    const r = await runCli('build', '-b', '-e', 'app/policy/limit', join(dir, 'b1'), '-o', out);
    expect(r.code).toBe(0);
    put('b1/nowhere/data.yaml', 'x: 1\n');
    const bad = await runCli('build', '-b', '-e', 'app/policy/limit', join(dir, 'b1'), '-o', out);
    expect(bad.code).toBe(1);
    expect(bad.err).toContain("do not permit data at path '/nowhere'");
    rmSync(join(dir, 'b1/nowhere'), { recursive: true });
  });
});

// ------------------------------------------------------------ a real-world-shaped bundle

const FIELDS = ['cpu', 'memory', 'replicas', 'port'] as const;
type Container = Record<(typeof FIELDS)[number], number> & { name: string; ports: number[]; privileged: boolean };

/** What rule k reports for one container, computed here independently of Rego. */
function ruleFires(k: number, c: Container): boolean {
  const field = FIELDS[k % FIELDS.length]!;
  const threshold = k % 50;
  if (k % 11 === 0) return c.ports.some((p) => p < threshold);
  if (k % 7 === 0) return c[field] > threshold && !c.privileged;
  return c[field] > threshold;
}

function ruleRego(k: number): string {
  const field = FIELDS[k % FIELDS.length]!;
  const threshold = k % 50;
  const id = `R${String(k).padStart(3, '0')}`;
  const head = `violations contains {"id": "${id}", "severity": helpers.severity(${k}), "msg": sprintf("%s: ${field} above ${threshold}", [c.name])} if {\n  some c in input.containers\n`;
  if (k % 11 === 0) return `${head}  low := [p | some p in c.ports; p < ${threshold}]\n  count(low) > 0\n}\n`;
  if (k % 7 === 0) return `${head}  helpers.over(c.${field}, ${threshold})\n  not helpers.privileged(c)\n}\n`;
  return `${head}  c.${field} > ${threshold}\n}\n`;
}

function severity(k: number): string {
  return ['LOW', 'MEDIUM', 'HIGH'][k % 3]!;
}

function seeded(seed: number): () => number {
  let s = seed;
  return () => { s = (s * 1103515245 + 12345) % 2147483648; return s / 2147483648; };
}

describe('a validation bundle shaped like real ones, through hooker test', () => {
  const RULES = 300;
  const CASES = 12;

  it(`runs ${CASES} opa-test-style tests over ${RULES} rules with OPA's data placement`, async () => {
    const root = join(dir, 'validation');
    put('validation/lib/helpers.rego', `package lib.helpers

over(x, limit) if x > limit

privileged(c) if c.privileged == true

severity(k) := s if {
  names := ["LOW", "MEDIUM", "HIGH"]
  s := names[k % 3]
}
`);
    for (let f = 0; f < RULES / 30; f++) {
      const rules = Array.from({ length: 30 }, (_, i) => ruleRego(f * 30 + i)).join('\n');
      put(`validation/policies/rules_${f}.rego`, `package validation.rules\n\nimport data.lib.helpers\n\n${rules}`);
    }
    put('validation/policies/summary.rego', `package validation.summary

import data.validation.rules

by_severity := {s: n | some s in {"LOW", "MEDIUM", "HIGH"}; n := count([v | some v in rules.violations; v.severity == s])}

report := {"count": count(rules.violations), "by_severity": by_severity, "passed": count(rules.violations) == 0}

ids := {v.id | some v in rules.violations}
`);
    const rand = seeded(7);
    const tests: string[] = [];
    for (let n = 0; n < CASES; n++) {
      const name = `case_${String(n).padStart(2, '0')}`;
      const containers: Container[] = Array.from({ length: 1 + (n % 3) }, (_, i) => ({
        name: `c${i}`,
        cpu: Math.floor(rand() * 60), memory: Math.floor(rand() * 60), replicas: Math.floor(rand() * 60), port: Math.floor(rand() * 60),
        ports: [Math.floor(rand() * 60), 80],
        privileged: rand() < 0.3,
      }));
      put(`validation/tests/data/inputs/${name}/${name}.json`, JSON.stringify({ containers }));
      const fired = Array.from({ length: RULES }, (_, k) => k).flatMap((k) => containers.filter((c) => ruleFires(k, c)).map(() => k));
      const bySeverity = { LOW: 0, MEDIUM: 0, HIGH: 0 } as Record<string, number>;
      for (const k of fired) bySeverity[severity(k)]!++;
      put(`validation/tests/data/expected/${name}/expected.yaml`, `count: ${fired.length}\nby_severity:\n  LOW: ${bySeverity['LOW']}\n  MEDIUM: ${bySeverity['MEDIUM']}\n  HIGH: ${bySeverity['HIGH']}\n`);
      tests.push(`test_${name} if {
  r := data.validation.summary.report with input as data.tests.data.inputs.${name}
  r.count == data.tests.data.expected.${name}.count
  r.by_severity == data.tests.data.expected.${name}.by_severity
}`);
    }
    put('validation/tests/summary_test.rego', `package tests\n\n${tests.join('\n\n')}\n\ntest_clean_input_passes if {\n  data.validation.summary.report.passed with input as {"containers": []}\n}\n`);

    const r = await runCli('test', root);
    expect(r.err).toBe('');
    for (let n = 0; n < CASES; n++) expect(r.out).toMatch(new RegExp(`data\\.tests\\.test_case_${String(n).padStart(2, '0')}: PASS`));
    expect(r.out).toContain(`PASS: ${CASES + 1}/${CASES + 1}`);
    expect(r.code).toBe(0);

    // A wrong expectation fails, and -r selects tests by name.
    put('validation/tests/data/expected/case_00/expected.yaml', 'count: -1\nby_severity: {}\n');
    const failing = await runCli('test', '-r', 'case_0[01]$', root);
    expect(failing.out).toMatch(/data\.tests\.test_case_00: FAIL/);
    expect(failing.out).toMatch(/data\.tests\.test_case_01: PASS/);
    expect(failing.out).toContain('FAIL: 1/2');
    expect(failing.code).toBe(1);
  });
});
