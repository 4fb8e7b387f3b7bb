// Attaching implementations to the catalog's declarations, so each group
// module states only behaviour and the types live in one place.

import './catalog.js';
import { declare, lookupBuiltin } from './registry.js';
import type { BuiltinImpl } from './types.js';

export function implement(name: string, impl: BuiltinImpl): void {
  const decl = lookupBuiltin(name);
  if (!decl) throw new Error(`builtin ${name} is not declared in catalog.ts`);
  declare({ ...decl, impl });
}

/** Several at once: `implementAll({ abs: ..., ceil: ... })`. */
export function implementAll(impls: Record<string, BuiltinImpl>): void {
  for (const [name, impl] of Object.entries(impls)) implement(name, impl);
}

/** These builtins get integers beyond 2^53 as exact bigints (see BuiltinDecl.exactNumbers). */
export function wantExactNumbers(...names: string[]): void {
  for (const name of names) {
    const decl = lookupBuiltin(name);
    if (!decl) throw new Error(`builtin ${name} is not declared in catalog.ts`);
    decl.exactNumbers = true;
  }
}
