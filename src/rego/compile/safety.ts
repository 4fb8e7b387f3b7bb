// OPA's safety analysis: reorders each body so that every expression runs
// after the expressions binding the vars it needs, and reports vars that
// nothing binds (rego_unsafe_var_error). Follows OPA's
// reorderBodyForSafety: repeated passes over the body in source order,
// placing each expression as soon as all its vars are safe or output by it.
// Comprehension and `every` bodies are checked after their enclosing body,
// with the vars of the expressions placed before them as inputs.

import type { Body, Expr, RefTerm, Rule, Term, VarTerm } from '../syntax/ast.js';
import type { FreshVars, Problems } from './context.js';
import { termToString } from '../syntax/format.js';
import { bodyVars, dottedName, eqExpr, exprVars, forEachClosure, functionValues, isComprehension, renameInBody, renameInTerm, SAFETY, termVars, type VarParams } from './terms.js';

type Comprehension = Extract<Term, { type: 'arraycomp' | 'setcomp' | 'objectcomp' }>;

export interface SafetyEnv {
  /** Number of inputs of a call operator; -1 when unknown. */
  arity: (operator: RefTerm) => number;
  problems: Problems;
  fresh: FreshVars;
}

const OUTPUT_PARAMS: VarParams = { skipClosures: true, skipSets: true, skipObjectKeys: true, skipRefHead: true };
const UNIFY_PARAMS: VarParams = { skipClosures: true, skipObjectKeys: true, skipRefHead: true };
const ROOTS = ['data', 'input'];

function union(a: Iterable<string>, b: Iterable<string>): Set<string> {
  const out = new Set(a);
  for (const x of b) out.add(x);
  return out;
}

function minus(a: Iterable<string>, b: Set<string>): Set<string> {
  const out = new Set<string>();
  for (const x of a) if (!b.has(x)) out.add(x);
  return out;
}

function sameSet(a: Set<string>, b: Set<string>): boolean {
  return a.size === b.size && [...a].every((x) => b.has(x));
}

function headTerms(rule: Rule): Term[] {
  return [...rule.head.ref.slice(1), ...(rule.head.key ? [rule.head.key] : []), ...(rule.head.value ? [rule.head.value] : [])];
}

export class SafetyChecker {
  /** Names bound by some scope of the rule being checked: a closure binding one again gets a fresh name. */
  private claimed = new Set<string>();
  /** Checking a query: OPA rewrites `==` to `=` in module bodies only. */
  private inQuery = false;

  constructor(private readonly env: SafetyEnv) {}

  rule(rule: Rule): void {
    if (rule.default) return;
    this.inQuery = false;
    for (let r: Rule | undefined = rule; r; r = r.else) {
      const argVars = new Set<string>();
      for (const a of r.head.args ?? []) for (const name of termVars(a).keys()) argVars.add(name);
      const globals = union(ROOTS, argVars);
      this.claimed = union(globals, bodyVars(r.body, SAFETY).keys());
      for (const t of headTerms(r)) for (const name of termVars(t).keys()) this.claimed.add(name);
      r.body = this.body(r.body, globals);
      const bound = union(globals, bodyVars(r.body, SAFETY).keys());
      const reported = new Set<string>();
      for (const t of headTerms(r)) {
        for (const [name, at] of termVars(t)) {
          if (!bound.has(name) && !reported.has(name)) {
            reported.add(name);
            this.unsafe(name, at);
          }
        }
      }
    }
  }

  query(body: Body): Body {
    this.inQuery = true;
    this.claimed = union(ROOTS, bodyVars(body, SAFETY).keys());
    return this.body(body, new Set(ROOTS));
  }

  private unsafe(name: string, at: VarTerm): void {
    this.env.problems.add('rego_unsafe_var_error', `var ${this.env.fresh.display(name)} is unsafe`, at.loc);
  }

  private vars(e: Expr): Set<string> {
    return new Set(exprVars(e, SAFETY).keys());
  }

  /** Vars used inside the closures (comprehensions, `every` bodies) of an expression. */
  private closureVars(e: Expr): Map<string, VarTerm> {
    const out = new Map<string, VarTerm>();
    forEachClosure(e, (c) => {
      if ('comp' in c) termVars(c.comp, {}, out);
      else if (c.every.kind.type === 'every') bodyVars(c.every.kind.body, {}, out);
    });
    return out;
  }

