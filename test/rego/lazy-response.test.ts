// loadPolicy does not read Node's lazily defined global Response (reading it
// loads Node's fetch implementation, which the server's start does not need).
import { afterEach, describe, expect, it } from 'vitest';
import { compile, loadPolicy } from '../../src/rego/index.js';

const original = Object.getOwnPropertyDescriptor(globalThis, 'Response');
afterEach(() => {
  if (original) Object.defineProperty(globalThis, 'Response', original);
});

describe('loadPolicy and the global Response', () => {
  it('loads and evaluates without reading a lazy Response, and puts the global back as it was', async () => {
    const { wasm } = compile({ modules: [{ file: 'p.rego', source: 'package t\n\nok if input.a == 1\n' }], entrypoints: ['t/ok'] });
    let reads = 0;
    const real = globalThis.Response;
    const get = () => { reads++; return real; };
    const set = () => {};
    // As Node defines it: a configurable accessor that loads fetch on first read.
    Object.defineProperty(globalThis, 'Response', { get, set, enumerable: false, configurable: true });
    const policy = await loadPolicy(wasm);
    expect(policy.evaluate({ a: 1 }, 't/ok')).toEqual([{ result: true }]);
    expect(reads).toBe(0);
    const after = Object.getOwnPropertyDescriptor(globalThis, 'Response');
    expect(after?.get).toBe(get);
    expect(after?.set).toBe(set);
    expect(after?.enumerable).toBe(false);
  });

  it('leaves a Response that is already a plain value alone', async () => {
    const { wasm } = compile({ modules: [{ file: 'p.rego', source: 'package t\n\nok if input.a == 1\n' }], entrypoints: ['t/ok'] });
    class Mine {}
    Object.defineProperty(globalThis, 'Response', { value: Mine, configurable: true, writable: true });
    const policy = await loadPolicy(wasm);
    expect(policy.evaluate({ a: 1 }, 't/ok')).toEqual([{ result: true }]);
    expect(globalThis.Response).toBe(Mine);
  });
});
