// The Rego abstract syntax tree shared by every stage of the compiler.
//
// The shape follows OPA's `ast` package closely (terms, expressions, rules,
// modules) so that OPA's documentation and error messages map onto it, but
// uses plain tagged unions so that each stage can switch on `type`.
//
// Contract between stages:
//  - The parser produces this tree with `loc` set on every node.
//  - The compiler (src/rego/compile) rewrites it into the *same* types, with
//    the guarantees listed on `CompiledModule` in compile/types.ts.
//  - The planner (src/rego/plan) only ever reads compiled trees.

export interface Location {
  file: string;
  /** 1-based line. */
  row: number;
  /** 1-based column, counted in characters. */
  col: number;
}

export type RegoVersion = 'v0' | 'v1';

// ---------------------------------------------------------------- terms

export interface NullTerm { type: 'null'; loc: Location }
export interface BooleanTerm { type: 'boolean'; value: boolean; loc: Location }
/**
 * `value` is the literal's source text normalised to JSON number syntax
 * (no leading '+', no '_'), kept as text so that integers beyond 2^53 and
 * decimals keep every digit.
 */
export interface NumberTerm { type: 'number'; value: string; loc: Location }
export interface StringTerm { type: 'string'; value: string; loc: Location }
export interface VarTerm { type: 'var'; name: string; loc: Location }
/**
 * `a.b[c]` is `{terms: [var a, string "b", var c]}`. The head is a var
 * (`input`, `data`, a local, an import alias, a rule name) or, for refs such
 * as `f(x).y` or `[1,2][i]`, any other term.
 */
export interface RefTerm { type: 'ref'; terms: Term[]; loc: Location }
export interface ArrayTerm { type: 'array'; items: Term[]; loc: Location }
export interface SetTerm { type: 'set'; items: Term[]; loc: Location }
export interface ObjectTerm { type: 'object'; items: Array<[Term, Term]>; loc: Location }
export interface ArrayComprehension { type: 'arraycomp'; head: Term; body: Body; loc: Location }
export interface SetComprehension { type: 'setcomp'; head: Term; body: Body; loc: Location }
export interface ObjectComprehension { type: 'objectcomp'; key: Term; value: Term; body: Body; loc: Location }
/**
 * A call in term position: `count(x)`, `a + b` (operator `plus`), `x in xs`
 * (operator `internal.member_2`), `k, v in xs` (`internal.member_3`).
 * `operator` is a ref: builtins are refs of plain names (`count`,
 * `strings.replace_n` as [var strings, string "replace_n"]), user functions
 * are refs to rules (`f`, `data.pkg.f`, `alias.f`).
 */
export interface CallTerm { type: 'call'; operator: RefTerm; args: Term[]; loc: Location }
/**
 * Template string `$"a {x} b"`: `parts` alternate literal text and
 * embedded terms (each part is a string literal or any term).
 */
export interface TemplateStringTerm { type: 'template'; parts: Array<string | Term>; raw: boolean; loc: Location }

export type Term =
  | NullTerm
  | BooleanTerm
  | NumberTerm
  | StringTerm
  | VarTerm
  | RefTerm
  | ArrayTerm
  | SetTerm
  | ObjectTerm
  | ArrayComprehension
  | SetComprehension
  | ObjectComprehension
  | CallTerm
  | TemplateStringTerm;

export type ScalarTerm = NullTerm | BooleanTerm | NumberTerm | StringTerm;

// ---------------------------------------------------------- expressions

/** `with <target> as <value>`: target is a ref (input..., data..., or a function/builtin name). */
export interface With { target: RefTerm; value: Term; loc: Location }

/**
 * One literal of a rule or query body.
 *  - `term`: a single term; the expression is true when the term is defined
 *    and not `false`.
 *  - `call`: an operator applied to terms. Infix operators are calls with
 *    OPA's builtin names: `=` eq, `:=` assign, `==` equal, `!=` neq,
 *    `<` lt, `<=` lte, `>` gt, `>=` gte, `+` plus, `-` minus, `*` mul,
 *    `/` div, `%` rem, `&` and, `|` or, `x in xs` internal.member_2,
 *    `k, v in xs` internal.member_3. A call whose args are one more than the
 *    function's arity binds its last arg to the output (`count(x, n)`).
 *  - `some`: `some x, y` declares locals; `some x in xs` / `some k, v in xs`
 *    is represented with `symbols: [call internal.member_2|3]`.
 *  - `every`: `every k, v in domain { body }` (key null when omitted).
 */