  body(body: Body, globals: Set<string>): Body {
    // The vars of each expression are read several times below (and the
    // reordering may pass over the body more than once): computed once here.
    const varsOf = new Map<Expr, Set<string>>();
    const vars = (e: Expr): Set<string> => {
      let vs = varsOf.get(e);
      if (!vs) varsOf.set(e, (vs = this.vars(e)));
      return vs;
    };
    const closuresOf = new Map<Expr, string[]>();
    const allVars = new Set<string>();
    for (const e of body) for (const x of vars(e)) allVars.add(x);
    /** The vars of e's closures that the body binds and the globals do not provide. */
    const closureNeeds = (e: Expr): string[] => {
      let needs = closuresOf.get(e);
      if (!needs) {
        needs = [];
        for (const x of this.closureVars(e).keys()) if (allVars.has(x) && !globals.has(x)) needs.push(x);
        closuresOf.set(e, needs);
      }
      return needs;
    };
    const safe = new Set(globals);
    const placed = new Set<Expr>();
    const reordered: Expr[] = [];
    for (;;) {
      const before = reordered.length;
      for (const e of body) {
        if (placed.has(e)) continue;
        if (closureNeeds(e).some((x) => !safe.has(x))) continue;
        const outputs = this.outputVars(e, safe);
        let missing = false;
        for (const x of vars(e)) if (!safe.has(x) && !outputs.has(x)) { missing = true; break; }
        if (missing) continue;
        placed.add(e);
        reordered.push(e);
        for (const x of outputs) safe.add(x);
      }
      if (reordered.length === before) break;
    }
    const reported = new Set<string>();
    for (const e of body) {
      if (placed.has(e)) continue;
      const outputs = this.outputVars(e, safe);
      const closure = this.closureVars(e);
      const missing = union(minus(minus(this.vars(e), safe), outputs), minus([...closure.keys()].filter((x) => allVars.has(x)), safe));
      const where = exprVars(e, {}, new Map(closure));
      for (const name of missing) {
        if (reported.has(name)) continue;
        reported.add(name);
        this.unsafe(name, where.get(name) ?? { type: 'var', name, loc: e.loc });
      }
    }
    const final = this.hoistIterations(reordered, globals);
    const g = new Set(globals);
    final.forEach((e, i) => {
      if (i > 0) for (const x of this.vars(final[i - 1]!)) g.add(x);
      forEachClosure(e, (c) => {
        if ('comp' in c) this.comprehension(c.comp, g);
        else this.every(c.every, g);
      });
    });
    return final;
  }

  /**
   * A ref that binds vars by iteration inside the inputs of a call
   * (`foo == input.foos[foo]`, `count(xs[i], n)`) is bound to a fresh var
   * by a unification of its own first, so calls only read bound vars.
   */
  private hoistIterations(body: Body, globals: Set<string>): Body {
    const out: Body = [];
    const safe = new Set(globals);
    for (const e of body) {
      let expr = e;
      const k = e.kind;
      const name = k.type === 'call' ? dottedName(k.operator) : undefined;
      if (e.negated) {
        expr = this.liftFromNegation(e, safe, out);
      } else if (k.type === 'call' && name !== 'eq' && name !== 'assign') {
        const arity = this.env.arity(k.operator);
        const inputs = arity < 0 ? k.args.length : Math.min(arity, k.args.length);
        const args = k.args.map((a, i) => (i < inputs ? this.hoistRefs(a, safe, out, e) : a));
        expr = { ...e, kind: { ...k, args } };
      }
      out.push(expr);
      for (const x of this.outputVars(expr, safe)) safe.add(x);
    }
    return out;
  }

