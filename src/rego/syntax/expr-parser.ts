// Terms, expressions and bodies, following OPA's recursive-descent grammar.
//
// Operator precedence, loosest first (all left-associative):
//   `x in xs` / `k, v in xs`  <  == != < <= > >=  <  |  <  &  <  + -  <  * / %
// A bare `-` in term position starts a negative number (`x - 1` is minus,
// `[-1]` is a literal); in front of any other term it means `0 - term`.
// Refs and calls only continue on adjacent tokens: `a[1]` is a ref, `a [1]`
// is two terms.

import type {
  Body, CallTerm, Expr, ExprKind, Location, ObjectTerm, RefTerm, Term, VarTerm, With,
} from './ast.js';
import type { Punct, Token } from './lexer.js';
import { TokenStream } from './token-stream.js';

type BodyEnd = '}' | ']' | 'eof';

const RELATION_OPS: Partial<Record<Punct, string>> = { '==': 'equal', '!=': 'neq', '<': 'lt', '<=': 'lte', '>': 'gt', '>=': 'gte' };
const ARITH_OPS: Partial<Record<Punct, string>> = { '+': 'plus', '-': 'minus' };
const FACTOR_OPS: Partial<Record<Punct, string>> = { '*': 'mul', '/': 'div', '%': 'rem' };

/** `count` -> [var count]; `internal.member_2` -> [var internal, string member_2]. */
export function builtinRef(name: string, loc: Location): RefTerm {
  const [head, ...rest] = name.split('.');
  const terms: Term[] = [{ type: 'var', name: head!, loc }];
  for (const r of rest) terms.push({ type: 'string', value: r, loc });
  return { type: 'ref', terms, loc };
}

function callTerm(op: string, args: Term[], loc: Location): CallTerm {
  return { type: 'call', operator: builtinRef(op, loc), args, loc };
}

/** OPA's names for term types in messages such as "string cannot be used for rule name". */
export function termTypeName(t: Term): string {
  switch (t.type) {
    case 'arraycomp': return 'array comprehension';
    case 'setcomp': return 'set comprehension';
    case 'objectcomp': return 'object comprehension';
    case 'template': return 'template-string';
    default: return t.type;
  }
}

function isOperator(t: Term, name: string): boolean {
  if (t.type !== 'call') return false;
  const parts = name.split('.');
  const terms = t.operator.terms;
  return terms.length === parts.length && terms.every((x, i) => (i === 0 ? x.type === 'var' && x.name === parts[0] : x.type === 'string' && x.value === parts[i]));
}

export class ExprParser extends TokenStream {
  /** Fresh names for vars the parser introduces (template `with` lowering). */
  private generated = 0;

  // ------------------------------------------------------------- bodies

  /** Literals separated by `;` or newlines up to `end` (not consumed). */
  protected parseBody(end: BodyEnd): Body {
    if (this.atEnd(end)) this.fail(this.tok.loc, 'found empty body');
    const body: Body = [];
    for (;;) {
      body.push(this.parseLiteral());
      if (this.isPunct(';')) {
        this.next();
        continue;
      }
      if (this.atEnd(end)) return body;
      if (!this.tok.nlBefore) this.illegal(`expected \\n or ; or ${end === 'eof' ? 'EOF' : end}`);
    }
  }

  private atEnd(end: BodyEnd): boolean {
    return end === 'eof' ? this.tok.kind === 'eof' : this.isPunct(end);
  }

  /** `{ body }` starting at the `{`; consumes the `}`. */
  protected parseBraceBody(): Body {
    this.expectPunct('{');
    const body = this.parseBody('}');
    this.next();
    return body;
  }

  protected parseLiteral(): Expr {
    const loc = this.tok.loc;
    let negated = false;
    if (this.isKeyword('not')) {
      this.next();
      negated = true;
    }
    if (this.isKeyword('some')) {
      if (negated) this.illegal("illegal negation of 'some'");
      return this.withModifiers({ kind: this.parseSome(), negated, with: [], loc });
    }
    if (this.isKeyword('every')) {
      if (negated) this.illegal("illegal negation of 'every'");
      return this.withModifiers({ kind: this.parseEvery(), negated, with: [], loc });
    }
    return this.withModifiers({ kind: this.parseExprKind(), negated, with: [], loc });
  }

