// Calling builtins directly in tests, with values written as Rego values.

import '../../../src/rego/builtins/index.js';
import { lookupBuiltin } from '../../../src/rego/builtins/registry.js';
import { BuiltinError, RegoSet, type BuiltinContext, type RegoValue } from '../../../src/rego/builtins/types.js';
import { checkArgs } from '../../../src/rego/builtins/operands.js';
import { makeSet } from '../../../src/rego/builtins/value.js';

export const set = (...xs: RegoValue[]): RegoSet => makeSet(xs);

export function ctx(nowNs = 1_700_000_000_000_000_000n): BuiltinContext {
  return { nowNs, cache: new Map() };
}

/** Calls builtin `name` as the host would (arguments type-checked against the declaration). */
export function call(name: string, ...args: RegoValue[]): RegoValue | undefined {
  const decl = lookupBuiltin(name);
  if (!decl?.impl) throw new Error(`no implementation for ${name}`);
  checkArgs(decl.args, args, decl.variadic);
  return decl.impl(args, ctx());
}

/** The error message a call fails with ("" when it does not fail). */
export function errorOf(name: string, ...args: RegoValue[]): string {
  try {
    call(name, ...args);
    return '';
  } catch (e) {
    if (e instanceof BuiltinError) return `${name}: ${e.message}`;
    throw e;
  }
}