  private hoistRefs(t: Term, safe: Set<string>, out: Body, at: Expr): Term {
    switch (t.type) {
      case 'ref': {
        const keyVars = new Map<string, VarTerm>();
        for (const key of t.terms.slice(1)) termVars(key, {}, keyVars);
        if ([...keyVars.keys()].every((x) => safe.has(x)) || !refIsSafe(t, safe)) return t;
        const tmp = this.env.fresh.next(t.loc);
        out.push({ ...eqExpr(tmp, t, t.loc), with: at.with.map((w) => ({ ...w })) });
        safe.add(tmp.name);
        for (const x of keyVars.keys()) safe.add(x);
        this.claimed.add(tmp.name);
        return tmp;
      }
      case 'array': case 'set': return { ...t, items: t.items.map((x) => this.hoistRefs(x, safe, out, at)) };
      case 'object': return { ...t, items: t.items.map(([key, x]) => [key, this.hoistRefs(x, safe, out, at)] as [Term, Term]) };
      default: return t;
    }
  }

  /**
   * What a negated expression reads is evaluated before the negation, as
   * OPA's RewriteWithValues and RewriteDynamicTerms do after its safety
   * check: `with` values that are refs, and the refs among call arguments
   * (also inside composites, and in composites being unified) are bound to
   * fresh vars first, so an undefined one makes the body fail instead of
   * the negation hold (`not f(x.y)`). Unified refs stay (`not x.y = 1`
   * holds when x.y is undefined); in module bodies so does `==`, which OPA
   * rewrites to `=` there.
   */
  private liftFromNegation(e: Expr, safe: Set<string>, out: Body): Expr {
    const bind = (t: Term, withs: Expr['with']): VarTerm => {
      const tmp = this.env.fresh.next(t.loc);
      out.push({ ...eqExpr(tmp, t, t.loc), with: withs.map((w) => ({ ...w })) });
      safe.add(tmp.name);
      this.claimed.add(tmp.name);
      return tmp;
    };
    const withs = e.with.map((w) => (functionValues.has(w.value) || !readsDocuments(w.value) ? w : { ...w, value: bind(w.value, []) }));
    const lift = (t: Term): Term => {
      switch (t.type) {
        case 'var': return t.name === 'input' || t.name === 'data' ? bind(t, withs) : t;
        case 'ref': return bind({ ...t, terms: [t.terms[0]!, ...t.terms.slice(1).map(lift)] }, withs);
        case 'array': case 'set': return { ...t, items: t.items.map(lift) };
        case 'object': return { ...t, items: t.items.map(([key, x]) => [lift(key), lift(x)] as [Term, Term]) };
        case 'arraycomp': case 'setcomp': case 'objectcomp': return bind(t, withs);
        default: return t;
      }
    };
    const unified = (t: Term): Term => {
      if (t.type === 'ref') return { ...t, terms: [t.terms[0]!, ...t.terms.slice(1).map(lift)] };
      if (t.type === 'var' || isComprehension(t)) return t;
      return lift(t);
    };
    const k = e.kind;
    switch (k.type) {
      case 'term': return { ...e, kind: { ...k, term: unified(k.term) }, with: withs };
      case 'call': {
        const name = dottedName(k.operator);
        const unifies = k.args.length === 2 && (name === 'eq' || name === 'assign' || (name === 'equal' && !this.inQuery));
        return { ...e, kind: { ...k, args: k.args.map(unifies ? unified : lift) }, with: withs };
      }
      default: return { ...e, with: withs };
    }
  }

  /** Gives the closure's own locals names no other scope of the rule binds. */
  private claim(names: Iterable<string>, rename: (from: string, to: string) => void, loc: Expr['loc']): void {
    for (const name of names) {
      if (this.claimed.has(name)) {
        const fresh = this.env.fresh.next(loc, this.env.fresh.display(name));
        rename(name, fresh.name);
        this.claimed.add(fresh.name);
      } else {
        this.claimed.add(name);
      }
    }
  }

  private comprehension(c: Comprehension, outer: Set<string>): void {
    const heads = c.type === 'objectcomp' ? [c.key, c.value] : [c.head];
    const own = bodyVars(c.body, SAFETY);
    for (const h of heads) termVars(h, SAFETY, own);
    this.claim(minus(own.keys(), outer), (from, to) => renameInTerm(c, from, to), c.loc);
    const before = this.env.problems.count;
    c.body = this.body(c.body, outer);
    // A body with unsafe vars leaves its head unbound: report the cause only.
    if (this.env.problems.count > before) return;
    const bound = union(outer, bodyVars(c.body, SAFETY).keys());
    for (const h of heads) {
      for (const [name, at] of termVars(h, SAFETY)) if (!bound.has(name)) this.unsafe(name, at);
    }
  }

