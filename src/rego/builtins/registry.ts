// The one table of every builtin the compiler knows: declarations (for
// arity and type checks at compile time) and, for those implemented in
// TypeScript, their implementation. Builtins implemented natively in the
// wasm runtime are declared here too (without `impl`); the emitter looks up
// src/rego/wasm/runtime-abi.ts to know which those are.
//
// Modules under src/rego/builtins/ call `declare(...)` at import time;
// src/rego/builtins/index.ts imports all of them.

import type { BuiltinDecl } from './types.js';

const table = new Map<string, BuiltinDecl>();

export function declare(...decls: BuiltinDecl[]): void {
  for (const d of decls) {
    const prev = table.get(d.name);
    // A native declaration (no impl) may be completed by a TS impl, never the reverse twice.
    if (prev && prev.impl && d.impl) throw new Error(`builtin ${d.name} declared twice`);
    table.set(d.name, prev ? { ...prev, ...d, impl: d.impl ?? prev.impl } : d);
  }
}

export function lookupBuiltin(name: string): BuiltinDecl | undefined {
  return table.get(name);
}

export function allBuiltins(): BuiltinDecl[] {
  return [...table.values()];
}
