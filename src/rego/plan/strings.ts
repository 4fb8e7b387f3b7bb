// The policy's static tables: interned strings and the builtins it calls.

import '../builtins/catalog.js';
import { lookupBuiltin } from '../builtins/registry.js';
import type { BuiltinDecl, StringIndex } from './ir.js';

export class StringTable {
  private readonly index = new Map<string, number>();
  readonly strings: string[] = [];

  intern(s: string): number {
    let i = this.index.get(s);
    if (i === undefined) {
      i = this.strings.length;
      this.strings.push(s);
      this.index.set(s, i);
    }
    return i;
  }

  operand(s: string): StringIndex {
    return { type: 'string_index', index: this.intern(s) };
  }
}

export class BuiltinTable {
  private readonly byName = new Map<string, BuiltinDecl>();

  /** Declares `name` as called with `arity` arguments; the first call site fixes the arity. */
  use(name: string, arity: number): void {
    if (this.byName.has(name)) return;
    const decl: BuiltinDecl = { name, arity };
    if (lookupBuiltin(name)?.result.type === 'set') decl.returnsSet = true;
    this.byName.set(name, decl);
  }

  get decls(): BuiltinDecl[] {
    return [...this.byName.values()];
  }
}

/** Declared number of arguments of a builtin (undefined when unknown or variadic). */
export function builtinArity(name: string): number | undefined {
  const decl = lookupBuiltin(name);
  if (!decl || decl.variadic) return undefined;
  return decl.args.length;
}
