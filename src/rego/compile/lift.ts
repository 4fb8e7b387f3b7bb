// Lifts nested calls, comprehensions and template strings out of terms so
// that every call is an expression of its own with an explicit output var
// (types.ts guarantees 5 and 6), and rewrites `print(...)` the way OPA does.

import type { Body, Expr, RefTerm, Rule, Term, TemplateStringTerm, VarTerm } from '../syntax/ast.js';
import type { FreshVars } from './context.js';
import { callExpr, dottedName, eqExpr, functionValues, isComprehension, isScalar, opRef, ref, str } from './terms.js';

type Comprehension = Extract<Term, { type: 'arraycomp' | 'setcomp' | 'objectcomp' }>;
type Withs = Expr['with'];

export interface LiftEnv {
  fresh: FreshVars;
}

export function liftRule(rule: Rule, env: LiftEnv): void {
  if (rule.default) return;
  // Else rules share the parent's arg vars, so computed args get one name for the chain.
  const argVars = new Map<number, VarTerm>();
  for (let r: Rule | undefined = rule; r; r = r.else) {
    const pre: Expr[] = [];
    const args = r.head.args?.map((a, i) => liftFunctionArg(a, i, argVars, pre, env));
    const body = [...pre, ...liftBody(r.body, env)];
    pre.length = 0;
    const head = r.head;
    r.head = {
      ...head,
      ...(args ? { args } : {}),
      ref: head.ref.map((t, i) => (i === 0 ? t : liftKey(t, pre, [], env))),
      ...(head.key ? { key: bindRefs(liftArg(head.key, pre, [], env), pre, env) } : {}),
      ...(head.value ? { value: bindRefs(liftArg(head.value, pre, [], env), pre, env) } : {}),
    };
    r.body = [...body, ...pre];
  }
}

/**
 * Refs in a rule head are read in the body, as OPA does (`q := xs[_]`
 * becomes `q := $t if { $t = xs[_] }`), so their vars get bound there.
 */
function bindRefs(t: Term, pre: Expr[], env: LiftEnv): Term {
  switch (t.type) {
    case 'ref': {
      const tmp = env.fresh.next(t.loc);
      pre.push(eqExpr(tmp, t, t.loc));
      return tmp;
    }
    case 'array': case 'set': return { ...t, items: t.items.map((x) => bindRefs(x, pre, env)) };
    case 'object': return { ...t, items: t.items.map(([k, x]) => [bindRefs(k, pre, env), bindRefs(x, pre, env)] as [Term, Term]) };
    default: return t;
  }
}

/** A function arg that must be computed (`f(count(x))`, `f($"{x}")`) becomes a var compared in the body. */
function liftFunctionArg(t: Term, index: number, argVars: Map<number, VarTerm>, pre: Expr[], env: LiftEnv): Term {
  if (!needsEvaluation(t)) return t;
  const arg = argVars.get(index) ?? env.fresh.next(t.loc);
  argVars.set(index, arg);
  pre.push(...liftBody([eqExpr(arg, t, t.loc)], env));
  return arg;
}

function needsEvaluation(t: Term): boolean {
  switch (t.type) {
    case 'ref': case 'call': case 'template': case 'arraycomp': case 'setcomp': case 'objectcomp': return true;
    case 'array': case 'set': return t.items.some(needsEvaluation);
    case 'object': return t.items.some(([k, x]) => needsEvaluation(k) || needsEvaluation(x));
    default: return false;
  }
}

export function liftBody(body: Body, env: LiftEnv): Body {
  return body.flatMap((e) => liftExpr(e, env));
}

