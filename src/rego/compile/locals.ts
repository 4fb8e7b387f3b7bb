// Scoped rewrite of one rule (or query): resolves global names, renames
// declared locals (`:=`, `some`, `every` key/value) to fresh names, turns
// every `_` into a distinct fresh var, rewrites `some x in xs` to
// `x = xs[$k]`, and resolves call operators and `with` targets.
//
// Undeclared vars keep their spelling: the same name in a comprehension
// and in the enclosing body is the same var (a closure var); the safety
// pass decides which scope binds it.

import type { Body, Expr, Location, RefTerm, Rule, Term, VarTerm } from '../syntax/ast.js';
import type { FreshVars, Problems } from './context.js';
import { globalRef, resolveCall, type FunctionTable, type Names } from './resolve.js';
import { dottedName, eqExpr, ref, str, termVars, typeName, v } from './terms.js';
import { resolveWith } from './with.js';

type Occurrence = 'seen' | 'assigned' | 'declared' | 'arg';

interface Scope {
  /** user name -> renamed var */
  declared: Map<string, string>;
  occurrence: Map<string, Occurrence>;
  /** Names declared anywhere in this scope's body: never resolved as globals. */
  ignore: Set<string>;
}

export interface LocalsEnv {
  names: Names;
  table: FunctionTable;
  problems: Problems;
  fresh: FreshVars;
}

/** Names a body declares at its own level (`:=` left-hand sides, `some`), as OPA's declaredVars. */
export function declaredNames(body: Body, out: Set<string> = new Set()): Set<string> {
  for (const e of body) {
    const k = e.kind;
    if (k.type === 'call' && dottedName(k.operator) === 'assign' && k.args.length === 2) {
      for (const name of termVars(k.args[0]!, { skipClosures: true }).keys()) out.add(name);
    } else if (k.type === 'some') {
      for (const s of k.symbols) {
        if (s.type === 'var') out.add(s.name);
        else if (s.type === 'call') {
          for (const a of s.args.slice(0, -1)) for (const name of termVars(a, { skipClosures: true }).keys()) out.add(name);
        }
      }
    }
  }
  return out;
}

const OCCURRENCE_ERROR: Record<Occurrence, (name: string) => string> = {
  seen: (n) => `var ${n} referenced above`,
  assigned: (n) => `var ${n} assigned above`,
  declared: (n) => `var ${n} declared above`,
  arg: (n) => `arg ${n} redeclared`,
};

export class LocalRewriter {
  private scopes: Scope[] = [];

  constructor(private readonly env: LocalsEnv) {}

  /** Rewrites a rule and its else chain in place. `pkg` is the package path. */
  rule(rule: Rule, pkg: string[]): void {
    const headRef = rule.head.ref;
    const args = rule.head.args;
    for (let r: Rule | undefined = rule; r; r = r.else) {
      this.push(r.body, args ?? []);
      const newArgs = args?.map((a) => this.declarePattern(a, 'arg', false));
      r.body = this.body(r.body);
      const [name, ...rest] = headRef;
      const nameTerm = name?.type === 'var' ? str(name.name, name.loc) : name!;
      const loc = rule.head.loc;
      r.head = {
        ...r.head,
        ref: [v('data', loc), ...pkg.map((s) => str(s, loc)), nameTerm, ...rest.map((t) => this.term(t))],
        ...(newArgs ? { args: newArgs } : {}),
        ...(r.head.key ? { key: this.term(r.head.key) } : {}),
        ...(r.head.value ? { value: this.term(r.head.value) } : {}),
      };
      this.scopes.pop();
    }
  }

  /** Rewrites a query body; returns it with the renamed spelling of each top-level user var. */
  query(body: Body): { body: Body; renamed: Map<string, string> } {
    this.push(body, []);
    const out = this.body(body);
    const scope = this.scopes.pop()!;
    return { body: out, renamed: scope.declared };
  }

  private push(body: Body, patterns: Term[]): void {
    const ignore = declaredNames(body);
    for (const p of patterns) for (const name of termVars(p).keys()) ignore.add(name);
    this.scopes.push({ declared: new Map(), occurrence: new Map(), ignore });
  }

  private get top(): Scope {
    return this.scopes[this.scopes.length - 1]!;
  }

  private lookupLocal(name: string): string | undefined {
    for (let i = this.scopes.length - 1; i >= 0; i--) {
      const found = this.scopes[i]!.declared.get(name);
      if (found !== undefined) return found;
    }
    return undefined;
  }

  private ignored(name: string): boolean {
    return this.scopes.some((s) => s.ignore.has(name));
  }

  private isLocal = (name: string): boolean => this.lookupLocal(name) !== undefined || this.ignored(name);

  private declare(t: VarTerm, occurrence: Occurrence): VarTerm {
    if (t.name === '_') return this.env.fresh.next(t.loc, '_');
    const prev = this.top.occurrence.get(t.name);
    if (prev) {
      this.env.problems.add('rego_compile_error', OCCURRENCE_ERROR[prev](t.name), t.loc);
      return v(this.lookupLocal(t.name) ?? t.name, t.loc);
    }
    this.top.occurrence.set(t.name, occurrence);
    // Function args keep their spelling: they are the outermost names of the rule.
    const renamed = occurrence === 'arg' ? v(t.name, t.loc) : this.env.fresh.next(t.loc, t.name);
    this.top.declared.set(t.name, renamed.name);
    return renamed;
  }

