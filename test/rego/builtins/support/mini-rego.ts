// A deliberately small Rego interpreter for tests only: enough of the
// language (constants, rule bodies with unification, `some x in`, `not`,
// array comprehensions, refs with `_`, builtin calls) to run OPA's
// conformance cases for TypeScript builtins before the compiler exists.
// It is not the product's evaluator and makes no attempt at completeness;
// unsupported syntax throws `Unsupported`, so a case is reported as skipped.

import { BuiltinError, RegoSet, type RegoValue } from '../../../../src/rego/builtins/types.js';
import { lookupBuiltin } from '../../../../src/rego/builtins/registry.js';
import { checkArgs } from '../../../../src/rego/builtins/operands.js';
import { compare, equal, getMember, isObject, makeObject, makeSet, objectEntries, setItems } from '../../../../src/rego/builtins/value.js';

export class Unsupported extends Error {}

// ---------------------------------------------------------------- lexing

type Tok = { k: 'id' | 'str' | 'num' | 'op' | 'nl' | 'eof'; v: string; n?: number };

function lex(src: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (c === '#') {
      while (i < src.length && src[i] !== '\n') i++;
    } else if (c === '\n' || c === ';') {
      out.push({ k: 'nl', v: '\n' });
      i++;
    } else if (/\s/.test(c)) i++;
    else if (c === '"') {
      let j = i + 1;
      while (src[j] !== '"') j += src[j] === '\\' ? 2 : 1;
      out.push({ k: 'str', v: JSON.parse(src.slice(i, j + 1)) as string });
      i = j + 1;
    } else if (c === '`') {
      const j = src.indexOf('`', i + 1);
      out.push({ k: 'str', v: src.slice(i + 1, j) });
      i = j + 1;
    } else if (/[0-9]/.test(c)) {
      const m = /^[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(src.slice(i))!;
      out.push({ k: 'num', v: m[0], n: Number(m[0]) });
      i += m[0].length;
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i))!;
      out.push({ k: 'id', v: m[0] });
      i += m[0].length;
    } else {
      const two = src.slice(i, i + 2);
      const op = [':=', '==', '!=', '<=', '>='].includes(two) ? two : c;
      out.push({ k: 'op', v: op });
      i += op.length;
    }
  }
  out.push({ k: 'eof', v: '' });
  return out;
}

// ---------------------------------------------------------------- syntax

export type Expr =
  | { t: 'lit'; v: RegoValue }
  | { t: 'var'; name: string }
  | { t: 'ref'; head: Expr; path: Expr[] }
  | { t: 'call'; name: string; args: Expr[] }
  | { t: 'array'; items: Expr[] }
  | { t: 'object'; entries: Array<[Expr, Expr]> }
  | { t: 'set'; items: Expr[] }
  | { t: 'compr'; head: Expr; body: Stmt[] }
  | { t: 'bin'; op: string; l: Expr; r: Expr };

type Stmt =
  | { t: 'expr'; e: Expr }
  | { t: 'not'; s: Stmt }
  | { t: 'some'; v: string; coll: Expr }
  | { t: 'assign'; op: string; l: Expr; r: Expr };

interface Rule {
  pkg: string;
  name: string;
  kind: 'complete' | 'contains';
  value: Expr;
  body: Stmt[];
}

class Parser {
  private p = 0;
  constructor(private readonly toks: Tok[]) {}
  private peek(o = 0): Tok {
    return this.toks[this.p + o]!;
  }
  private next(): Tok {
    return this.toks[this.p++]!;
  }
  private is(v: string): boolean {
    const t = this.peek();
    return (t.k === 'op' || t.k === 'id') && t.v === v;
  }
  private expect(v: string): void {
    const t = this.next();
    if (t.v !== v) throw new Unsupported(`expected ${v}, got ${t.v}`);
  }
  private skipNl(): void {
    while (this.peek().k === 'nl') this.p++;
  }

  module(): Rule[] {
    const rules: Rule[] = [];
    this.skipNl();
    this.expect('package');
    const pkg: string[] = [this.next().v];
    while (this.is('.')) {
      this.next();
      pkg.push(this.next().v);
    }
    for (;;) {
      this.skipNl();
      if (this.peek().k === 'eof') return rules;
      if (this.is('import')) {
        while (this.peek().k !== 'nl' && this.peek().k !== 'eof') this.next();
        continue;
      }
      if (this.is('package')) {
        // A second module in the same text: only same-package modules are used by the cases.
        this.next();
        while (this.peek().k !== 'nl') this.next();
        continue;
      }
      rules.push(this.rule(pkg.join('.')));
    }
  }

