// The public API (src/rego/index.ts) as the server uses it.
import { describe, expect, it } from 'vitest';
import { compile, loadPolicy, RegoCompileError, RegoEvalError } from '../../src/rego/index.js';

const mod = (source: string) => ({ file: 'policy.rego', source });

describe('compile + loadPolicy', () => {
  it('evaluates several entrypoints of one module and keeps falsy inputs', async () => {
    const { wasm, entrypoints } = compile({
      modules: [mod('package t\n\nis_zero if input == 0\nis_false if input == false\nkind := type_name(input)\n')],
      entrypoints: ['t/is_zero', 't/is_false', 't.kind'],
    });
    expect(Object.keys(entrypoints).sort()).toEqual(['t/is_false', 't/is_zero', 't/kind']);
    const p = await loadPolicy(wasm);
    expect(p.evaluate(0, 't/is_zero')).toEqual([{ result: true }]);
    expect(p.evaluate(false, 't/is_false')).toEqual([{ result: true }]);
    expect(p.evaluate('', 't/kind')).toEqual([{ result: 'string' }]);
    expect(p.evaluate(null, 't/kind')).toEqual([{ result: 'null' }]);
  });

  it('uses data set with setData', async () => {
    const { wasm } = compile({ modules: [mod('package t\n\nallowed if input.user in data.admins\n')], entrypoints: ['t/allowed'] });
    const p = await loadPolicy(wasm);
    p.setData({ admins: ['ann'] });
    expect(p.evaluate({ user: 'ann' }, 't/allowed')).toEqual([{ result: true }]);
    expect(p.evaluate({ user: 'bob' }, 't/allowed')).toEqual([]);
  });

  it('builtin errors are undefined by default and name the call site when strict', async () => {
    const { wasm } = compile({ modules: [mod('package t\n\nq := x if {\n  x := input.a / input.b\n}\n')], entrypoints: ['t/q'] });
    const lax = await loadPolicy(wasm);
    expect(lax.evaluate({ a: 1, b: 0 }, 't/q')).toEqual([]);
    const strict = await loadPolicy(wasm, { strictBuiltinErrors: true });
    let err: unknown;
    try { strict.evaluate({ a: 1, b: 0 }, 't/q'); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(RegoEvalError);
    expect((err as RegoEvalError).code).toBe('eval_builtin_error');
    expect((err as RegoEvalError).message).toBe('policy.rego:4: eval_builtin_error: div: divide by zero');
    // the next evaluation is clean
    expect(strict.evaluate({ a: 4, b: 2 }, 't/q')).toEqual([{ result: 2 }]);
  });

  it('throws one RegoCompileError listing every problem with file:row:col', () => {
    let err: unknown;
    try {
      compile({ modules: [{ file: 'a.rego', source: 'package a\np if {\n' }, { file: 'b.rego', source: 'package b\nq if x\n' }], entrypoints: [] });
    } catch (e) { err = e; }
    expect(err).toBeInstanceOf(RegoCompileError);
    expect((err as RegoCompileError).problems.map((p) => `${p.loc?.file}:${p.loc?.row}:${p.code}`)).toEqual(['a.rego:3:rego_parse_error']);
  });
});

describe('numbers beyond 2^53 across the builtin boundary', () => {
  it('reach builtins that want them exact (sprintf, time.format) with every digit', async () => {
    const { wasm } = compile({
      modules: [mod('package t\n\ns := sprintf("%d", [123456789123456789123])\nf := time.format(1670006453141828752)\n')],
      entrypoints: ['t/s', 't/f'],
    });
    const p = await loadPolicy(wasm);
    expect(p.evaluate({}, 't/s')).toEqual([{ result: '123456789123456789123' }]);
    expect(p.evaluate({}, 't/f')).toEqual([{ result: '2022-12-02T18:40:53.141828752Z' }]);
  });
});
