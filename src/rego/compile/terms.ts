// Small constructors and traversals over the AST used by every compile pass.

import type { Body, Expr, Location, RefTerm, Term, VarTerm } from '../syntax/ast.js';

export const v = (name: string, loc: Location): VarTerm => ({ type: 'var', name, loc });
export const str = (value: string, loc: Location): Term => ({ type: 'string', value, loc });
export const ref = (terms: Term[], loc: Location): RefTerm => ({ type: 'ref', terms, loc });
export const opRef = (name: string, loc: Location): RefTerm => {
  const [head, ...rest] = name.split('.');
  return ref([v(head!, loc), ...rest.map((s) => str(s, loc))], loc);
};

export function callExpr(operator: RefTerm, args: Term[], loc: Location, withs: Expr['with'] = []): Expr {
  return { kind: { type: 'call', operator, args }, negated: false, with: withs.map((w) => ({ ...w })), loc };
}

export function eqExpr(a: Term, b: Term, loc: Location, withs: Expr['with'] = []): Expr {
  return callExpr(opRef('eq', loc), [a, b], loc, withs);
}

export function termExpr(term: Term, loc: Location, negated = false): Expr {
  return { kind: { type: 'term', term }, negated, with: [], loc };
}

/** `a.b.c` for a ref made of a var followed by strings; undefined otherwise. */
export function dottedName(r: RefTerm): string | undefined {
  const [head, ...rest] = r.terms;
  if (head?.type !== 'var') return undefined;
  const parts = [head.name];
  for (const t of rest) {
    if (t.type !== 'string') return undefined;
    parts.push(t.value);
  }
  return parts.join('.');
}

/** The path below `data` named by the leading string keys of a `data` ref (`data.a.b[x]` -> ["a","b"]). */
export function dataPrefix(r: RefTerm): string[] | undefined {
  const [head, ...rest] = r.terms;
  if (head?.type !== 'var' || head.name !== 'data') return undefined;
  const out: string[] = [];
  for (const t of rest) {
    if (t.type !== 'string') break;
    out.push(t.value);
  }
  return out;
}

export function isComprehension(t: Term): boolean {
  return t.type === 'arraycomp' || t.type === 'setcomp' || t.type === 'objectcomp';
}

export function isScalar(t: Term): boolean {
  return t.type === 'null' || t.type === 'boolean' || t.type === 'number' || t.type === 'string';
}

/** Which parts of a term count, mirroring OPA's VarVisitorParams. */
export interface VarParams {
  skipClosures?: boolean;
  skipRefHead?: boolean;
  skipSets?: boolean;
  skipObjectKeys?: boolean;
}

/** OPA's SafetyCheckVisitorParams: call operators and closure bodies do not count. */
export const SAFETY: VarParams = { skipClosures: true };

/**
 * `with` values that name a replacement function (`with count as my_count`
 * is ref [var data, ..., "my_count"]; `with f as sum` is ref [var sum]):
 * names, not vars, so no pass treats them as terms to bind or lift.
 */
export const functionValues = new WeakSet<Term>();

export function termVars(t: Term, p: VarParams = {}, out: Map<string, VarTerm> = new Map()): Map<string, VarTerm> {
  switch (t.type) {
    case 'var':
      if (!out.has(t.name)) out.set(t.name, t);
      break;
    case 'ref':
      for (let i = 0; i < t.terms.length; i++) {
        const x = t.terms[i]!;
        if (i === 0 && p.skipRefHead && x.type === 'var') continue;
        termVars(x, p, out);
      }
      break;
    case 'array':
      for (const x of t.items) termVars(x, p, out);
      break;
    case 'set':
      if (!p.skipSets) for (const x of t.items) termVars(x, p, out);
      break;
    case 'object':
      for (const [k, val] of t.items) {
        if (!p.skipObjectKeys) termVars(k, p, out);
        termVars(val, p, out);
      }
      break;
    case 'arraycomp': case 'setcomp':
      if (!p.skipClosures) { bodyVars(t.body, p, out); termVars(t.head, p, out); }
      break;
    case 'objectcomp':
      if (!p.skipClosures) { bodyVars(t.body, p, out); termVars(t.key, p, out); termVars(t.value, p, out); }
      break;
    case 'call':
      for (const x of t.args) termVars(x, p, out);
      break;
    case 'template':
      for (const x of t.parts) if (typeof x !== 'string') termVars(x, p, out);
      break;
    default:
      break;
  }
  return out;
}