  private rule(pkg: string): Rule {
    const name = this.next().v;
    if (this.is('(') || this.is('[')) throw new Unsupported('functions and partial rules');
    let kind: Rule['kind'] = 'complete';
    let value: Expr = { t: 'lit', v: true };
    if (this.is('contains')) {
      this.next();
      kind = 'contains';
      value = this.expr();
    } else if (this.is(':=') || this.is('=')) {
      this.next();
      value = this.expr();
    }
    let body: Stmt[] = [];
    if (this.is('if')) {
      this.next();
      body = this.block();
    } else if (this.is('{')) body = this.block();
    return { pkg, name, kind, value, body };
  }

  private block(): Stmt[] {
    this.expect('{');
    const out: Stmt[] = [];
    for (;;) {
      this.skipNl();
      if (this.is('}')) {
        this.next();
        return out;
      }
      out.push(this.stmt());
    }
  }

  private stmt(): Stmt {
    if (this.is('not')) {
      this.next();
      return { t: 'not', s: this.stmt() };
    }
    if (this.is('some')) {
      this.next();
      const v = this.next().v;
      if (this.is(',')) throw new Unsupported('some k, v in');
      this.expect('in');
      return { t: 'some', v, coll: this.expr() };
    }
    if (this.is('every')) throw new Unsupported('every');
    const l = this.expr();
    for (const op of [':=', '=', '==', '!=']) {
      if (this.is(op)) {
        this.next();
        return { t: 'assign', op, l, r: this.expr() };
      }
    }
    return { t: 'expr', e: l };
  }

  expr(): Expr {
    let l = this.mulExpr();
    while (this.is('+') || this.is('-')) {
      const op = this.next().v;
      l = { t: 'bin', op, l, r: this.mulExpr() };
    }
    return l;
  }

  private mulExpr(): Expr {
    let l = this.term();
    while (this.is('*') || this.is('/')) {
      const op = this.next().v;
      l = { t: 'bin', op, l, r: this.term() };
    }
    return l;
  }

  private list(close: string): Expr[] {
    const items: Expr[] = [];
    for (;;) {
      this.skipNl();
      if (this.is(close)) {
        this.next();
        return items;
      }
      items.push(this.expr());
      this.skipNl();
      if (this.is(',')) this.next();
    }
  }

  private term(): Expr {
    this.skipNl();
    const t = this.next();
    let e: Expr;
    if (t.k === 'str') e = { t: 'lit', v: t.v };
    else if (t.k === 'num') e = { t: 'lit', v: t.n! };
    else if (t.k === 'op' && t.v === '-') {
      const n = this.next();
      if (n.k !== 'num') throw new Unsupported('unary minus');
      e = { t: 'lit', v: -n.n! };
    } else if (t.k === 'op' && t.v === '(') {
      e = this.expr();
      this.skipNl();
      this.expect(')');
    } else if (t.k === 'op' && t.v === '[') {
      this.skipNl();
      if (this.is(']')) {
        this.next();
        e = { t: 'array', items: [] };
      } else {
        const first = this.expr();
        this.skipNl();
        if (this.is('|')) {
          this.next();
          const body: Stmt[] = [];
          for (;;) {
            this.skipNl();
            if (this.is(']')) {
              this.next();
              break;
            }
            body.push(this.stmt());
          }
          e = { t: 'compr', head: first, body };
        } else {
          if (this.is(',')) this.next();
          e = { t: 'array', items: [first, ...this.list(']')] };
        }
      }
    } else if (t.k === 'op' && t.v === '{') {
      this.skipNl();
      if (this.is('}')) {
        this.next();
        e = { t: 'object', entries: [] };
      } else {
        const first = this.expr();
        this.skipNl();
        if (this.is(':')) {
          this.next();
          const entries: Array<[Expr, Expr]> = [[first, this.expr()]];
          for (;;) {
            this.skipNl();
            if (this.is(',')) this.next();
            this.skipNl();
            if (this.is('}')) {
              this.next();
              break;
            }
            const k = this.expr();
            this.skipNl();
            this.expect(':');
            entries.push([k, this.expr()]);
          }
          e = { t: 'object', entries };
        } else {
          if (this.is('|')) throw new Unsupported('set comprehension');
          if (this.is(',')) this.next();
          e = { t: 'set', items: [first, ...this.list('}')] };
        }
      }
    } else if (t.k === 'id') {
      if (t.v === 'true' || t.v === 'false') e = { t: 'lit', v: t.v === 'true' };
      else if (t.v === 'null') e = { t: 'lit', v: null };
      else {
        const parts = [t.v];
        while (this.is('.') && this.peek(1).k === 'id') {
          this.next();
          parts.push(this.next().v);
        }
        if (this.is('(')) {
          this.next();
          const args = this.list(')');
          const name = parts.join('.');
          e = name === 'set' && args.length === 0 ? { t: 'set', items: [] } : { t: 'call', name, args };
        } else {
          e = { t: 'var', name: parts[0]! };
          if (parts.length > 1) e = { t: 'ref', head: e, path: parts.slice(1).map((v) => ({ t: 'lit', v })) };
        }
      }
    } else throw new Unsupported(`unexpected ${t.v}`);
    // Postfix: .field and [index].
    for (;;) {
      if (this.is('.') && this.peek(1).k === 'id') {
        this.next();
        const f: Expr = { t: 'lit', v: this.next().v };
        e = e.t === 'ref' ? { ...e, path: [...e.path, f] } : { t: 'ref', head: e, path: [f] };
      } else if (this.is('[')) {
        this.next();
        const idx = this.expr();
        this.expect(']');
        e = e.t === 'ref' ? { ...e, path: [...e.path, idx] } : { t: 'ref', head: e, path: [idx] };
      } else return e;
    }
  }
}

