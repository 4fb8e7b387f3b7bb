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

// Builtins a deployment adds (OPA capabilities + a JS module, see
// custom.ts): a separate layer that is replaced as a whole, so a reload with
// another module drops the previous one. They never shadow a known builtin.
let custom = new Map<string, BuiltinDecl>();

/** Replaces the custom layer; names already in the table are skipped (returned). */
export function setCustomBuiltins(decls: BuiltinDecl[]): string[] {
  const skipped: string[] = [];
  custom = new Map();
  for (const d of decls) {
    if (table.has(d.name)) skipped.push(d.name);
    else custom.set(d.name, d);
  }
  return skipped;
}

export function customBuiltins(): BuiltinDecl[] {
  return [...custom.values()];
}

export function lookupBuiltin(name: string): BuiltinDecl | undefined {
  return table.get(name) ?? custom.get(name);
}

export function allBuiltins(): BuiltinDecl[] {
  return [...table.values(), ...custom.values()];
}