  private every(e: Expr, outer: Set<string>): void {
    const k = e.kind;
    if (k.type !== 'every') return;
    const inner = new Set(outer);
    for (const t of [k.key, k.value]) if (t) for (const name of termVars(t).keys()) inner.add(name);
    this.claim(minus(bodyVars(k.body, SAFETY).keys(), inner), (from, to) => renameInBody(k.body, from, to), e.loc);
    k.body = this.body(k.body, inner);
  }

  // ------------------------------------------------------------ outputs

  private outputVars(e: Expr, safe: Set<string>): Set<string> {
    if (e.negated) return new Set();
    for (const w of e.with) {
      if (functionValues.has(w.value)) continue;
      for (const name of termVars(w.value, SAFETY).keys()) if (!safe.has(name)) return new Set();
    }
    const k = e.kind;
    switch (k.type) {
      case 'term': return this.outputVarsForTerms([k.term], safe);
      case 'every': return this.outputVarsForTerms([k.domain], safe);
      case 'some': return new Set();
      case 'call': {
        const name = dottedName(k.operator);
        if ((name === 'eq' || name === 'assign') && k.args.length === 2) return this.outputVarsForEq(k.args[0]!, k.args[1]!, safe);
        const arity = this.env.arity(k.operator);
        if (arity < 0) return new Set();
        const output = this.outputVarsForTerms(k.args, safe);
        if (arity >= k.args.length) return output;
        const inputs = new Map<string, VarTerm>();
        for (const a of k.args.slice(0, arity)) termVars(a, OUTPUT_PARAMS, inputs);
        for (const name of inputs.keys()) if (!output.has(name) && !safe.has(name)) return new Set();
        for (const a of k.args.slice(arity)) for (const name of termVars(a, OUTPUT_PARAMS).keys()) output.add(name);
        return output;
      }
    }
  }

  /** Vars in the keys of refs whose head is safe (`xs[i]` binds i once xs is safe). */
  private outputVarsForTerms(terms: Term[], safe: Set<string>): Set<string> {
    const out = new Set<string>();
    const visit = (t: Term): void => {
      switch (t.type) {
        case 'ref': {
          if (!refIsSafe(t, safe)) return;
          for (const x of t.terms.slice(1)) for (const name of termVars(x).keys()) out.add(name);
          t.terms.forEach(visit);
          return;
        }
        case 'array': case 'set': t.items.forEach(visit); return;
        case 'object': for (const [key, val] of t.items) { visit(key); visit(val); } return;
        case 'call': t.args.forEach(visit); return;
        default: return;
      }
    };
    terms.forEach(visit);
    return out;
  }

  private outputVarsForEq(a: Term, b: Term, safe: Set<string>): Set<string> {
    const output = this.outputVarsForTerms([a, b], safe);
    const u = new Unifier(union(safe, output));
    u.unify(a, b);
    return minus(u.safe, safe);
  }
}

/** OPA's requiresEval: the term holds a ref (input and data included) or a comprehension. */
function readsDocuments(t: Term): boolean {
  switch (t.type) {
    case 'ref': case 'arraycomp': case 'setcomp': case 'objectcomp': return true;
    case 'var': return t.name === 'input' || t.name === 'data';
    case 'array': case 'set': return t.items.some(readsDocuments);
    case 'object': return t.items.some(([k, x]) => readsDocuments(k) || readsDocuments(x));
    case 'call': return t.args.some(readsDocuments);
    default: return false;
  }
}

function refIsSafe(r: RefTerm, safe: Set<string>): boolean {
  const head = r.terms[0]!;
  if (head.type === 'var') return safe.has(head.name);
  return [...termVars(head).keys()].every((x) => safe.has(x));
}