  private withModifiers(expr: Expr): Expr {
    while (this.isKeyword('with')) {
      const loc = this.next().loc;
      if (this.tok.kind !== 'ident') this.illegal('expected ident');
      const target = this.parseTerm();
      let ref: RefTerm;
      if (target.type === 'ref') ref = target;
      else if (target.type === 'var') ref = { type: 'ref', terms: [target], loc: target.loc };
      else this.fail(target.loc, 'unexpected term: expected with target path');
      if (!this.isKeyword('as')) this.illegal('expected as keyword');
      this.next();
      expr.with.push({ target: ref, value: this.parseInfix(true), loc } satisfies With);
    }
    return expr;
  }

  private parseExprKind(): ExprKind {
    const lhs = this.parseInfix(true);
    if (this.isPunct(':=') || this.isPunct('=')) {
      const opTok = this.next();
      const rhs = this.parseInfix(true);
      return { type: 'call', operator: builtinRef(this.isAssign(opTok) ? 'assign' : 'eq', opTok.loc), args: [lhs, rhs] };
    }
    if (lhs.type === 'call') return { type: 'call', operator: lhs.operator, args: lhs.args };
    return { type: 'term', term: lhs };
  }

  private isAssign(t: Token): boolean {
    return this.isPunct(':=', t);
  }

  private parseSome(): ExprKind {
    const someTok = this.next();
    const m = this.mark();
    try {
      const term = this.parseInfix(true);
      if (isOperator(term, 'internal.member_2') || isOperator(term, 'internal.member_3')) return { type: 'some', symbols: [term] };
    } catch {
      // Not `some x in xs`: fall back to a declaration list.
    }
    this.reset(m);
    const symbols: Term[] = [];
    for (;;) {
      if (this.tok.kind !== 'ident' || this.isReserved(this.tok)) this.illegal('expected var');
      const t = this.next() as Token & { kind: 'ident' };
      symbols.push({ type: 'var', name: t.text, loc: t.loc });
      if (!this.isPunct(',')) break;
      this.next();
    }
    if (symbols.length === 0) this.fail(someTok.loc, 'expected var');
    return { type: 'some', symbols };
  }

  private parseEvery(): ExprKind {
    this.next();
    const start = this.tok;
    const term = this.parseInfix(true);
    let key: Term | null = null;
    let value: Term;
    let domain: Term;
    if (isOperator(term, 'internal.member_2')) {
      [value, domain] = (term as CallTerm).args as [Term, Term];
    } else if (isOperator(term, 'internal.member_3')) {
      [key, value, domain] = (term as CallTerm).args as [Term, Term, Term];
      if (key.type !== 'var') this.fail(key.loc, 'unexpected term: expected key to be a variable');
    } else {
      this.illegal('expected `x[, y] in xs { ... }` expression', start);
    }
    if (value.type !== 'var') this.fail(value.loc, 'unexpected term: expected value to be a variable');
    if (!this.isPunct('{')) this.illegal('missing body');
    const body = this.parseBraceBody();
    return { type: 'every', key, value, domain, body };
  }

  // ----------------------------------------------------- infix operators

  /**
   * An infix expression. `keyVal` allows `k, v in xs`; it is off inside
   * lists (call args, array/set/object items) where the comma separates items.
   */
  protected parseInfix(keyVal: boolean): Term {
    let lhs = this.parseRelation();
    if (keyVal && this.isPunct(',')) {
      const m = this.mark();
      this.next();
      try {
        const mhs = this.parseRelation();
        if (this.isKeyword('in')) {
          this.next();
          lhs = callTerm('internal.member_3', [lhs, mhs, this.parseRelation()], lhs.loc);
        } else {
          this.reset(m);
        }
      } catch {
        this.reset(m);
      }
    }
    while (this.isKeyword('in')) {
      this.next();
      lhs = callTerm('internal.member_2', [lhs, this.parseRelation()], lhs.loc);
    }
    return lhs;
  }

  private parseBinary(ops: Partial<Record<Punct, string>>, operand: () => Term): Term {
    let lhs = operand();
    for (;;) {
      const t = this.tok;
      const op = t.kind === 'punct' ? ops[t.text] : undefined;
      if (!op) return lhs;
      this.next();
      lhs = callTerm(op, [lhs, operand()], lhs.loc);
    }
  }

