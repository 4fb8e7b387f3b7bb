import { describe, expect, it } from 'vitest';
import binaryen from 'binaryen';
import { loadPolicy } from '@open-policy-agent/opa-wasm';
import { readFileSync } from 'node:fs';
import { loadRuntime, runtimeModule, RUNTIME_PATH } from './harness.js';
import { OPA_ABI_EXPORTS } from '../../../src/rego/wasm/runtime-abi.js';

describe('module shape', () => {
  it('imports only what the SDK provides plus hooker.eval_plan', () => {
    const allowed = new Set(['env.memory', 'env.opa_abort', 'env.opa_println', 'env.opa_builtin0', 'env.opa_builtin1',
      'env.opa_builtin2', 'env.opa_builtin3', 'env.opa_builtin4', 'hooker.eval_plan']);
    const imports = WebAssembly.Module.imports(runtimeModule()).map((i) => `${i.module}.${i.name}`);
    expect(imports).toContain('hooker.eval_plan');
    for (const i of imports) expect(allowed.has(i), i).toBe(true);
  });

  it('exports the OPA ABI and its version globals', () => {
    const names = new Set(WebAssembly.Module.exports(runtimeModule()).map((e) => e.name));
    for (const n of OPA_ABI_EXPORTS) expect(names.has(n), n).toBe(true);
    const rt = loadRuntime();
    expect(rt.exports.opa_wasm_abi_version.value).toBe(1);
    expect(rt.exports.opa_wasm_abi_minor_version.value).toBe(3);
  });

  it('declares a small memory and a constant heap start after its data', () => {
    const m = binaryen.readBinary(readFileSync(RUNTIME_PATH));
    try {
      expect(m.getMemoryInfo().initial).toBeLessThanOrEqual(2);
      const rt = loadRuntime();
      const start = rt.exports.hooker_heap_start.value as number;
      expect(start % 8).toBe(0);
      expect(start).toBeGreaterThan(0);
      expect(rt.call('opa_heap_ptr_get')).toBe(start);
      expect(rt.call('opa_malloc', 1)).toBe(start);
    } finally {
      m.dispose();
    }
  });
});

describe('heap', () => {
  it('allocates 8-byte aligned blocks and resets with opa_heap_ptr_set', () => {
    const rt = loadRuntime();
    const a = rt.call('opa_malloc', 3);
    const b = rt.call('opa_malloc', 5);
    expect(b % 8).toBe(0);
    expect(b).toBeGreaterThanOrEqual(a + 3);
    const mark = rt.call('opa_heap_ptr_get');
    rt.parse('{"a":[1,2,3]}');
    expect(rt.call('opa_heap_ptr_get')).toBeGreaterThan(mark);
    rt.call('opa_heap_ptr_set', mark);
    expect(rt.call('opa_malloc', 8)).toBe((mark + 7) & ~7);
    rt.call('opa_free', b);
  });

  it('grows memory past the initial pages for multi-megabyte input', () => {
    const rt = loadRuntime();
    const before = rt.memory.buffer.byteLength;
    const events = Array.from({ length: 20000 }, (_, i) => ({ id: i, name: `event-${i}`, tags: ['a', 'b'], score: i / 7, nested: { k: 'v'.repeat(50) } }));
    const text = JSON.stringify(events);
    expect(text.length).toBeGreaterThan(2_000_000);
    const v = rt.parse(text);
    expect(v).not.toBe(0);
    expect(rt.memory.buffer.byteLength).toBeGreaterThan(before);
    expect(rt.call('hooker_coll_size', v)).toBe(20000);
    expect(JSON.parse(rt.dump(v))).toEqual(events);
  });

  it('copes with the host growing memory behind its back', () => {
    const rt = loadRuntime();
    rt.memory.grow(3);
    const big = rt.call('opa_malloc', 10 * 65536);
    expect(rt.memory.buffer.byteLength).toBeGreaterThanOrEqual(big + 10 * 65536);
  });
});