export function exprVars(e: Expr, p: VarParams = {}, out: Map<string, VarTerm> = new Map()): Map<string, VarTerm> {
  const k = e.kind;
  switch (k.type) {
    case 'term': termVars(k.term, p, out); break;
    case 'call': for (const a of k.args) termVars(a, p, out); break;
    case 'some': for (const s of k.symbols) termVars(s, p, out); break;
    case 'every':
      if (!p.skipClosures) {
        if (k.key) termVars(k.key, p, out);
        termVars(k.value, p, out);
      }
      termVars(k.domain, p, out);
      if (!p.skipClosures) bodyVars(k.body, p, out);
      break;
  }
  for (const w of e.with) if (!functionValues.has(w.value)) termVars(w.value, p, out);
  return out;
}

export function bodyVars(body: Body, p: VarParams = {}, out: Map<string, VarTerm> = new Map()): Map<string, VarTerm> {
  for (const e of body) exprVars(e, p, out);
  return out;
}

/** Calls `fn` on every comprehension and `every` expression directly inside `e` (not inside their bodies). */
export function forEachClosure(
  e: Expr,
  fn: (c: { comp: Extract<Term, { type: 'arraycomp' | 'setcomp' | 'objectcomp' }> } | { every: Expr }) => void,
): void {
  const visit = (t: Term): void => {
    switch (t.type) {
      case 'arraycomp': case 'setcomp': case 'objectcomp': fn({ comp: t }); return;
      case 'ref': t.terms.forEach(visit); return;
      case 'array': case 'set': t.items.forEach(visit); return;
      case 'object': for (const [k, val] of t.items) { visit(k); visit(val); } return;
      case 'call': t.args.forEach(visit); return;
      case 'template': for (const x of t.parts) if (typeof x !== 'string') visit(x); return;
      default: return;
    }
  };
  const k = e.kind;
  if (k.type === 'term') visit(k.term);
  else if (k.type === 'call') k.args.forEach(visit);
  else if (k.type === 'some') k.symbols.forEach(visit);
  else { visit(k.domain); fn({ every: e }); }
  for (const w of e.with) visit(w.value);
}

/** Renames var `from` to `to` everywhere inside (mutating). */
export function renameInTerm(t: Term, from: string, to: string): void {
  switch (t.type) {
    case 'var': if (t.name === from) t.name = to; return;
    case 'ref': t.terms.forEach((x) => renameInTerm(x, from, to)); return;
    case 'array': case 'set': t.items.forEach((x) => renameInTerm(x, from, to)); return;
    case 'object': for (const [k, val] of t.items) { renameInTerm(k, from, to); renameInTerm(val, from, to); } return;
    case 'arraycomp': case 'setcomp': renameInBody(t.body, from, to); renameInTerm(t.head, from, to); return;
    case 'objectcomp': renameInBody(t.body, from, to); renameInTerm(t.key, from, to); renameInTerm(t.value, from, to); return;
    case 'call': t.args.forEach((x) => renameInTerm(x, from, to)); return;
    case 'template': for (const x of t.parts) if (typeof x !== 'string') renameInTerm(x, from, to); return;
    default: return;
  }
}

export function renameInBody(body: Body, from: string, to: string): void {
  for (const e of body) {
    const k = e.kind;
    if (k.type === 'term') renameInTerm(k.term, from, to);
    else if (k.type === 'call') k.args.forEach((a) => renameInTerm(a, from, to));
    else if (k.type === 'some') k.symbols.forEach((s) => renameInTerm(s, from, to));
    else {
      if (k.key) renameInTerm(k.key, from, to);
      renameInTerm(k.value, from, to);
      renameInTerm(k.domain, from, to);
      renameInBody(k.body, from, to);
    }
    for (const w of e.with) if (!functionValues.has(w.value)) renameInTerm(w.value, from, to);
  }
}

export function typeName(t: Term): string {
  switch (t.type) {
    case 'arraycomp': return 'arraycomprehension';
    case 'setcomp': return 'setcomprehension';
    case 'objectcomp': return 'objectcomprehension';
    case 'template': return 'templatestring';
    default: return t.type;
  }
}