  private parseRelation(): Term {
    return this.parseBinary(RELATION_OPS, () => this.parseOr());
  }
  private parseOr(): Term {
    return this.parseBinary({ '|': 'or' }, () => this.parseAnd());
  }
  private parseAnd(): Term {
    return this.parseBinary({ '&': 'and' }, () => this.parseArith());
  }
  private parseArith(): Term {
    return this.parseBinary(ARITH_OPS, () => this.parseFactor());
  }
  private parseFactor(): Term {
    return this.parseBinary(FACTOR_OPS, () => this.parseTerm());
  }

  // --------------------------------------------------------------- terms

  /**
   * Results of parseTerm by start token. Collections and comprehensions are
   * parsed speculatively and re-parsed on a miss; without the cache nested
   * cases such as `[[[x] + 1] + 1]` would take exponential time.
   */
  private readonly termCache = new Map<number, { term?: Term; error?: unknown; end: number }>();

  protected parseTerm(): Term {
    const start = this.mark();
    const hit = this.termCache.get(start);
    if (hit) {
      if (hit.error !== undefined) throw hit.error;
      this.reset(hit.end);
      return hit.term!;
    }
    try {
      const term = this.parseTermUncached();
      this.termCache.set(start, { term, end: this.mark() });
      return term;
    } catch (e) {
      this.termCache.set(start, { error: e, end: this.mark() });
      throw e;
    }
  }

  private parseTermUncached(): Term {
    const t = this.tok;
    switch (t.kind) {
      case 'number':
        this.next();
        return this.parsePostfix(this.numberTerm('', t));
      case 'string':
        this.next();
        return this.parsePostfix({ type: 'string', value: t.value, loc: t.loc });
      case 'tmplstart':
        return this.parsePostfix(this.parseTemplate());
      case 'ident':
        return this.parsePostfix(this.parseWord());
      case 'punct':
        switch (t.text) {
          case '[': return this.parsePostfix(this.parseArray());
          case '{': return this.parsePostfix(this.parseSetOrObject());
          case '(': {
            this.next();
            const inner = this.parseInfix(true);
            if (!this.isPunct(')')) this.fail(this.tok.loc, 'non-terminated expression');
            this.next();
            return this.parsePostfix(inner);
          }
          case '-': return this.parseNegative();
          case '.': return this.parsePostfix(this.parseLeadingDotNumber('', t));
        }
    }
    return this.illegal();
  }

  private parseWord(): Term {
    const t = this.next() as Token & { kind: 'ident' };
    const loc = t.loc;
    // A keyword directly followed by `.`/`[` is a ref head (`not.foo`, `true.x`).
    const refHead = this.isPunct('.') && !this.tok.spaceBefore || this.isPunct('[') && !this.tok.spaceBefore;
    if (!refHead) {
      if (t.text === 'null') return { type: 'null', loc };
      if (t.text === 'true' || t.text === 'false') return { type: 'boolean', value: t.text === 'true', loc };
      // `contains` is only special in rule heads.
      if (this.keywords.has(t.text) && t.text !== 'contains') this.illegal(undefined, t);
    }
    const v: VarTerm = { type: 'var', name: t.text, loc };
    if ((t.text === 'input' || t.text === 'data') && !this.continuesRef()) return { type: 'ref', terms: [v], loc };
    return v;
  }

  private continuesRef(): boolean {
    return !this.tok.spaceBefore && (this.isPunct('.') || this.isPunct('[') || this.isPunct('('));
  }

  private numberTerm(sign: string, t: Token & { kind: 'number' }, loc: Location = t.loc): Term {
    const text = t.text;
    if (text.length > 1 && text[0] === '0' && text[1] !== '.' && text[1] !== 'e' && text[1] !== 'E') {
      this.fail(t.loc, 'unexpected number token: expected number without leading zero');
    }
    return { type: 'number', value: sign + text, loc };
  }

  /** `.5` (OPA accepts a leading dot). */
  private parseLeadingDotNumber(sign: string, dot: Token): Term {
    this.next();
    const n = this.tok;
    if (n.kind !== 'number' || n.spaceBefore || !/^[0-9]+([eE][+-]?[0-9]+)?$/.test(n.text)) this.illegal('expected number');
    this.next();
    return { type: 'number', value: `${sign}0.${n.text}`, loc: dot.loc };
  }

