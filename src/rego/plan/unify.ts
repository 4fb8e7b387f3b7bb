// Unification (`=`, `:=`): binds unbound vars, destructures array/object
// patterns on either side, and compares everything else with Equal.

import type { Term, VarTerm } from '../syntax/ast.js';
import { local, type Iter } from './builder.js';
import type { Local, Operand } from './ir.js';
import type { Planner } from './planner.js';
import { planDot } from './refs.js';
import { planNumber, planTerm } from './terms.js';

export function isUnboundVar(p: Planner, t: Term): t is VarTerm {
  return t.type === 'var' && t.name !== 'input' && t.name !== 'data' && p.f.vars.lookup(t.name) === undefined;
}

/** Whether a pattern (var, array, object) holds vars that unification would bind. */
export function hasUnboundVars(p: Planner, t: Term): boolean {
  switch (t.type) {
    case 'var': return isUnboundVar(p, t);
    case 'array': return t.items.some((x) => hasUnboundVars(p, x));
    case 'object': return t.items.some(([, v]) => hasUnboundVars(p, v));
    default: return false;
  }
}

function bindVar(p: Planner, v: VarTerm, op: Operand): void {
  // A copy: the source local may change later (e.g. input under `with`).
  const l = p.f.newLocal();
  p.f.emit({ type: 'AssignVar', source: op, target: l });
  p.f.vars.bind(v.name, l);
}

const alwaysFalse = (p: Planner): void => {
  p.f.emit({ type: 'Equal', a: { type: 'bool', value: true }, b: { type: 'bool', value: false } });
};

function scalarKey(t: Term): string | undefined {
  switch (t.type) {
    case 'string': return `s${t.value}`;
    case 'number': return `n${Number(t.value)}`;
    case 'boolean': return `b${t.value}`;
    case 'null': return 'null';
    default: return undefined;
  }
}

export function planUnify(p: Planner, a: Term, b: Term, iter: Iter): void {
  const ua = isUnboundVar(p, a);
  const ub = isUnboundVar(p, b);
  if (ua && ub) return p.fail(`var ${a.name} is unsafe`, a.loc);
  if (ua) return planTerm(p, b, (op) => { bindVar(p, a, op); iter(); });
  if (ub) return planTerm(p, a, (op) => { bindVar(p, b, op); iter(); });

  const pa = hasUnboundVars(p, a);
  const pb = hasUnboundVars(p, b);
  if (pa || pb) {
    if (a.type === 'array' && b.type === 'array') {
      if (a.items.length !== b.items.length) { alwaysFalse(p); return; }
      const rec = (i: number): void => {
        if (i === a.items.length) return iter();
        planUnify(p, a.items[i]!, b.items[i]!, () => rec(i + 1));
      };
      return rec(0);
    }
    if (a.type === 'object' && b.type === 'object') {
      const pairs = matchObjectKeys(a.items, b.items);
      if (pairs === 'mismatch') { alwaysFalse(p); return; }
      if (pairs) {
        const rec = (i: number): void => {
          if (i === pairs.length) return iter();
          planUnify(p, pairs[i]![0], pairs[i]![1], () => rec(i + 1));
        };
        return rec(0);
      }
    }
    if (pa && !pb) return planTerm(p, b, (op) => planUnifyLocal(p, p.f.toLocal(op), a, iter));
    if (pb && !pa) return planTerm(p, a, (op) => planUnifyLocal(p, p.f.toLocal(op), b, iter));
    // Both sides hold unbound vars in different shapes: they cannot unify.
    alwaysFalse(p);
    return;
  }
  planTerm(p, a, (oa) => planTerm(p, b, (ob) => {
    p.f.emit({ type: 'Equal', a: oa, b: ob });
    iter();
  }));
}

/** Pairs the values of two object patterns by (scalar) key; undefined when keys are not all scalars. */
function matchObjectKeys(a: Array<[Term, Term]>, b: Array<[Term, Term]>): Array<[Term, Term]> | 'mismatch' | undefined {
  if (a.length !== b.length) return 'mismatch';
  const bByKey = new Map<string, Term>();
  for (const [k, v] of b) {
    const s = scalarKey(k);
    if (s === undefined) return undefined;
    bByKey.set(s, v);
  }
  const out: Array<[Term, Term]> = [];
  for (const [k, v] of a) {
    const s = scalarKey(k);
    if (s === undefined) return undefined;
    const bv = bByKey.get(s);
    if (!bv) return 'mismatch';
    out.push([v, bv]);
  }
  return out;
}

/** The value in `l` is a collection of the pattern's kind with as many elements. */
function checkShape(p: Planner, l: Local, kind: 'IsArray' | 'IsObject', t: Term & { items: unknown[] }): void {
  p.f.emit({ type: kind, source: local(l) });
  const n = p.f.newLocal();
  p.f.emit({ type: 'Len', source: local(l), target: n });
  const want = planNumber(p, { type: 'number', value: String(t.items.length), loc: t.loc });
  p.f.emit({ type: 'Equal', a: local(n), b: want });
}

/** Unifies the value in local `l` with the pattern `t`. */
export function planUnifyLocal(p: Planner, l: Local, t: Term, iter: Iter): void {
  if (isUnboundVar(p, t)) {
    bindVar(p, t, local(l));
    return iter();
  }
  if (t.type === 'array' && hasUnboundVars(p, t)) {
    checkShape(p, l, 'IsArray', t);
    const rec = (i: number): void => {
      if (i === t.items.length) return iter();
      const idx = planNumber(p, { type: 'number', value: String(i), loc: t.loc });
      const elem = planDot(p, local(l), idx);
      planUnifyLocal(p, p.f.toLocal(elem), t.items[i]!, () => rec(i + 1));
    };
    return rec(0);
  }
  if (t.type === 'object' && hasUnboundVars(p, t)) {
    checkShape(p, l, 'IsObject', t);
    const rec = (i: number): void => {
      if (i === t.items.length) return iter();
      const [k, v] = t.items[i]!;
      planTerm(p, k, (kop) => {
        const elem = planDot(p, local(l), kop);
        planUnifyLocal(p, p.f.toLocal(elem), v, () => rec(i + 1));
      });
    };
    return rec(0);
  }
  planTerm(p, t, (op) => {
    p.f.emit({ type: 'Equal', a: local(l), b: op });
    iter();
  });
}