describe('evaluation entry points', () => {
  const echo = { evalPlan: (r: ReturnType<typeof loadRuntime>, ep: number, input: number, data: number, rs: number) => {
    const o = r.call('hooker_object');
    r.call('hooker_object_insert', o, r.str('ep'), r.int(ep));
    if (input) r.call('hooker_object_insert', o, r.str('input'), input);
    if (data) r.call('hooker_object_insert', o, r.str('data'), data);
    r.call('hooker_set_add', rs, o);
  } };

  it('eval with a context', () => {
    const rt = loadRuntime(echo);
    const ctx = rt.call('opa_eval_ctx_new');
    rt.call('opa_eval_ctx_set_input', ctx, rt.value({ x: 1 }));
    rt.call('opa_eval_ctx_set_data', ctx, rt.value({ d: true }));
    rt.call('opa_eval_ctx_set_entrypoint', ctx, 2);
    expect(rt.call('eval', ctx)).toBe(0);
    expect(rt.js(rt.call('opa_eval_ctx_get_result', ctx))).toEqual([{ ep: 2, input: { x: 1 }, data: { d: true } }]);
  });

  it('opa_eval parses input at input_ptr and starts the heap at heap_ptr', () => {
    const rt = loadRuntime(echo);
    const data = rt.value({ d: 1 });
    const input = new TextEncoder().encode('{"z":"\\u00e9"}');
    const inputAddr = rt.call('opa_heap_ptr_get');
    new Uint8Array(rt.memory.buffer).set(input, inputAddr);
    const heap = inputAddr + input.length;
    const out = rt.call('opa_eval', 0, 1, data, inputAddr, input.length, heap, 0);
    expect(out).toBeGreaterThanOrEqual(heap);
    expect(JSON.parse(rt.cstring(out))).toEqual([{ ep: 1, input: { z: 'é' }, data: { d: 1 } }]);
    const noInput = rt.call('opa_eval', 0, 0, data, 0, 0, heap, 0);
    expect(JSON.parse(rt.cstring(noInput))).toEqual([{ ep: 0, data: { d: 1 } }]);
    expect(() => rt.call('opa_eval', 0, 0, data, inputAddr, 3, heap, 0)).toThrow(/not valid JSON/);
  });
});

describe('errors', () => {
  it('aborts with the message under strict mode and is undefined otherwise', () => {
    const rt = loadRuntime();
    expect(rt.call('native_div', rt.int(1), rt.int(0))).toBe(0);
    rt.call('hooker_set_strict', 1);
    expect(() => rt.call('native_div', rt.int(1), rt.int(0))).toThrow('eval_builtin_error: div: divide by zero');
    rt.call('hooker_set_strict', 0);
    expect(rt.call('native_plus', rt.str('a'), rt.int(0))).toBe(0);
  });
});

/** Links the runtime like the emitter does, minimally: eval_plan adds the input to the result set. */
function linkEcho(): Uint8Array {
  const m = binaryen.readBinary(readFileSync(RUNTIME_PATH));
  m.setFeatures(binaryen.Features.MVP | binaryen.Features.MutableGlobals | binaryen.Features.SignExt
    | binaryen.Features.BulkMemory | binaryen.Features.BulkMemoryOpt | binaryen.Features.NontrappingFPToInt | binaryen.Features.SIMD128);
  const fnByExport = new Map<string, string>();
  for (let i = 0; i < m.getNumExports(); i++) {
    const e = binaryen.getExportInfo(m.getExportByIndex(i));
    if (e.kind === binaryen.ExternalFunction) fnByExport.set(e.name, e.value);
  }
  let evalPlan = '';
  for (let i = 0; i < m.getNumFunctions(); i++) {
    const f = binaryen.getFunctionInfo(m.getFunctionByIndex(i));
    if (f.module === 'hooker' && f.base === 'eval_plan') evalPlan = f.name;
  }
  const i32 = binaryen.i32;
  const params = binaryen.createType([i32, i32, i32, i32]);
  m.removeFunction(evalPlan);
  m.addFunction(evalPlan, params, binaryen.none, [], m.if(
    m.local.get(1, i32),
    m.call(fnByExport.get('hooker_set_add')!, [m.local.get(3, i32), m.local.get(1, i32)], binaryen.none),
    m.call(fnByExport.get('hooker_set_add')!, [m.local.get(3, i32), m.call(fnByExport.get('hooker_null')!, [], i32)], binaryen.none),
  ));
  for (const name of ['builtins', 'entrypoints']) {
    m.addFunction(`abi:${name}`, binaryen.none, i32, [], m.call(fnByExport.get('hooker_object')!, [], i32));
    m.addFunctionExport(`abi:${name}`, name);
  }
  if (!m.validate()) throw new Error('linked module does not validate');
  const out = m.emitBinary();
  m.dispose();
  return out;
}

describe('@open-policy-agent/opa-wasm', () => {
  it('loads a module linked from the runtime and evaluates through the ABI 1.2 fast path', async () => {
    const policy = await loadPolicy(linkEcho());
    expect(policy.evaluate({ a: [1, 'x', { b: null }] })).toEqual([{ a: [1, 'x', { b: null }] }]);
    policy.setData({ big: 'data' });
    for (let i = 0; i < 50; i++) expect(policy.evaluate({ i })).toEqual([{ i }]);
    expect(policy.evaluate(undefined)).toEqual([null]);
    const large = { items: Array.from({ length: 30000 }, (_, i) => ({ i, s: `item ${i}` })) };
    expect(policy.evaluate(large)).toEqual([large]);
  });
});
