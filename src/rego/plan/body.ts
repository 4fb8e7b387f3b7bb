// Bodies (queries): expressions planned one after the other in
// continuation-passing style, so that everything after an iterating
// expression runs inside its Scan, once per solution.

import type { Body, Expr, Term } from '../syntax/ast.js';
import type { Iter } from './builder.js';
import type { Operand } from './ir.js';
import type { Planner } from './planner.js';
import { calleeName, planCallExpr } from './calls.js';
import { planScan } from './refs.js';
import { planTerm } from './terms.js';
import { planUnifyLocal } from './unify.js';
import { planWith } from './with.js';

export function planQuery(p: Planner, body: Body, iter: Iter, index = 0): void {
  if (index >= body.length) return iter();
  planExpr(p, body[index]!, () => planQuery(p, body, iter, index + 1));
}

export function planExpr(p: Planner, e: Expr, iter: Iter): void {
  if (e.negated) {
    // Not "the block ran to its end" (a Scan always does) but "there was no solution".
    const found = p.f.exists((onSolution) => p.f.vars.scoped(() => planPositive(p, e, onSolution)));
    p.f.emit({ type: 'IsUndefined', source: found });
    return iter();
  }
  planPositive(p, e, iter);
}

function planPositive(p: Planner, e: Expr, iter: Iter): void {
  if (e.with.length > 0) return planWith(p, e, iter);
  planExprKind(p, e, iter);
}

/** The expression itself, without negation and `with`. */
export function planExprKind(p: Planner, e: Expr, iter: Iter): void {
  const k = e.kind;
  switch (k.type) {
    case 'term': return planTerm(p, k.term, (op) => {
      p.f.emit({ type: 'NotEqual', a: op, b: { type: 'bool', value: false } });
      iter();
    });
    case 'call': return planCallExpr(p, k.operator, k.args, e.loc, iter);
    case 'some': return planSome(p, k.symbols, iter);
    case 'every': return planEvery(p, k.key, k.value, k.domain, k.body, iter);
  }
}

/** `some x` declares only; `some x in xs` (if the compile stage left it) iterates. */
function planSome(p: Planner, symbols: Term[], iter: Iter): void {
  const rec = (i: number): void => {
    if (i === symbols.length) return iter();
    const s = symbols[i]!;
    if (s.type !== 'call') return rec(i + 1);
    const name = calleeName(s.operator);
    if (name === 'internal.member_2' && s.args.length === 2) {
      return planTerm(p, s.args[1]!, (coll) => planScan(p, coll, (_k, v) => planUnifyLocal(p, v, s.args[0]!, () => rec(i + 1))));
    }
    if (name === 'internal.member_3' && s.args.length === 3) {
      return planTerm(p, s.args[2]!, (coll) => planScan(p, coll, (k, v) =>
        planUnifyLocal(p, k, s.args[0]!, () => planUnifyLocal(p, v, s.args[1]!, () => rec(i + 1)))));
    }
    return p.fail(`unsupported some declaration ${name}`, s.loc);
  };
  rec(0);
}

/** Fails unless the operand is an array, object or set (`every` over anything else is false, as in OPA). */
function requireCollection(p: Planner, op: Operand): void {
  const ok = p.f.newLocal();
  p.f.emit({ type: 'ResetLocal', target: ok });
  for (const type of ['IsArray', 'IsObject', 'IsSet'] as const) {
    const check = p.f.block(() => {
      p.f.emit({ type, source: op });
      p.f.emit({ type: 'AssignVar', source: { type: 'bool', value: true }, target: ok });
    });
    p.f.emit({ type: 'Block', blocks: [check] });
  }
  p.f.emit({ type: 'IsDefined', source: ok });
}

/** True when the body holds for every element of the domain (vacuously for empty ones). */
function planEvery(p: Planner, key: Term | null, value: Term, domain: Term, body: Body, iter: Iter): void {
  planTerm(p, domain, (dom) => {
    requireCollection(p, dom);
    // `failed` is set (and the scan left) at the first element for which the body has no solution.
    const failed = p.f.exists((counterexample) => p.f.vars.scoped(() => planScan(p, dom, (k, v) => {
      const bindValue = (): void => planUnifyLocal(p, v, value, () => {
        const holds = p.f.exists((onSolution) => p.f.vars.scoped(() => planQuery(p, body, onSolution)));
        p.f.emit({ type: 'IsUndefined', source: holds });
        counterexample();
      });
      if (key) planUnifyLocal(p, k, key, bindValue);
      else bindValue();
    })));
    p.f.emit({ type: 'IsUndefined', source: failed });
    iter();
  });
}
