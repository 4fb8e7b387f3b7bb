// Calls of builtins and user functions, with `with`-replacements applied.
// A call with one argument more than the callee's arity binds its last
// argument to the result; otherwise the call is a condition (defined and
// not false).

import type { CallTerm, Location, RefTerm, Term } from '../syntax/ast.js';
import { local, type Iter, type OperandIter } from './builder.js';
import type { Operand } from './ir.js';
import type { Planner } from './planner.js';
import { builtinArity } from './strings.js';
import { planScan } from './refs.js';
import { planTerm, planTerms } from './terms.js';
import { planUnify, planUnifyLocal } from './unify.js';

/** "data.pkg.f" for user functions, the builtin's name ("strings.replace_n") otherwise. */
export function calleeName(op: RefTerm): string {
  return op.terms.map((t, i) => {
    if (i === 0 && t.type === 'var') return t.name;
    if (t.type === 'string') return t.value;
    if (t.type === 'var') return t.name;
    throw new Error(`internal error: unsupported call operator term ${t.type}`);
  }).join('.');
}

function userRuleSetPath(name: string): string | undefined {
  return name.startsWith('data.') ? name.slice(5) : undefined;
}

/** Declared arity of a callee, undefined when unknown (variadic builtins). */
export function calleeArity(p: Planner, name: string): number | undefined {
  const path = userRuleSetPath(name);
  if (path !== undefined) return p.program.ruleSets.get(path)?.arity;
  return builtinArity(name);
}

/** Emits the call of `name` (after `with` replacements) with already planned args. */
function emitCall(p: Planner, name: string, args: Operand[], loc: Location | undefined, iter: OperandIter): void {
  const mock = p.ctx.mocks.get(name);
  if (mock?.kind === 'value') return planTerm(p, mock.value, iter);
  const target = mock?.kind === 'func' ? mock.target : name;
  const result = p.f.newLocal();
  const path = userRuleSetPath(target);
  if (path !== undefined) {
    const rs = p.program.ruleSets.get(path);
    if (!rs) return p.fail(`undefined function ${target}`, loc);
    // A replacement runs without the replacements of its caller's with (as in OPA).
    const ctx = mock ? p.contexts.get(p.ctx.dataOverrides, new Map()) : p.ctx;
    const func = p.inContext(ctx, () => p.funcFor(rs));
    p.f.emit({ type: 'Call', func, args, result, ...(loc ? { loc } : {}) });
  } else {
    p.builtins.use(target, args.length);
    p.f.emit({ type: 'Call', func: target, args, result, ...(loc ? { loc } : {}) });
  }
  iter(local(result));
}

/** Plans the call's value: the callee applied to `args`. */
export function planCallValue(p: Planner, name: string, args: Term[], loc: Location | undefined, iter: OperandIter): void {
  planTerms(p, args, (ops) => emitCall(p, name, ops, loc, iter));
}

/** A call in term position (`count(x)` inside another term). */
export function planCallTerm(p: Planner, t: CallTerm, iter: OperandIter): void {
  planCallValue(p, calleeName(t.operator), t.args, t.loc, iter);
}

/**
 * Builtins that are relations in OPA (one output per solution): their
 * implementation returns the array of all outputs, iterated here.
 */
const RELATIONS = new Set(['walk']);

/** A call expression: unification, a call with an output argument, or a condition. */
export function planCallExpr(p: Planner, operator: RefTerm, args: Term[], loc: Location, iter: Iter): void {
  const name = calleeName(operator);
  if ((name === 'eq' || name === 'assign') && args.length === 2) return planUnify(p, args[0]!, args[1]!, iter);
  if ((name === 'equal' || name === 'neq') && args.length === 2 && !p.ctx.mocks.has(name)) {
    // As conditions, == and != need no call: the statements compare and fail themselves.
    return planTerms(p, args, ([a, b]) => {
      p.f.emit({ type: name === 'equal' ? 'Equal' : 'NotEqual', a: a!, b: b! });
      iter();
    });
  }
  const arity = calleeArity(p, name);
  if (arity !== undefined && args.length === arity + 1) {
    const out = args[arity]!;
    const relation = RELATIONS.has(name) && !p.ctx.mocks.has(name);
    return planCallValue(p, name, args.slice(0, arity), loc, (result) => {
      if (relation) planScan(p, result, (_k, v) => planUnifyLocal(p, v, out, iter));
      else planUnifyLocal(p, p.f.toLocal(result), out, iter);
    });
  }
  planCallValue(p, name, args, loc, (result) => {
    p.f.emit({ type: 'NotEqual', a: result, b: { type: 'bool', value: false } });
    iter();
  });
}