export type ExprKind =
  | { type: 'term'; term: Term }
  | { type: 'call'; operator: RefTerm; args: Term[] }
  | { type: 'some'; symbols: Term[] }
  | { type: 'every'; key: Term | null; value: Term; domain: Term; body: Body };

export interface Expr {
  kind: ExprKind;
  negated: boolean;
  with: With[];
  loc: Location;
}

export type Body = Expr[];

// --------------------------------------------------------------- rules

/**
 * Rule head, in OPA's general "ref head" form.
 *  - `ref`: `p` is [var p]; `a.b.c` is [var a, string b, string c];
 *    `p[x]` is [var p, var x]; `a.b[x].c` is [var a, string b, var x, string c].
 *  - `args`: present for functions (`f(x, y)`), even when empty (`f()`).
 *  - `key`: present only for multi-value rules (`p contains x` in v1,
 *    `p[x] { ... }` in v0): the set element.
 *  - `value`: the rule's value; omitted means `true` (the parser fills in a
 *    BooleanTerm true with the head's location so later stages never see a
 *    missing value for single-value rules and functions).
 *  - `assign`: true when written with `:=` (re-declaration checks).
 */
export interface RuleHead {
  ref: Term[];
  args?: Term[];
  key?: Term;
  value?: Term;
  assign: boolean;
  loc: Location;
}

export interface Rule {
  /** `default p := 1`: body is empty, `head.value` is the default. */
  default: boolean;
  head: RuleHead;
  /** Empty body means the rule is unconditionally true. */
  body: Body;
  /** `else = v { ... }` chain; the else rule's head has only `value` meaningful (ref/args copied from the parent). */
  else?: Rule;
  loc: Location;
  /** METADATA blocks attached to this rule statement (scope `rule` or `document`), in source order. Never on else rules. */
  annotations?: Annotation[];
}

export interface Import {
  /** `import data.a.b` is ref [var data, string a, string b]; `import future.keywords.in`, `import rego.v1`. */
  path: RefTerm;
  alias?: string;
  loc: Location;
}

export interface Package {
  /** `package a.b["c.d"]` is ["a", "b", "c.d"] (without the leading data). */
  path: string[];
  loc: Location;
  /** METADATA blocks attached to the package statement (scope `package` or `subpackages`). */
  annotations?: Annotation[];
}

export interface Module {
  file: string;
  regoVersion: RegoVersion;
  package: Package;
  imports: Import[];
  rules: Rule[];
  /**
   * Every METADATA block of the module in source order (each is also on the
   * rule or package it is attached to). Absent when there are none. Other
   * comments are not kept.
   */
  annotations?: Annotation[];
}

// --------------------------------------------------------- annotations

/**
 * A `# METADATA` comment block, following OPA's annotations reference.
 * `scope` is always filled in (defaults: `rule` before a rule, `document`
 * before a rule with `entrypoint: true`, `package` before the package).
 */
export type AnnotationScope = 'rule' | 'document' | 'package' | 'subpackages';

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export interface AuthorAnnotation { name?: string; email?: string }
export interface RelatedResourceAnnotation { ref: string; description?: string }
/** `path`/`schema` are refs spelled as their segments (`input.x` is ["input", "x"]). */
export interface SchemaAnnotation { path: string[]; schema?: string[]; definition?: JsonValue }

export interface Annotation {
  scope: AnnotationScope;
  title?: string;
  description?: string;
  entrypoint?: boolean;
  organizations?: string[];
  relatedResources?: RelatedResourceAnnotation[];
  authors?: AuthorAnnotation[];
  schemas?: SchemaAnnotation[];
  custom?: { [key: string]: JsonValue };
  /** The `# METADATA` line. */
  loc: Location;
}

// ------------------------------------------------------------- helpers

export function ruleKind(rule: Rule): 'function' | 'multi' | 'single' {
  if (rule.head.args) return 'function';
  if (rule.head.key) return 'multi';
  return 'single';
}

export function isGround(term: Term): boolean {
  switch (term.type) {
    case 'null': case 'boolean': case 'number': case 'string': return true;
    case 'var': case 'ref': case 'call': case 'arraycomp': case 'setcomp': case 'objectcomp': case 'template': return false;
    case 'array': case 'set': return term.items.every(isGround);
    case 'object': return term.items.every(([k, v]) => isGround(k) && isGround(v));
  }
}

export function formatLocation(loc: Location): string {
  return `${loc.file}:${loc.row}:${loc.col}`;
}
