// `hooker build`, `hooker eval` and `hooker test` as a user runs them: the
// real CLI entry (src/cli/main.ts) on files in a temp dir, output captured.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPolicy as loadSdkPolicy } from '@open-policy-agent/opa-wasm';
import { runCli } from '../support/cli-run.js';
import { createHostBuiltins } from '../../src/rego/builtins/index.js';

let dir: string;

const run = runCli;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'hooker-cli-'));
  writeFileSync(join(dir, 'route.rego'), `package hooker

default allow := false

allow if input.SigMetadata.ID == "TRC-2"

severity := input.SigMetadata.Properties.Severity
`);
  writeFileSync(join(dir, 'route_test.rego'), `package hooker

test_trc2_allowed if allow with input as {"SigMetadata": {"ID": "TRC-2"}}
test_trc1_denied if not allow with input as {"SigMetadata": {"ID": "TRC-1"}}
`);
  writeFileSync(join(dir, 'input.json'), JSON.stringify({ SigMetadata: { ID: 'TRC-2', Properties: { Severity: 3 } } }));
  writeFileSync(join(dir, 'v0.rego'), 'package postee\n\nallow {\n  contains(input.image, "alpine")\n}\n');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('hooker eval', () => {
  it('prints opa eval -f json output with expression values and bindings', async () => {
    const r = await run('eval', '-d', join(dir, 'route.rego'), '-i', join(dir, 'input.json'), 'x := data.hooker.severity; data.hooker.allow');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.out);
    expect(out.result).toHaveLength(1);
    expect(out.result[0].bindings).toEqual({ x: 3 });
    expect(out.result[0].expressions.map((e: { value: unknown; text: string }) => [e.text, e.value])).toEqual([
      ['x := data.hooker.severity', true],
      ['data.hooker.allow', true],
    ]);
  });

  it('prints {} when the query is undefined', async () => {
    const r = await run('eval', '-d', join(dir, 'route.rego'), 'data.hooker.nothing');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toEqual({});
  });

  it('accepts Rego v0 with --v0', async () => {
    writeFileSync(join(dir, 'img.json'), JSON.stringify({ image: 'alpine:3.10' }));
    const r = await run('eval', '--v0', '-d', join(dir, 'v0.rego'), '-i', join(dir, 'img.json'), 'data.postee.allow');
    expect(JSON.parse(r.out).result[0].expressions[0].value).toBe(true);
  });
});

describe('hooker build', () => {
  it('writes a wasm module that the bare SDK loads with Hooker\'s builtins', async () => {
    const out = join(dir, 'policy.wasm');
    const r = await run('build', '-e', 'hooker/allow', join(dir, 'route.rego'), '-o', out);
    expect(r.code).toBe(0);
    const policy = await loadSdkPolicy(readFileSync(out), undefined, createHostBuiltins({ strict: false }).builtins);
    expect(policy.evaluate({ SigMetadata: { ID: 'TRC-2' } }, 'hooker/allow')).toEqual([{ result: true }]);
    expect(policy.evaluate({ SigMetadata: { ID: 'TRC-9' } }, 'hooker/allow')).toEqual([{ result: false }]);
  });

  it('--plan prints the planner IR', async () => {
    const r = await run('build', '--plan', '-e', 'hooker/allow', join(dir, 'route.rego'));
    expect(r.code).toBe(0);
    expect(r.out).toContain('plan hooker/allow');
    expect(r.out).toMatch(/func g0\.data\.hooker\.allow/);
  });

  it('names file, row and column for syntax errors, unsafe vars and conflicts', async () => {
    const bad = (name: string, src: string) => { writeFileSync(join(dir, name), src); return join(dir, name); };
    const syntax = await run('build', '-e', 'x/p', bad('syntax.rego', 'package x\np if {\n  input.a ==\n}\n'), '-o', join(dir, 'o.wasm'));
    expect(syntax.code).toBe(1);
    expect(syntax.err).toContain('syntax.rego:4:1: rego_parse_error: unexpected } token');
    const unsafe = await run('build', '-e', 'x/p', bad('unsafe.rego', 'package x\np if {\n  y == 1\n}\n'), '-o', join(dir, 'o.wasm'));
    expect(unsafe.err).toContain('unsafe.rego:3:3: rego_unsafe_var_error: var y is unsafe');
    const conflict = await run('build', '-e', 'x/p', bad('conflict.rego', 'package x\np[k] := 1 if k := "a"\np := 2\n'), '-o', join(dir, 'o.wasm'));
    expect(conflict.err).toContain('conflict.rego:2:1: rego_type_error: conflicting rules data.x.p found');
  });
});

describe('hooker test', () => {
  it('runs test_ rules, prints PASS per test and exits 0', async () => {
    rmSync(join(dir, 'failing_test.rego'), { force: true });
    const r = await run('test', join(dir, 'route.rego'), join(dir, 'route_test.rego'));
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/data\.hooker\.test_trc2_allowed: PASS/);
    expect(r.out).toMatch(/data\.hooker\.test_trc1_denied: PASS/);
    expect(r.out).toContain('PASS: 2/2');
  });

  it('exits 1 and prints FAIL when a test fails', async () => {
    writeFileSync(join(dir, 'failing_test.rego'), 'package hooker\n\ntest_wrong if allow with input as {}\n');
    const r = await run('test', join(dir, 'route.rego'), join(dir, 'failing_test.rego'));
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/data\.hooker\.test_wrong: FAIL/);
  });
});