export function parseTerm(src: string): Expr {
  return new Parser(lex(src)).expr();
}

// ---------------------------------------------------------------- evaluation

type Env = Map<string, RegoValue>;

export interface Program {
  rules: Rule[];
  input: RegoValue | undefined;
  data: RegoValue;
  nowNs: bigint;
}

export function load(modules: string[], input: RegoValue | undefined, data: RegoValue, nowNs: bigint): Program {
  return { rules: modules.flatMap((m) => new Parser(lex(m)).module()), input, data, nowNs };
}

const UNDEF = Symbol('undefined');

class Evaluator {
  private readonly cache = new Map<string, RegoValue | typeof UNDEF>();
  constructor(private readonly prog: Program) {}

  rule(pkg: string, name: string): RegoValue | typeof UNDEF {
    const key = `${pkg}.${name}`;
    if (this.cache.has(key)) return this.cache.get(key)!;
    const defs = this.prog.rules.filter((r) => r.pkg === pkg && r.name === name);
    let out: RegoValue | typeof UNDEF = UNDEF;
    if (defs.length && defs.every((d) => d.kind === 'contains')) {
      const items: RegoValue[] = [];
      for (const d of defs) for (const env of this.body(d.body, new Map(), pkg)) for (const [v] of this.expr(d.value, env, pkg)) items.push(v);
      out = makeSet(items);
    } else {
      outer: for (const d of defs) {
        for (const env of this.body(d.body, new Map(), pkg)) {
          for (const [v] of this.expr(d.value, env, pkg)) {
            out = v;
            break outer;
          }
        }
      }
    }
    this.cache.set(key, out);
    return out;
  }

  *body(stmts: Stmt[], env: Env, pkg: string, i = 0): Generator<Env> {
    if (i === stmts.length) {
      yield env;
      return;
    }
    for (const e of this.stmt(stmts[i]!, env, pkg)) yield* this.body(stmts, e, pkg, i + 1);
  }

