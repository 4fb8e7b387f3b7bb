// Rego parser entry points: modules (package, imports, rules), queries and
// single terms. Terms/expressions/bodies live in expr-parser.ts.
//
// Dialects: v1 (default) reserves `if`, `contains`, `in`, `every` and
// requires `if` before rule bodies and `contains` for multi-value rules. v0
// modules get those keywords only through `import future.keywords[.x]`, and
// `import rego.v1` switches a v0 module to the v1 rules.

import type { Body, Import, Location, Module, Package, RefTerm, RegoVersion, Rule, RuleHead, Term } from './ast.js';
import { RegoCompileError, type RegoProblem } from '../errors.js';
import { attachAnnotations } from './annotation-scope.js';
import { lex, type Comment, type Token } from './lexer.js';
import { ExprParser, termTypeName } from './expr-parser.js';
import { FUTURE_KEYWORDS, ParseAbort } from './token-stream.js';

export interface ParseOptions {
  regoVersion?: RegoVersion;
}

const IMPORT_ROOTS = new Set(['data', 'input', 'future', 'rego']);

function sortProblems(problems: RegoProblem[]): RegoProblem[] {
  const seen = new Set<string>();
  return problems
    .filter((p) => {
      const key = `${p.loc?.row}:${p.loc?.col}:${p.message}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    })
    .sort((a, b) => (a.loc?.row ?? 0) - (b.loc?.row ?? 0) || (a.loc?.col ?? 0) - (b.loc?.col ?? 0));
}

class RegoParser extends ExprParser {
  readonly problems: RegoProblem[] = [];
  /** v1 rules apply: the v1 dialect, or v0 with `import rego.v1`. */
  private v1: boolean;

  constructor(tokens: Token[], file: string, readonly version: RegoVersion) {
    super(tokens, file);
    this.v1 = version === 'v1';
    if (this.v1) for (const k of FUTURE_KEYWORDS) this.keywords.add(k);
  }

  private report(loc: Location, message: string): void {
    this.problems.push({ code: 'rego_parse_error', message, loc });
  }

  /** Runs `fn`; on a parse error records it and skips to the next line starting in column 1. */
  private recover(fn: () => void): void {
    const start = this.mark();
    try {
      fn();
    } catch (e) {
      if (!(e instanceof ParseAbort)) throw e;
      this.problems.push(e.problem);
      // Always make progress, but keep a line-start token that ended the broken statement.
      if (this.tok.kind !== 'eof' && (this.mark() === start || !(this.tok.nlBefore && this.tok.loc.col === 1))) this.next();
      while (this.tok.kind !== 'eof' && !(this.tok.nlBefore && this.tok.loc.col === 1)) this.next();
    }
  }

  // -------------------------------------------------------------- module

  parseModule(): Module {
    let pkg: Package | undefined;
    const imports: Import[] = [];
    const rules: Rule[] = [];
    this.recover(() => { pkg = this.parsePackage(); });
    while (this.tok.kind !== 'eof') {
      this.recover(() => {
        if (this.isKeyword('package')) this.fail(this.tok.loc, 'unexpected package keyword: package already declared');
        if (this.isKeyword('import')) {
          imports.push(this.parseImport());
          return;
        }
        rules.push(...this.parseRules());
        if (this.tok.kind !== 'eof' && !this.tok.nlBefore && !this.isPunct(';')) this.illegal('expected \\n or EOF');
        if (this.isPunct(';')) this.next();
      });
    }
    if (!pkg && this.problems.length === 0) this.report(this.tok.loc, 'package expected');
    return { file: this.file, regoVersion: this.version, package: pkg ?? { path: [], loc: this.tok.loc }, imports, rules };
  }

  private parsePackage(): Package {
    if (!this.isKeyword('package')) this.fail(this.tok.loc, 'package expected');
    const loc = this.next().loc;
    const path = this.parsePath('package').map((t, i) => {
      if (i === 0) return (t as { name: string }).name;
      if (t.type !== 'string') this.fail(t.loc, `unexpected ${termTypeName(t)} token: expecting string`);
      return t.value;
    });
    return { path, loc };
  }

  /** `a.b["c"]`: a var followed by `.word` / `["string"]` segments; keywords allowed. */
  private parsePath(what: 'package' | 'import'): Term[] {
    const first = this.tok;
    if (first.kind !== 'ident') this.illegal('expected path');
    this.next();
    const terms: Term[] = [{ type: 'var', name: first.text, loc: first.loc }];
    for (;;) {
      if (this.tok.spaceBefore) break;
      if (this.isPunct('.')) {
        this.next();
        const k = this.tok;
        if (k.kind !== 'ident' || k.spaceBefore) this.illegal('expected ident');
        this.next();
        terms.push({ type: 'string', value: k.text, loc: k.loc });
      } else if (this.isPunct('[')) {
        this.next();
        const key = this.parseInfix(false);
        if (key.type !== 'string') this.fail(key.loc, `unexpected ${termTypeName(key)} token: expecting string`);
        this.expectPunct(']');
        terms.push(key);
      } else {
        break;
      }
    }
    if (what === 'package' && this.tok.kind !== 'eof' && !this.tok.nlBefore && !this.isPunct(';')) this.illegal('expected \\n or ;');
    return terms;
  }

  private parseImport(): Import {
    const loc = this.next().loc;
    const terms = this.parsePath('import');
    const head = terms[0] as { name: string; loc: Location };
    const path: RefTerm = { type: 'ref', terms, loc: head.loc };
    if (!IMPORT_ROOTS.has(head.name)) {
      this.fail(head.loc, `unexpected import path, must begin with one of: {data, future, input, rego}, got: ${head.name}`);
    }
    let alias: string | undefined;
    if (this.isKeyword('as')) {
      this.next();
      const a = this.tok;
      if (a.kind !== 'ident' || this.isReserved(a)) this.illegal('expected var');
      this.next();
      alias = a.text;
    }
    const segs = terms.slice(1).map((t) => (t as { value: string }).value);
    if (head.name === 'future') this.futureImport(segs, alias, head.loc);
    if (head.name === 'rego') this.regoImport(segs, alias, head.loc);
    if (this.tok.kind !== 'eof' && !this.tok.nlBefore && !this.isPunct(';')) this.illegal('expected \\n or ;');
    if (this.isPunct(';')) this.next();
    return alias === undefined ? { path, loc } : { path, alias, loc };
  }

  private futureImport(segs: string[], alias: string | undefined, loc: Location): void {
    if (segs[0] !== 'keywords') this.fail(loc, 'invalid import, must be `future.keywords`');
    if (alias !== undefined) this.fail(loc, '`future` imports cannot be aliased');
    if (segs.length > 2) this.fail(loc, 'invalid import, must be `future.keywords.x`, e.g. `import future.keywords.in`');
    const wanted = segs.length === 2 ? [segs[1]!] : [...FUTURE_KEYWORDS];
    for (const k of wanted) {
      if (!(FUTURE_KEYWORDS as readonly string[]).includes(k)) {
        this.fail(loc, `unexpected keyword, must be one of [${[...FUTURE_KEYWORDS].join(' ')}]`);
      }
      this.keywords.add(k);
    }
  }

  private regoImport(segs: string[], alias: string | undefined, loc: Location): void {
    if (segs.length !== 1 || segs[0] !== 'v1') this.fail(loc, 'invalid import `rego...`, must be `rego.v1`');
    if (alias !== undefined) this.fail(loc, '`rego` imports cannot be aliased');
    this.v1 = true;
    for (const k of FUTURE_KEYWORDS) this.keywords.add(k);
  }

  // --------------------------------------------------------------- rules

  /** One rule statement: a rule plus any `else` chain, or several rules for `p { } { }`. */
  private parseRules(): Rule[] {
    const loc = this.tok.loc;
    let isDefault = false;
    if (this.isKeyword('default')) {
      this.next();
      isDefault = true;
    }
    const { head, usesContains } = this.parseHead(isDefault);
    const rule: Rule = { default: isDefault, head, body: [], loc };
    if (isDefault) {
      this.checkDefault(rule);
      return [rule];
    }

    const hasIf = this.isKeyword('if');
    const explicitValue = head.value !== undefined;
    const ref = head.ref;
    if (!usesContains && !head.args && ref.length === 2 && head.value === undefined) {
      if (hasIf) {
        // v1 `p[x] if ...`: single-value rule at p[x] with value true.
        head.value = { type: 'boolean', value: true, loc: head.loc };
      } else {
        // v0 `p[x] { ... }`: partial set.
        head.key = ref[1]!;
        head.ref = [ref[0]!];
        if (this.v1) this.report(head.loc, '`contains` keyword is required for partial set rules');
      }
    }
    if (head.value === undefined && head.key === undefined) head.value = { type: 'boolean', value: true, loc: head.loc };

    if (hasIf) {
      this.next();
      rule.body = this.parseIfBody();
    } else if (this.isPunct('{')) {
      if (this.v1) this.report(this.tok.loc, '`if` keyword is required before rule body');
      rule.body = this.parseBraceBody();
    } else if (usesContains) {
      return [rule];
    } else if (!explicitValue && head.key === undefined) {
      return this.fail(head.loc, `${termTypeName(ref[0]!)} cannot be used for rule name`);
    }

    if (this.isKeyword('else')) {
      if (head.key) this.fail(this.tok.loc, 'else keyword cannot be used on multi-value rules');
      if (head.ref.length > 1 && head.ref.slice(1).some((t) => t.type !== 'string')) {
        this.fail(this.tok.loc, 'else keyword cannot be used on rules with variables in head');
      }
      rule.else = this.parseElse(head);
    }

    const rules = [rule];
    while (this.isPunct('{')) {
      const bodyLoc = this.tok.loc;
      if (rule.else) this.fail(bodyLoc, 'expected else keyword');
      const body = this.parseBraceBody();
      rules.push({ default: false, head: { ...head, loc: bodyLoc }, body, loc: bodyLoc });
    }
    return rules;
  }

  /** After `if`: a single literal (`p if x > 1`) or `{ body }`. */
  private parseIfBody(): Body {
    const m = this.mark();
    if (!this.isPunct('{')) return [this.parseLiteral()];
    // `p if { x }` is a body, not the set literal `{x}`; an object literal is a literal.
    try {
      const expr = this.parseLiteral();
      if (!(expr.kind.type === 'term' && expr.kind.term.type === 'set') && (this.tok.nlBefore || this.tok.kind === 'eof' || this.isKeyword('else') || this.isPunct(';'))) {
        return [expr];
      }
    } catch (e) {
      if (!(e instanceof ParseAbort)) throw e;
    }
    this.reset(m);
    return this.parseBraceBody();
  }

  private parseElse(parent: RuleHead): Rule {
    const loc = this.next().loc;
    const head: RuleHead = { ref: parent.ref, assign: false, loc };
    if (parent.args) head.args = parent.args;
    if (this.isPunct(':=') || this.isPunct('=')) {
      head.assign = this.isAssignTok(this.next());
      head.value = this.parseInfix(true);
    } else if (this.isKeyword('if') || this.isPunct('{')) {
      head.value = { type: 'boolean', value: true, loc };
    } else {
      this.illegal('expected else value term or rule body');
    }
    const rule: Rule = { default: false, head, body: [], loc };
    if (this.isKeyword('if')) {
      this.next();
      rule.body = this.parseIfBody();
    } else if (this.isPunct('{')) {
      if (this.v1) this.report(this.tok.loc, '`if` keyword is required before rule body');
      rule.body = this.parseBraceBody();
    }
    if (this.isKeyword('else')) rule.else = this.parseElse(parent);
    return rule;
  }

  private checkDefault(rule: Rule): void {
    const value = rule.head.value;
    if (value === undefined) return this.fail(rule.loc, 'illegal default rule (must have a value)');
    const bad = findNonConstant(value);
    if (bad) this.fail(rule.loc, `illegal default rule (value cannot contain ${bad})`);
    const seen = new Set<string>();
    for (const a of rule.head.args ?? []) {
      if (a.type !== 'var') this.fail(rule.loc, `illegal default rule (arguments cannot contain ${termTypeName(a)})`);
      if (a.name !== '_' && seen.has(a.name)) this.fail(rule.loc, `illegal default rule (arguments cannot be repeated ${a.name})`);
      seen.add(a.name);
    }
  }

  /**
   * Rule head: a name, ref segments (`a.b[x]`), optional args, then
   * `contains key`, `= value` or `:= value`.
   */
  private parseHead(isDefault: boolean): { head: RuleHead; usesContains: boolean } {
    const first = this.tok;
    const loc = first.loc;
    if (first.kind !== 'ident' || (this.isReserved(first) && !this.startsRef())) {
      // Not a rule name: report what it is, as OPA does for `"a" = 1`.
      const m = this.mark();
      let term: Term | undefined;
      try { term = this.parseTerm(); } catch { term = undefined; }
      this.reset(m);
      if (term && first.kind !== 'ident') this.fail(loc, `${termTypeName(term)} cannot be used for rule name`);
      this.illegal();
    }
    this.next();
    const ref: Term[] = [{ type: 'var', name: first.text, loc }];
    let args: Term[] | undefined;
    // Only the first segment may follow whitespace (`p [x]`), as in OPA.
    let firstSeg = true;
    for (;;) {
      if (this.tok.spaceBefore && !firstSeg) break;
      firstSeg = false;
      if (this.isPunct('.')) {
        this.next();
        const k = this.tok;
        if (k.kind !== 'ident' || k.spaceBefore) this.illegal('expected ident');
        this.next();
        ref.push({ type: 'string', value: k.text, loc: k.loc });
      } else if (this.isPunct('[')) {
        this.next();
        ref.push(this.parseInfix(true));
        this.expectPunct(']');
      } else if (this.isPunct('(')) {
        this.next();
        args = this.parseArgs();
        break;
      } else {
        break;
      }
    }
    if (this.tok.kind === 'punct' && ['+', '-', '*', '/', '%', '&', '|', '==', '!=', '<', '<=', '>', '>='].includes(this.tok.text)) this.illegal();

    const head: RuleHead = { ref, assign: false, loc };
    if (args) head.args = args;
    const name = ref.map((t, i) => (i === 0 ? (t as { name: string }).name : t.type === 'string' ? `.${t.value}` : '[...]')).join('');

    if (this.isKeyword('contains')) {
      if (args) this.illegal(`the contains keyword can only be used with multi-value rule definitions (e.g., ${name} contains <VALUE> { ... })`);
      this.next();
      head.key = this.parseInfix(true);
      return { head, usesContains: true };
    }
    if (this.isPunct('=') || this.isPunct(':=')) {
      head.assign = this.isAssignTok(this.next());
      if (this.tok.kind === 'eof' || this.isKeyword('if')) {
        this.illegal(isDefault ? `expected default rule value term (e.g., default ${name} := <VALUE>)` : `expected rule value term (e.g., ${name} := <VALUE> { ... })`);
      }
      head.value = this.parseInfix(true);
    }
    return { head, usesContains: false };
  }

  private isAssignTok(t: Token): boolean {
    return t.kind === 'punct' && t.text === ':=';
  }

  private parseArgs(): Term[] {
    const args: Term[] = [];
    while (!this.isPunct(')')) {
      args.push(this.parseInfix(false));
      if (this.isPunct(',')) this.next();
      else if (!this.isPunct(')')) this.illegal('expected "," or ")"');
    }
    this.next();
    return args;
  }

  // --------------------------------------------------- queries and terms

  atEof(): boolean {
    return this.tok.kind === 'eof';
  }

  parseQueryBody(): Body {
    try {
      const body = this.parseBody('eof');
      return body;
    } catch (e) {
      if (!(e instanceof ParseAbort)) throw e;
      this.problems.push(e.problem);
      return [];
    }
  }

  parseSingleTerm(): Term | undefined {
    try {
      const term = this.parseInfix(false);
      if (this.tok.kind !== 'eof') this.illegal('expected end of term');
      return term;
    } catch (e) {
      if (!(e instanceof ParseAbort)) throw e;
      this.problems.push(e.problem);
      return undefined;
    }
  }
}

/** First var/ref/call outside comprehensions, named as OPA names it. */
function findNonConstant(t: Term): string | undefined {
  switch (t.type) {
    case 'var': return 'var';
    case 'ref': return 'ref';
    case 'call': return 'call';
    case 'array': case 'set':
      for (const x of t.items) { const r = findNonConstant(x); if (r) return r; }
      return undefined;
    case 'object':
      for (const [k, v] of t.items) { const r = findNonConstant(k) ?? findNonConstant(v); if (r) return r; }
      return undefined;
    case 'template':
      for (const p of t.parts) { if (typeof p !== 'string') { const r = findNonConstant(p); if (r) return r; } }
      return undefined;
    default: return undefined;
  }
}

function run<T>(source: string, file: string, version: RegoVersion, fn: (p: RegoParser, comments: Comment[]) => T): T {
  const { tokens, problems: lexProblems, comments } = lex(source, file);
  const parser = new RegoParser(tokens, file, version);
  const result = fn(parser, comments);
  const problems = sortProblems([...lexProblems, ...parser.problems]);
  if (problems.length) throw new RegoCompileError(problems);
  return result;
}

/**
 * Modules whose source cannot call rego.metadata.rule/chain: the word
 * "metadata" appears nowhere in them (and no escape could spell it). The
 * compiler then skips searching their rules for those calls.
 */
export const withoutMetadataCalls = new WeakSet<Module>();

export function parseModule(source: string, file: string, opts: ParseOptions = {}): Module {
  return run(source, file, opts.regoVersion ?? 'v1', (p, comments) => {
    const module = p.parseModule();
    attachAnnotations(module, comments, p.problems);
    if (!source.includes('metadata') && !source.includes('\\')) withoutMetadataCalls.add(module);
    return module;
  });
}

export function parseQuery(source: string, file = 'query', opts: ParseOptions = {}): Body {
  return run(source, file, opts.regoVersion ?? 'v1', (p) => {
    if (p.atEof()) {
      p.problems.push({ code: 'rego_parse_error', message: 'empty query', loc: { file, row: 1, col: 1 } });
      return [];
    }
    return p.parseQueryBody();
  });
}

export function parseTerm(source: string, file = 'term', opts: ParseOptions = {}): Term {
  return run(source, file, opts.regoVersion ?? 'v1', (p) => p.parseSingleTerm()) as Term;
}