  private parseNegative(): Term {
    const minus = this.next();
    const n = this.tok;
    if (n.kind === 'number') {
      this.next();
      return this.parsePostfix(this.numberTerm('-', n, minus.loc));
    }
    if (this.isPunct('.')) return this.parsePostfix(this.parseLeadingDotNumber('-', minus));
    // Unary minus on anything else: 0 - x.
    const operand = this.parseTerm();
    return callTerm('minus', [{ type: 'number', value: '0', loc: minus.loc }, operand], minus.loc);
  }

  /** Refs and calls on an already parsed term: `.b`, `[k]`, `(args)`. */
  protected parsePostfix(head: Term): Term {
    let term = head;
    while (this.continuesRef()) {
      if (this.isPunct('(')) {
        term = this.parseCall(term);
        continue;
      }
      const ref = this.asRefForExtension(term);
      if (this.isPunct('.')) {
        this.next();
        const k = this.tok;
        if (k.kind !== 'ident' || k.spaceBefore) this.illegal('expected ident');
        this.next();
        ref.terms.push({ type: 'string', value: k.text, loc: k.loc });
      } else {
        this.next();
        const key = this.parseInfix(true);
        if (!this.isPunct(']')) this.illegal('expected ]');
        this.next();
        ref.terms.push(key);
      }
      term = ref;
    }
    return term;
  }

  private asRefForExtension(term: Term): RefTerm {
    switch (term.type) {
      // Copied: the term may be shared through the term cache.
      case 'ref': return { ...term, terms: [...term.terms] };
      case 'var': case 'array': case 'set': case 'object': case 'arraycomp': case 'setcomp': case 'objectcomp': case 'call':
        return { type: 'ref', terms: [term], loc: term.loc };
      default:
        return this.fail(term.loc, `illegal ref (head cannot be ${termTypeName(term)})`);
    }
  }

  private parseCall(operator: Term): Term {
    const open = this.next();
    let opRef: RefTerm;
    if (operator.type === 'var') opRef = { type: 'ref', terms: [operator], loc: operator.loc };
    else if (operator.type === 'ref' && operator.terms[0]!.type === 'var') opRef = operator;
    else return this.fail(open.loc, `illegal call (operator cannot be ${termTypeName(operator)})`);
    const args = this.parseTermList(')');
    if (args.length === 0 && opRef.terms.length === 1 && (opRef.terms[0] as VarTerm).name === 'set') {
      return { type: 'set', items: [], loc: operator.loc };
    }
    return { type: 'call', operator: opRef, args, loc: operator.loc };
  }

  /** Comma separated items up to `end` (consumed); a trailing comma is allowed. */
  private parseTermList(end: Punct, first: Term[] = []): Term[] {
    const items = first;
    while (!this.isPunct(end)) {
      items.push(this.parseInfix(false));
      if (this.isPunct(',')) {
        this.next();
        continue;
      }
      if (!this.isPunct(end)) this.illegal(`expected "," or "${end}"`);
    }
    this.next();
    return items;
  }

  /**
   * Tries `<head> | body <end>`; rewinds and returns undefined when it is
   * not a comprehension so the caller can parse a plain collection (`{1 | 2}`
   * is a set comprehension, as in OPA; write `{(1 | 2)}` for the set).
   */
  private tryComprehensionBody(end: ']' | '}'): Body | undefined {
    const m = this.mark();
    try {
      this.next(); // '|'
      const body = this.parseBody(end);
      this.next();
      return body;
    } catch (e) {
      this.reset(m);
      return undefined;
    }
  }

  private parseArray(): Term {
    const loc = this.next().loc;
    if (this.isPunct(']')) {
      this.next();
      return { type: 'array', items: [], loc };
    }
    // Leading comma accepted for compatibility with OPA.
    let maybeComp = true;
    if (this.isPunct(',')) {
      this.next();
      maybeComp = false;
    }
    const m = this.mark();
    const head = this.tryParse(() => this.parseTerm());
    if (head) {
      // Reuse the parsed head when it is a whole item: nested collections are
      // then parsed once, not once per nesting level.
      if (this.isPunct(']') || this.isPunct(',')) return { type: 'array', items: this.continueList(']', [head]), loc };
      if (maybeComp && this.isPunct('|')) {
        const body = this.tryComprehensionBody(']');
        if (body) return { type: 'arraycomp', head, body, loc };
      }
    }
    this.reset(m);
    return { type: 'array', items: this.parseTermList(']'), loc };
  }

  /** After a first item: `, more... end` or `end`. */
  private continueList(end: Punct, first: Term[]): Term[] {
    if (this.isPunct(',')) {
      this.next();
      return this.parseTermList(end, first);
    }
    this.expectPunct(end);
    return first;
  }

