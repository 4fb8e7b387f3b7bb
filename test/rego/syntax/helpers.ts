// Shared helpers for the syntax tests: trees without locations, and short
// constructors for the expected shapes.

import type { Term } from '../../../src/rego/syntax/ast.js';

/** Deep copy without `loc` fields, so expectations can ignore positions. */
export function noLoc<T>(x: T): T {
  return JSON.parse(JSON.stringify(x, (k, v: unknown) => (k === 'loc' ? undefined : v))) as T;
}

export const v = (name: string) => ({ type: 'var', name }) as const;
export const s = (value: string) => ({ type: 'string', value }) as const;
export const n = (value: string) => ({ type: 'number', value }) as const;
export const b = (value: boolean) => ({ type: 'boolean', value }) as const;
export const ref = (...terms: unknown[]) => ({ type: 'ref', terms });
export const op = (name: string) => {
  const [head, ...rest] = name.split('.');
  return ref(v(head!), ...rest.map(s));
};
export const call = (name: string, ...args: unknown[]) => ({ type: 'call', operator: op(name), args });
export const callExpr = (name: string, ...args: unknown[]) => ({ kind: { type: 'call', operator: op(name), args }, negated: false, with: [] });
export const termExpr = (term: unknown) => ({ kind: { type: 'term', term }, negated: false, with: [] });

export type { Term };