  private *stmt(s: Stmt, env: Env, pkg: string): Generator<Env> {
    switch (s.t) {
      case 'not': {
        for (const _ of this.stmt(s.s, env, pkg)) return;
        yield env;
        return;
      }
      case 'some':
        for (const [coll, e1] of this.expr(s.coll, env, pkg)) {
          const items = Array.isArray(coll) ? coll : coll instanceof RegoSet ? setItems(coll) : isObject(coll) ? objectEntries(coll).map(([, v]) => v) : [];
          for (const it of items) yield new Map(e1).set(s.v, it);
        }
        return;
      case 'expr': {
        if (s.e.t === 'call' && this.isOutputCall(s.e)) {
          const args = s.e.args;
          for (const [v, e1] of this.callValues(s.e.name, args.slice(0, -1), env, pkg)) yield* this.unify(args[args.length - 1]!, v, e1, pkg);
          return;
        }
        for (const [v, e1] of this.expr(s.e, env, pkg)) if (v !== false) yield e1;
        return;
      }
      case 'assign': {
        if (s.op === '==' || s.op === '!=') {
          for (const [a, e1] of this.expr(s.l, env, pkg))
            for (const [b, e2] of this.expr(s.r, e1, pkg)) if (equal(a, b) === (s.op === '==')) yield e2;
          return;
        }
        // Unification: evaluate the side that is not a pattern.
        const [pat, val] = this.isPattern(s.l, env) ? [s.l, s.r] : [s.r, s.l];
        for (const [v, e1] of this.expr(val, env, pkg)) yield* this.unify(pat, v, e1, pkg);
      }
    }
  }

  private isOutputCall(e: Extract<Expr, { t: 'call' }>): boolean {
    const decl = lookupBuiltin(e.name);
    return !!decl && !decl.variadic && e.args.length === decl.args.length + 1;
  }

  private isPattern(e: Expr, env: Env): boolean {
    if (e.t === 'var') return !env.has(e.name) && !this.prog.rules.some((r) => r.name === e.name);
    if (e.t === 'array') return e.items.some((x) => this.isPattern(x, env));
    return false;
  }

  private *unify(pat: Expr, v: RegoValue, env: Env, pkg: string): Generator<Env> {
    if (pat.t === 'var' && pat.name === '_') {
      yield env;
      return;
    }
    if (pat.t === 'var' && this.isPattern(pat, env)) {
      yield new Map(env).set(pat.name, v);
      return;
    }
    if (pat.t === 'array' && this.isPattern(pat, env)) {
      if (!Array.isArray(v) || v.length !== pat.items.length) return;
      const step = function* (this: Evaluator, i: number, e: Env): Generator<Env> {
        if (i === pat.items.length) {
          yield e;
          return;
        }
        for (const e2 of this.unify(pat.items[i]!, v[i]!, e, pkg)) yield* step.call(this, i + 1, e2);
      };
      yield* step.call(this, 0, env);
      return;
    }
    for (const [x, e1] of this.expr(pat, env, pkg)) if (equal(x, v)) yield e1;
  }

  private *callValues(name: string, args: Expr[], env: Env, pkg: string): Generator<[RegoValue, Env]> {
    const decl = lookupBuiltin(name);
    if (!decl?.impl) throw new Unsupported(`no builtin ${name}`);
    const vals = function* (this: Evaluator, i: number, acc: RegoValue[], e: Env): Generator<[RegoValue[], Env]> {
      if (i === args.length) {
        yield [acc, e];
        return;
      }
      for (const [v, e2] of this.expr(args[i]!, e, pkg)) yield* vals.call(this, i + 1, [...acc, v], e2);
    };
    for (const [argv, e] of vals.call(this, 0, [], env)) {
      checkArgs(decl.args, argv, decl.variadic);
      let r: RegoValue | undefined;
      try {
        r = decl.impl(argv, { nowNs: this.prog.nowNs, cache: new Map() });
      } catch (err) {
        if (err instanceof BuiltinError) throw new CaseError(name, err);
        throw err;
      }
      if (r !== undefined) yield [r, e];
    }
  }