/** Equal for terms OPA's Term.Equal finds equal (scalars by value, the rest by their text). */
function termKey(t: Term): string {
  switch (t.type) {
    case 'null': return 'null';
    case 'boolean': return String(t.value);
    case 'number': return `n:${Number(t.value)}`;
    case 'string': return JSON.stringify(t.value);
    default: return `t:${termToString(t)}`;
  }
}

/** OPA's unifier: which vars an `a = b` unification makes safe. */
class Unifier {
  private unknown = new Map<string, Set<string>>();
  constructor(readonly safe: Set<string>) {}

  private markSafe(x: string): void {
    this.safe.add(x);
    const deps = this.unknown.get(x);
    this.unknown.delete(x);
    if (deps) for (const d of deps) this.markSafe(d);
    for (const [other, ds] of [...this.unknown]) {
      if (ds.delete(x) && ds.size === 0) this.markSafe(other);
    }
  }

  private markUnknown(a: string, b: string): void {
    let s = this.unknown.get(a);
    if (!s) this.unknown.set(a, (s = new Set()));
    s.add(b);
  }

  private markAllSafe(t: Term): void {
    for (const name of termVars(t, UNIFY_PARAMS).keys()) this.markSafe(name);
  }

  private unifyAll(a: string, b: Term): void {
    if (this.safe.has(a)) return this.markAllSafe(b);
    const unsafe = [...termVars(b, UNIFY_PARAMS).keys()].filter((x) => !this.safe.has(x));
    if (unsafe.length === 0) this.markSafe(a);
    else for (const x of unsafe) this.markUnknown(a, x);
  }

  private refSafe(r: RefTerm): boolean {
    return refIsSafe(r, this.safe);
  }

  unify(a: Term, b: Term): void {
    switch (a.type) {
      case 'var':
        switch (b.type) {
          case 'var':
            if (this.safe.has(b.name)) this.markSafe(a.name);
            else if (this.safe.has(a.name)) this.markSafe(b.name);
            else { this.markUnknown(a.name, b.name); this.markUnknown(b.name, a.name); }
            return;
          case 'array': case 'object': return this.unifyAll(a.name, b);
          case 'ref': if (this.refSafe(b)) this.markSafe(a.name); return;
          case 'call': case 'set': case 'template':
            if ([...termVars(b, UNIFY_PARAMS).keys()].every((x) => this.safe.has(x))) this.markSafe(a.name);
            return;
          default: return this.markSafe(a.name);
        }
      case 'ref':
        if (this.refSafe(a)) {
          if (b.type === 'var') this.markSafe(b.name);
          else if (b.type === 'array' || b.type === 'object') this.markAllSafe(b);
        }
        return;
      case 'arraycomp': case 'setcomp': case 'objectcomp':
        if (b.type === 'var') this.markSafe(b.name);
        else if (b.type === 'array' || b.type === 'object') this.markAllSafe(b);
        return;
      case 'array':
        switch (b.type) {
          case 'var': return this.unifyAll(b.name, a);
          case 'arraycomp': case 'setcomp': case 'objectcomp': return this.markAllSafe(a);
          case 'ref': if (this.refSafe(b)) this.markAllSafe(a); return;
          case 'array':
            if (a.items.length === b.items.length) a.items.forEach((x, i) => this.unify(x, b.items[i]!));
            return;
          default: return;
        }
      case 'object':
        switch (b.type) {
          case 'var': return this.unifyAll(b.name, a);
          case 'ref': if (this.refSafe(b)) this.markAllSafe(a); return;
          case 'object': {
            if (a.items.length !== b.items.length) return;
            // OPA pairs values by equal key terms (b.Get(k)), vars and refs included:
            // {k: [a]} = {k: [v]} unifies [a] with [v] and binds v.
            const other = new Map<string, Term>();
            for (const [k, x] of b.items) other.set(termKey(k), x);
            for (const [k, x] of a.items) {
              const match = other.get(termKey(k));
              if (match) this.unify(x, match);
            }
            return;
          }
          default: return;
        }
      case 'set': case 'call': case 'template':
        if (b.type === 'var' && [...termVars(a, UNIFY_PARAMS).keys()].every((x) => this.safe.has(x))) this.markSafe(b.name);
        return;
      default:
        if (b.type === 'var') this.markSafe(b.name);
        return;
    }
  }
}