  private parseSetOrObject(): Term {
    const loc = this.next().loc;
    if (this.isPunct('}')) {
      this.next();
      return { type: 'object', items: [], loc };
    }
    const m = this.mark();
    const head = this.tryParse(() => this.parseTerm());
    if (head && (this.isPunct('}') || this.isPunct(','))) return { type: 'set', items: this.continueList('}', [head]), loc };
    if (head && this.isPunct('|')) {
      const body = this.tryComprehensionBody('}');
      if (body) return { type: 'setcomp', head, body, loc };
    } else if (head && this.isPunct(':')) {
      this.next();
      const value = this.tryParse(() => this.parseTerm());
      if (value && (this.isPunct('}') || this.isPunct(','))) return this.parseObjectRest([[head, value]], loc);
      if (value && this.isPunct('|')) {
        const body = this.tryComprehensionBody('}');
        if (body) return { type: 'objectcomp', key: head, value, body, loc };
      }
    }
    this.reset(m);
    const first = this.parseInfix(false);
    if (this.isPunct(':')) {
      this.next();
      return this.parseObjectRest([[first, this.parseInfix(false)]], loc);
    }
    return { type: 'set', items: this.continueList('}', [first]), loc };
  }

  /** Object items after the first `key: value` pair. */
  private parseObjectRest(items: Array<[Term, Term]>, loc: Location): ObjectTerm {
    for (;;) {
      if (this.isPunct('}')) break;
      this.expectPunct(',', 'expected "," or "}"');
      if (this.isPunct('}')) break;
      const key = this.parseInfix(false);
      this.expectPunct(':', 'expected ":"');
      items.push([key, this.parseInfix(false)]);
    }
    this.next();
    return { type: 'object', items, loc };
  }

  private tryParse<T>(fn: () => T): T | undefined {
    try {
      return fn();
    } catch {
      return undefined;
    }
  }

  // ---------------------------------------------------- template strings

  private parseTemplate(): Term {
    const start = this.next() as Token & { kind: 'tmplstart' };
    const parts: Array<string | Term> = [];
    let seg: Token & { kind: 'tmplstart' | 'tmplcont' } = start;
    for (;;) {
      if (seg.value !== '') parts.push(seg.value);
      if (seg.end) break;
      parts.push(this.parseTemplateExpr());
      const cont = this.tok;
      if (cont.kind !== 'tmplcont') this.fail(cont.loc, 'expected } to end template string expression');
      this.next();
      seg = cont;
    }
    return { type: 'template', parts, raw: start.raw, loc: start.loc };
  }

  private parseTemplateExpr(): Term {
    const expr = this.parseLiteral();
    if (expr.negated) this.fail(expr.loc, "unexpected negation ('not') in template-string expression");
    const k = expr.kind;
    if (k.type === 'some') this.fail(expr.loc, "unexpected 'some' in template-string expression");
    if (k.type === 'every') this.fail(expr.loc, "unexpected 'every' in template-string expression");
    if (k.type === 'call' && isOperator({ type: 'call', operator: k.operator, args: [], loc: expr.loc }, 'eq')) {
      this.fail(expr.loc, "unexpected unification ('=') in template-string expression");
    }
    if (k.type === 'call' && isOperator({ type: 'call', operator: k.operator, args: [], loc: expr.loc }, 'assign')) {
      this.fail(expr.loc, "unexpected assignment (':=') in template-string expression");
    }
    const term: Term = k.type === 'term' ? k.term : { type: 'call', operator: k.operator, args: k.args, loc: expr.loc };
    if (expr.with.length === 0) return term;
    // The AST keeps terms only, so `{a with input as x}` becomes
    // `[v | v = a with input as x][0]`: defined exactly when `a` is.
    const name = `__template_with_${this.generated++}__`;
    const v: VarTerm = { type: 'var', name, loc: expr.loc };
    const inner: Expr = {
      kind: { type: 'call', operator: builtinRef('eq', expr.loc), args: [v, term] },
      negated: false,
      with: expr.with,
      loc: expr.loc,
    };
    const zero: Term = { type: 'number', value: '0', loc: expr.loc };
    return { type: 'ref', terms: [{ type: 'arraycomp', head: { ...v }, body: [inner], loc: expr.loc }, zero], loc: expr.loc };
  }
}
