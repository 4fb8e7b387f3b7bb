// Loads build/runtime.wasm on its own, with the imports the SDK provides
// and a stand-in for the emitter's `hooker.eval_plan`.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const RUNTIME_PATH = join(import.meta.dirname, '../../../build/runtime.wasm');

export type EvalPlan = (rt: Runtime, entrypoint: number, input: number, data: number, resultSet: number) => void;

type Fn = (...args: never[]) => unknown;
export type Exports = Record<string, Fn> & {
  hooker_heap_start: WebAssembly.Global;
  opa_wasm_abi_version: WebAssembly.Global;
  opa_wasm_abi_minor_version: WebAssembly.Global;
};

export class Runtime {
  constructor(readonly memory: WebAssembly.Memory, readonly exports: Exports) {}

  call(name: string, ...args: Array<number | bigint>): number {
    const f = this.exports[name] as unknown as ((...a: Array<number | bigint>) => number) | undefined;
    if (typeof f !== 'function') throw new Error(`runtime does not export ${name}`);
    return f(...args);
  }

  /** Copies bytes into the heap; returns [ptr, len]. */
  bytes(data: Uint8Array): [number, number] {
    const ptr = this.call('opa_malloc', data.length);
    new Uint8Array(this.memory.buffer).set(data, ptr);
    return [ptr, data.length];
  }

  text(s: string): [number, number] {
    return this.bytes(new TextEncoder().encode(s));
  }

  /** Parses JSON text (a string) in the runtime; 0 when invalid. */
  parse(json: string): number {
    const [p, n] = this.text(json);
    return this.call('opa_json_parse', p, n);
  }

  /** Value from a JS value (through JSON). */
  value(v: unknown): number {
    const p = this.parse(JSON.stringify(v));
    if (p === 0) throw new Error('parse failed');
    return p;
  }

  cstring(addr: number): string {
    const buf = new Uint8Array(this.memory.buffer);
    let end = addr;
    while (buf[end] !== 0) end++;
    return new TextDecoder().decode(buf.subarray(addr, end));
  }

  dump(v: number): string {
    return this.cstring(this.call('opa_json_dump', v));
  }

  dumpRego(v: number): string {
    return this.cstring(this.call('opa_value_dump', v));
  }

  /** JS value of a runtime value (through JSON). */
  js(v: number): unknown {
    return JSON.parse(this.dump(v));
  }

  /** Value from a JS value where Set instances become Rego sets (parsed in tagged mode). */
  rego(v: unknown): number {
    const text = JSON.stringify(v, (_k, x: unknown) => (x instanceof Set ? { '\u0000set': [...x] } : x));
    this.call('hooker_builtin_enter');
    try {
      const p = this.parse(text);
      if (p === 0) throw new Error(`parse failed: ${text}`);
      return p;
    } finally {
      this.call('hooker_builtin_exit');
    }
  }

  /** Rego text of a value, or "undefined" for 0. */
  show(v: number): string {
    return v === 0 ? 'undefined' : this.dumpRego(v);
  }

  str(s: string): number {
    const [p, n] = this.text(s);
    return this.call('hooker_string', p, n);
  }

  num(text: string): number {
    const [p, n] = this.text(text);
    return this.call('hooker_number_ref', p, n);
  }

  int(n: number | bigint): number {
    return this.call('hooker_int', BigInt(n));
  }
}

export interface LoadOptions {
  evalPlan?: EvalPlan;
  memory?: WebAssembly.Memory;
}

const moduleCache: { mod?: WebAssembly.Module } = {};

export function runtimeModule(): WebAssembly.Module {
  moduleCache.mod ??= new WebAssembly.Module(readFileSync(RUNTIME_PATH));
  return moduleCache.mod;
}

export function loadRuntime(opts: LoadOptions = {}): Runtime {
  const memory = opts.memory ?? new WebAssembly.Memory({ initial: 5 });
  let rt: Runtime | undefined;
  const cstr = (addr: number): string => rt!.cstring(addr);
  const unused = (): never => { throw new Error('host builtin called'); };
  const instance = new WebAssembly.Instance(runtimeModule(), {
    env: {
      memory,
      opa_abort: (addr: number) => { throw new Error(cstr(addr)); },
      opa_println: (addr: number) => { console.log(cstr(addr)); },
      opa_builtin0: unused, opa_builtin1: unused, opa_builtin2: unused, opa_builtin3: unused, opa_builtin4: unused,
    },
    hooker: {
      eval_plan: (ep: number, input: number, data: number, rs: number) => {
        if (opts.evalPlan) opts.evalPlan(rt!, ep, input, data, rs);
      },
    },
  });
  rt = new Runtime(memory, instance.exports as unknown as Exports);
  return rt;
}
