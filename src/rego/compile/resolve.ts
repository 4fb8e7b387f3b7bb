// Name resolution: what a non-local var or a call operator refers to.
// Rules of the package and import aliases become full `data`/`input`
// refs; call operators become a function's full ref or a builtin name.

import '../builtins/catalog.js';
import { lookupBuiltin } from '../builtins/registry.js';
import type { Location, RefTerm, Term } from '../syntax/ast.js';
import type { Problems } from './context.js';
import type { ImportAliases } from './imports.js';
import { dataPrefix, dottedName, ref, str, v } from './terms.js';
import type { RuleSet } from './types.js';

export interface Names {
  /** Package path; undefined when compiling a query. */
  pkg?: string[];
  /** Names of the package's rules (first segment of each head ref). */
  roots: Set<string>;
  aliases: ImportAliases;
}

/** A deep copy of a plain AST tree (objects, arrays, primitives), much cheaper than structuredClone per term. */
function cloneTree<T>(x: T): T {
  if (typeof x !== 'object' || x === null) return x;
  if (Array.isArray(x)) return x.map(cloneTree) as T;
  const out: Record<string, unknown> = {};
  for (const k in x) out[k] = cloneTree((x as Record<string, unknown>)[k]);
  return out as T;
}

export const QUERY_NAMES: Names = { roots: new Set(), aliases: new Map() };

function cloneAt(t: Term, loc: Location): Term {
  const c = cloneTree(t);
  c.loc = loc;
  return c;
}

/**
 * The full ref a global name stands for, or undefined when it is not global (a local var, `input`, `data`).
 * A v0 module's rule named `data` or `input` shadows that root in its package, as in OPA (its globals are
 * looked up first); v1 modules may not declare one (checkRootShadowing).
 */
export function globalRef(names: Names, name: string, loc: Location): Term[] | undefined {
  if (name === 'data' || name === 'input') return names.pkg && names.roots.has(name) ? [v('data', loc), ...names.pkg.map((s) => str(s, loc)), str(name, loc)] : undefined;
  const alias = names.aliases.get(name);
  if (alias) return alias.map((t) => cloneAt(t, loc));
  if (names.pkg && names.roots.has(name)) return [v('data', loc), ...names.pkg.map((s) => str(s, loc)), str(name, loc)];
  return undefined;
}

/** Resolves a ref's head: `q.x` -> data.pkg.q.x, `alias.y` -> data.a.b.y. */
export function resolveRefHead(names: Names, r: RefTerm): RefTerm {
  const head = r.terms[0];
  if (head?.type !== 'var') return r;
  const g = globalRef(names, head.name, head.loc);
  return g ? ref([...g, ...r.terms.slice(1)], r.loc) : r;
}

export type CallTarget =
  | { kind: 'function'; operator: RefTerm; ruleSet: RuleSet; name: string; arity: number }
  | { kind: 'builtin'; operator: RefTerm; name: string; arity: number; variadic: boolean };

export interface FunctionTable {
  ruleSets: Map<string, RuleSet>;
}

/** Finds what a call operator names; undefined when nothing does. */
export function lookupCall(names: Names, table: FunctionTable, operator: RefTerm): CallTarget | undefined {
  const resolved = resolveRefHead(names, operator);
  const path = dataPrefix(resolved);
  if (path && path.length === resolved.terms.length - 1) {
    const set = table.ruleSets.get(path.join('.'));
    if (set?.kind === 'function') {
      return { kind: 'function', operator: resolved, ruleSet: set, name: ['data', ...path].join('.'), arity: set.arity ?? 0 };
    }
  }
  const name = dottedName(operator);
  if (name !== undefined) {
    const decl = lookupBuiltin(name);
    if (decl) return { kind: 'builtin', operator, name, arity: decl.args.length, variadic: decl.variadic !== undefined };
  }
  return undefined;
}

function operatorText(r: RefTerm): string {
  return dottedName(r) ?? r.terms.map((t) => (t.type === 'var' ? t.name : t.type === 'string' ? t.value : '?')).join('.');
}

/**
 * Resolves a call with `argCount` operands and checks its arity the way
 * OPA's type checker does. A call expression may pass one extra operand
 * (the output); a call nested in a term may not (`withOutput` false).
 */
export function resolveCall(
  names: Names,
  table: FunctionTable,
  operator: RefTerm,
  argCount: number,
  withOutput: boolean,
  loc: Location,
  problems: Problems,
): CallTarget | undefined {
  const target = lookupCall(names, table, operator);
  if (!target) {
    const shown = operatorText(resolveRefHead(names, operator));
    problems.add('rego_type_error', `undefined function ${shown}`, loc);
    return undefined;
  }
  const variadic = target.kind === 'builtin' && target.variadic;
  if (!variadic && argCount > target.arity + (withOutput ? 1 : 0)) problems.add('rego_type_error', `${target.name}: too many arguments`, loc);
  else if (argCount < target.arity) problems.add('rego_type_error', `${target.name}: too few arguments`, loc);
  return target;
}