function liftExpr(e: Expr, env: LiftEnv): Expr[] {
  const pre: Expr[] = [];
  const withs: Withs = e.with.map((w) => (functionValues.has(w.value) ? w : { ...w, value: liftArg(w.value, pre, [], env) }));
  const inner: Expr[] = [];
  const k = e.kind;
  let main: Expr;
  switch (k.type) {
    case 'term':
      main = { ...e, kind: { type: 'term', term: liftArg(k.term, inner, withs, env) }, with: withs };
      break;
    case 'call': {
      const name = dottedName(k.operator);
      if (name === 'print') {
        const printed = callExpr(opRef('internal.print', k.operator.loc), [printArgs(k.args, env)], e.loc);
        return liftExpr({ ...printed, negated: e.negated, with: e.with }, env);
      }
      const equality = name === 'eq' || name === 'assign';
      const args = k.args.map((a) => (equality && isComprehension(a) ? liftComprehension(a as Comprehension, env) : liftArg(a, inner, withs, env)));
      main = { ...e, kind: { type: 'call', operator: k.operator, args }, with: withs };
      break;
    }
    case 'every': {
      const domain = liftArg(k.domain, inner, withs, env);
      main = { ...e, kind: { ...k, domain, body: liftBody(k.body, env) }, with: withs };
      break;
    }
    case 'some':
      main = e;
      break;
  }
  // As OPA's RewriteExprTerms: what a negated expression computes is computed
  // before the negation too (`not f(g(x))` is `g(x, $1); not f($1)`), so an
  // undefined nested call makes the body fail instead of the negation hold.
  return [...pre, ...inner, main];
}

/** `{$t | $t = term}`: a set holding the term's value when it is defined, else empty. */
function wrapInSet(t: Term, env: LiftEnv): Term {
  const out = env.fresh.next(t.loc);
  return { type: 'setcomp', head: out, body: [eqExpr(out, t, t.loc)], loc: t.loc };
}

function printArgs(args: Term[], env: LiftEnv): Term {
  const loc = args[0]?.loc;
  return { type: 'array', items: args.map((a) => wrapInSet(a, env)), loc: loc ?? { file: '', row: 0, col: 0 } };
}

function templateCall(t: TemplateStringTerm, env: LiftEnv): Term {
  const items = t.parts.map((p) => (typeof p === 'string' ? str(p, t.loc) : wrapInSet(p, env)));
  return { type: 'call', operator: opRef('internal.template_string', t.loc), args: [{ type: 'array', items, loc: t.loc }], loc: t.loc };
}

function liftComprehension(c: Comprehension, env: LiftEnv): Comprehension {
  const body = liftBody(c.body, env);
  const pre: Expr[] = [];
  if (c.type === 'objectcomp') {
    const key = liftArg(c.key, pre, [], env);
    const value = liftArg(c.value, pre, [], env);
    return { ...c, key, value, body: [...body, ...pre] };
  }
  const head = liftArg(c.head, pre, [], env);
  return { ...c, head, body: [...body, ...pre] };
}

/** Returns a term that is a scalar, var, ref with scalar/var keys, or a composite of those. */
function liftArg(t: Term, out: Expr[], withs: Withs, env: LiftEnv): Term {
  switch (t.type) {
    case 'ref': return liftRef(t, out, withs, env);
    case 'array': case 'set': return { ...t, items: t.items.map((x) => liftArg(x, out, withs, env)) };
    case 'object': return { ...t, items: t.items.map(([k, x]) => [liftArg(k, out, withs, env), liftArg(x, out, withs, env)] as [Term, Term]) };
    case 'call': {
      const args = t.args.map((a) => liftArg(a, out, withs, env));
      const result = env.fresh.next(t.loc);
      out.push(callExpr(t.operator, [...args, result], t.loc, withs));
      return result;
    }
    case 'template': return liftArg(templateCall(t, env), out, withs, env);
    case 'arraycomp': case 'setcomp': case 'objectcomp': {
      const result = env.fresh.next(t.loc);
      out.push(eqExpr(result, liftComprehension(t, env), t.loc, withs));
      return result;
    }
    default: return t;
  }
}

/** A ref key or ref head: a scalar or a var (anything else is bound to a fresh var first). */
function liftKey(t: Term, out: Expr[], withs: Withs, env: LiftEnv): Term {
  if (isScalar(t) || t.type === 'var') return t;
  const lifted = liftArg(t, out, withs, env);
  if (isScalar(lifted) || lifted.type === 'var') return lifted;
  const tmp = env.fresh.next(t.loc);
  out.push(eqExpr(tmp, lifted, t.loc, withs));
  return tmp;
}

function liftRef(r: RefTerm, out: Expr[], withs: Withs, env: LiftEnv): RefTerm {
  const [head, ...rest] = r.terms;
  const h = head!.type === 'var' ? head! : liftKey(head!, out, withs, env);
  return ref([h, ...rest.map((k) => liftKey(k, out, withs, env))], r.loc);
}