  *expr(e: Expr, env: Env, pkg: string): Generator<[RegoValue, Env]> {
    switch (e.t) {
      case 'lit':
        yield [e.v, env];
        return;
      case 'var': {
        if (env.has(e.name)) yield [env.get(e.name)!, env];
        else if (e.name === 'input') {
          if (this.prog.input !== undefined) yield [this.prog.input, env];
        } else if (e.name === 'data') yield [this.dataRoot(), env];
        else {
          const v = this.rule(pkg, e.name);
          if (v !== UNDEF) yield [v, env];
        }
        return;
      }
      case 'ref':
        yield* this.ref(e, env, pkg);
        return;
      case 'call':
        yield* this.callValues(e.name, e.args, env, pkg);
        return;
      case 'array': {
        yield* this.many(e.items, env, pkg, (vs) => vs);
        return;
      }
      case 'set':
        yield* this.many(e.items, env, pkg, (vs) => makeSet(vs));
        return;
      case 'object':
        yield* this.many(
          e.entries.flat(),
          env,
          pkg,
          (vs) => makeObject(vs.flatMap((v, i) => (i % 2 ? [] : [[v, vs[i + 1]!] as [RegoValue, RegoValue]]))),
        );
        return;
      case 'compr': {
        const out: RegoValue[] = [];
        for (const e1 of this.body(e.body, env, pkg)) for (const [v] of this.expr(e.head, e1, pkg)) out.push(v);
        yield [out, env];
        return;
      }
      case 'bin':
        for (const [a, e1] of this.expr(e.l, env, pkg))
          for (const [b, e2] of this.expr(e.r, e1, pkg)) {
            if (typeof a !== 'number' || typeof b !== 'number') throw new Unsupported('non-numeric arithmetic');
            yield [e.op === '+' ? a + b : e.op === '-' ? a - b : e.op === '*' ? a * b : a / b, e2];
          }
    }
  }

  private *many(items: Expr[], env: Env, pkg: string, build: (vs: RegoValue[]) => RegoValue): Generator<[RegoValue, Env]> {
    const step = function* (this: Evaluator, i: number, acc: RegoValue[], e: Env): Generator<[RegoValue, Env]> {
      if (i === items.length) {
        yield [build(acc), e];
        return;
      }
      for (const [v, e2] of this.expr(items[i]!, e, pkg)) yield* step.call(this, i + 1, [...acc, v], e2);
    };
    yield* step.call(this, 0, [], env);
  }

  private dataRoot(): RegoValue {
    return this.prog.data;
  }

  private *ref(e: Extract<Expr, { t: 'ref' }>, env: Env, pkg: string): Generator<[RegoValue, Env]> {
    // data.<pkg>.<rule>...: resolve rules of a loaded package first.
    if (e.head.t === 'var' && e.head.name === 'data' && !env.has('data')) {
      const names = e.path.map((p) => (p.t === 'lit' && typeof p.v === 'string' ? p.v : undefined));
      for (let n = names.length - 1; n >= 1; n--) {
        const rulePkg = names.slice(0, n).join('.');
        const ruleName = names[n];
        if (names.slice(0, n + 1).every((x) => x !== undefined) && this.prog.rules.some((r) => r.pkg === rulePkg && r.name === ruleName)) {
          const v = this.rule(rulePkg, ruleName!);
          if (v === UNDEF) return;
          yield* this.walk(v, e.path.slice(n + 1), env, pkg);
          return;
        }
      }
    }
    for (const [head, e1] of this.expr(e.head, env, pkg)) yield* this.walk(head, e.path, e1, pkg);
  }

  private *walk(v: RegoValue, path: Expr[], env: Env, pkg: string): Generator<[RegoValue, Env]> {
    if (path.length === 0) {
      yield [v, env];
      return;
    }
    const [first, ...rest] = path;
    if (first!.t === 'var' && (first!.name === '_' || !env.has(first!.name)) && !this.prog.rules.some((r) => r.name === (first as { name: string }).name)) {
      const name = first!.name;
      const entries: Array<[RegoValue, RegoValue]> = Array.isArray(v)
        ? v.map((x, i) => [i, x])
        : v instanceof RegoSet
          ? setItems(v).map((x) => [x, x])
          : isObject(v)
            ? objectEntries(v)
            : [];
      for (const [k, x] of entries) yield* this.walk(x, rest, name === '_' ? env : new Map(env).set(name, k), pkg);
      return;
    }
    for (const [k, e1] of this.expr(first!, env, pkg)) {
      const m = getMember(v, k);
      if (m !== undefined) yield* this.walk(m, rest, e1, pkg);
    }
  }
}

/** A builtin error raised while evaluating a case, with OPA's "name: message" text. */
export class CaseError extends Error {
  constructor(
    public readonly builtin: string,
    public readonly error: BuiltinError,
  ) {
    super(`${builtin}: ${error.message}`);
  }
  get code(): string {
    return this.error.code;
  }
}

/** Evaluates `data.a.b` (the only query shape these cases use); undefined → `undefined`. */
export function query(prog: Program, ref: string): RegoValue | undefined {
  const ev = new Evaluator(prog);
  for (const [v] of ev.expr(parseTerm(ref), new Map(), '')) return v;
  return undefined;
}

export { compare };