  /** Declares the vars of a pattern; object keys are values, not declarations. */
  private declarePattern(t: Term, occurrence: Occurrence, assignment: boolean): Term {
    switch (t.type) {
      case 'var': return this.declare(t, occurrence);
      case 'array': return { ...t, items: t.items.map((x) => this.declarePattern(x, occurrence, assignment)) };
      case 'object':
        return { ...t, items: t.items.map(([k, x]) => [this.term(k), this.declarePattern(x, occurrence, assignment)] as [Term, Term]) };
      default:
        if (assignment) this.env.problems.add('rego_compile_error', `cannot assign to ${typeName(t)}`, t.loc);
        return this.term(t);
    }
  }

  private body(body: Body): Body {
    return body.flatMap((e) => this.expr(e));
  }

  private withs(e: Expr): Expr['with'] {
    return e.with.map((w) =>
      resolveWith(w, { ...this.env, term: (t) => this.term(t), isLocal: this.isLocal }),
    );
  }

  private expr(e: Expr): Expr[] {
    const k = e.kind;
    switch (k.type) {
      case 'some': return this.some(e, k.symbols);
      case 'every': {
        const domain = this.term(k.domain);
        const withs = this.withs(e);
        this.push(k.body, [...(k.key ? [k.key] : []), k.value]);
        const key = k.key ? this.declarePattern(k.key, 'declared', false) : null;
        const value = this.declarePattern(k.value, 'declared', false);
        const body = this.body(k.body);
        this.scopes.pop();
        return [{ ...e, kind: { type: 'every', key, value, domain, body }, with: withs }];
      }
      case 'term': {
        if (k.term.type === 'call') {
          return this.expr({ ...e, kind: { type: 'call', operator: k.term.operator, args: k.term.args } });
        }
        const withs = this.withs(e);
        return [{ ...e, kind: { type: 'term', term: this.term(k.term) }, with: withs }];
      }
      case 'call': {
        const withs = this.withs(e);
        if (dottedName(k.operator) === 'assign' && k.args.length === 2) {
          const rhs = this.term(k.args[1]!);
          const lhs = this.declarePattern(k.args[0]!, 'assigned', true);
          return [{ ...e, kind: { type: 'call', operator: k.operator, args: [lhs, rhs] }, with: withs }];
        }
        const target = resolveCall(this.env.names, this.env.table, k.operator, k.args.length, true, e.loc, this.env.problems);
        const args = k.args.map((a) => this.term(a));
        return [{ ...e, kind: { type: 'call', operator: target?.operator ?? k.operator, args }, with: withs }];
      }
    }
  }

  /** `some x` declares; `some x in xs` becomes `x = xs[$k]`, `some k, v in xs` becomes `v = xs[k]`. */
  private some(e: Expr, symbols: Term[]): Expr[] {
    const out: Expr[] = [];
    for (const s of symbols) {
      if (s.type === 'var') {
        this.declare(s, 'declared');
        continue;
      }
      if (s.type !== 'call' || (s.args.length !== 2 && s.args.length !== 3)) {
        this.env.problems.add('rego_compile_error', `illegal some declaration of ${typeName(s)}`, s.loc);
        continue;
      }
      const domain = this.term(s.args[s.args.length - 1]!);
      const key = s.args.length === 3 ? this.declarePattern(s.args[0]!, 'declared', false) : this.env.fresh.next(s.loc);
      const value = this.declarePattern(s.args[s.args.length - 2]!, 'declared', false);
      out.push({ ...eqExpr(value, index(domain, key, s.loc), e.loc), with: this.withs(e) });
    }
    return out;
  }

  term(t: Term): Term {
    switch (t.type) {
      case 'var': return this.varTerm(t);
      case 'ref': {
        const [head, ...rest] = t.terms;
        let terms: Term[];
        if (head?.type === 'var') {
          const h = this.varTerm(head);
          terms = h.type === 'ref' ? [...h.terms] : [h];
        } else {
          terms = [this.term(head!)];
        }
        for (const x of rest) terms.push(this.term(x));
        return ref(terms, t.loc);
      }
      case 'array': case 'set': return { ...t, items: t.items.map((x) => this.term(x)) };
      case 'object': return { ...t, items: t.items.map(([k, x]) => [this.term(k), this.term(x)] as [Term, Term]) };
      case 'arraycomp': case 'setcomp': {
        this.push(t.body, []);
        const body = this.body(t.body);
        const head = this.term(t.head);
        this.scopes.pop();
        return { ...t, head, body };
      }
      case 'objectcomp': {
        this.push(t.body, []);
        const body = this.body(t.body);
        const key = this.term(t.key);
        const value = this.term(t.value);
        this.scopes.pop();
        return { ...t, key, value, body };
      }
      case 'call': {
        const target = resolveCall(this.env.names, this.env.table, t.operator, t.args.length, false, t.loc, this.env.problems);
        return { ...t, operator: target?.operator ?? t.operator, args: t.args.map((a) => this.term(a)) };
      }
      case 'template': return { ...t, parts: t.parts.map((p) => (typeof p === 'string' ? p : this.term(p))) };
      default: return { ...t };
    }
  }

  private varTerm(t: VarTerm): Term {
    if (t.name === '_') return this.env.fresh.next(t.loc, '_');
    const local = this.lookupLocal(t.name);
    if (local !== undefined) return v(local, t.loc);
    if (!this.ignored(t.name)) {
      const g = globalRef(this.env.names, t.name, t.loc);
      if (g) return ref(g, t.loc);
    }
    if (!this.top.occurrence.has(t.name) && t.name !== 'input' && t.name !== 'data') this.top.occurrence.set(t.name, 'seen');
    return v(t.name, t.loc);
  }
}

/** `coll[key]`, flattening when `coll` is already a ref or a var. */
function index(coll: Term, key: Term, loc: Location): RefTerm {
  if (coll.type === 'ref') return ref([...coll.terms, key], loc);
  return ref([coll, key], loc);
}
