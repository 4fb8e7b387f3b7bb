// What the compile stage hands to the planner.
//
// `compileModules` (compile/index.ts) parses nothing: it takes parsed
// modules (syntax/ast.ts) and returns a `CompiledProgram` or throws
// RegoCompileError listing every problem (file:row:col).
//
// Guarantees on every rule body, every query body, every comprehension body
// and every `every` body of a CompiledProgram:
//  1. Refs are resolved: a ref to a rule, a package or an import is written
//     in full, starting with `var data` (`q` -> data.pkg.q, `alias.x` ->
//     data.a.b.x); refs to the input start with `var input`. `var data` and
//     `var input` never mean anything else.
//  2. Locals are renamed to names unique within the rule (or query):
//     declared/unified vars keep a readable prefix (`x` -> `__local3__x`
//     is not required; any unique spelling starting with `__` or the
//     original name if unique); every `_` becomes a distinct fresh var.
//  3. `x := v` is written as call `assign(x, v)` only where x is a fresh
//     local; the planner may treat it like `eq`. Re-assignment and use of an
//     undeclared `:=` var are compile errors.
//  4. `some x in xs` becomes `x = xs[$k]` (fresh $k), `some k, v in xs`
//     becomes `v = xs[k]`; plain `some x` declarations are removed.
//  5. Nested calls are lifted: every call argument, ref key and composite
//     element is a scalar, var, ref (whose keys are scalars or vars) or a
//     composite of those; a call in term position becomes a preceding
//     expression `call(args..., $out)` with a fresh output var `$out`.
//     Comparison calls used as expressions (`x > 1`) stay calls without an
//     output. Function calls are `call` exprs whose operator is the full ref
//     (`data.pkg.f`) or the builtin name (`count`, `strings.replace_n`).
//  6. Template strings become a call `internal.template_string(array)` whose
//     array holds the literal parts as strings and each embedded term
//     wrapped in a single-element set when defined (or an empty set when
//     undefined), as OPA does.
//  7. Bodies are ordered for safety: every var is bound (by unification,
//     an iteration ref, a call output, or a closure var of the enclosing
//     body) before any expression that needs it as an input. Negated
//     expressions, `every`, comprehensions and `with` values come after the
//     vars they read. Unsafe vars are compile errors
//     (rego_unsafe_var_error: "var x is unsafe").
//  8. `with` targets are full refs: `input...`, `data...` or the name of a
//     builtin / the full ref of a function being replaced.
//  9. Checks done: rule conflicts (complete vs partial, functions with
//     different arity, multiple defaults), recursion (rego_recursion_error),
//     undefined functions and wrong arity (rego_type_error), unknown
//     imports. Expressions are left otherwise as the user wrote them.
// 10. Rule heads: `head.value` is always present for single-value rules and
//     functions; `head.ref` is resolved relative to the package.
//
// Precisions added by the compile stage (additive; they narrow or spell out
// the guarantees above):
//  1a. `head.ref` is written in full like any other ref:
//      [var data, string pkg..., string p, <dynamic terms>]; the terms after
//      the rule set path are `head.ref.slice(ruleSet.path.length + 1)`
//      (each a scalar or a var bound by the body). Else rules carry the same
//      ref/args as their parent.
//  2a. Fresh vars are spelled `__localN__` (never a name the user wrote).
//      Undeclared user vars keep their spelling. A var is bound in exactly
//      one scope of a rule: a comprehension/`every` body reads vars bound
//      by its enclosing bodies before it (closure vars) and binds its own
//      under names used nowhere else in the rule. Function args keep their
//      names (`_` args become fresh vars) and are bound on entry; an arg
//      that must be computed (`f($"{x}")`, `f(count(y))`) becomes a fresh
//      var compared in the body (`$a = <value>`), the same var for the
//      whole else chain.
//  5a. Also allowed: a comprehension as a direct operand of `eq`/`assign`
//      (`$t = [x | ...]`); everywhere else comprehensions are lifted that
//      way. Head `key`/`value` are scalars, vars or composites of those
//      (refs and calls in heads are evaluated in the body:
//      `p := input.x` becomes `p := $t if { ...; $t = input.x }`).
//      Ref heads are vars (or data/input); ref keys are scalars or vars.
//  5b. A negated expression computes nothing inside the negation, as in
//      OPA (RewriteExprTerms, RewriteWithValues, RewriteDynamicTerms): its
//      nested calls, the refs among its call arguments (also inside
//      composites; in module bodies `a == b` unifies, so its operands stay,
//      as OPA rewrites == to = there), composites of refs it unifies and
//      its `with` values that are refs are bound to fresh vars by
//      expressions placed right before it (with its with modifiers copied
//      onto the lifted refs). `not f(x.y)` with `x.y` undefined makes the
//      body fail.
//  5c. `print(a, b)` becomes `internal.print([{$1 | $1 = a}, {$2 | $2 = b}])`
//      (comprehensions lifted as in 5a).
//  5d. `rego.metadata.rule()` and `rego.metadata.chain()` never reach the
//      planner from a rule: before any other pass (compile/metadata.ts) each
//      call in a rule's head, body or nested bodies becomes the constant
//      OPA computes from the annotations in scope of that rule (rule():
//      the closest `rule`-scope block or {}; chain(): [{path, annotations?}]
//      for the rule, its `document`, `package` and `subpackages` blocks,
//      innermost first, paths without `data`). With an output arg
//      (`rego.metadata.rule(x)`) the call becomes `x = <constant>`. Else
//      rules have no annotations of their own. Calls in queries stay calls
//      (the builtins answer [] and {} there, as OPA does).
//  7a. Call exprs: args beyond the callee's arity (at most one) are outputs;
//      `eq`/`assign` unify. Refs in `eq`/`assign` operands and in term
//      expressions may bind the vars of their keys by iteration
//      (`x = data.a[k]`, `input.xs[i]`), as in OPA. Refs in the inputs of
//      any other call never do: such a ref is first unified with a fresh
//      var (`foo == input.foos[foo]` becomes `$t = input.foos[foo]; foo == $t`),
//      so every var a call input reads is bound before the call.
//  8a. A `with` whose target is a function or builtin and whose value is a
//      ref naming a function (full `data...` ref of a function rule set) or
//      a builtin (`[var count]`, `[var object, string union_n]`) replaces
//      the function by that one; any other value replaces it by a constant.
//  9a. Recursion is detected through refs matched against the rule tree
//      (`data[x].allow` depends on every `*.allow` rule), not through with.

import type { Body, Location, Rule, Term } from '../syntax/ast.js';

/** All rules sharing one path, e.g. data.pkg.p or data.pkg.a.b (ground prefix of the head ref). */
export interface RuleSet {
  /** Full path without "data": ["pkg", "p"]. */
  path: string[];
  kind: 'single' | 'multi' | 'function';
  /**
   * Non-default rules in source order. For ref heads with variables
   * (`p[q].r := 1`), `path` is the ground prefix (["pkg","p"]) and each
   * rule's head.ref keeps the remaining terms after that prefix.
   */
  rules: Rule[];
  default?: Rule;
  /** Functions only. */
  arity?: number;
}

/** The package/rule tree rooted at `data`. */
export interface DocNode {
  /** Child documents by key (packages and rule path segments). */
  children: Map<string, DocNode>;
  /** The rules whose path ends here (present only at rule nodes). */
  ruleSet?: RuleSet;
}

export interface CompiledQuery {
  /** The query's name as given by the caller (becomes a plan name). */
  name: string;
  body: Body;
  /** Variables the user wrote in the query, in order of first appearance: the bindings to report. */
  vars: string[];
  /** Maps a user-visible var to the (possibly renamed) var used in `body`. */
  varNames: Map<string, string>;
  loc: Location;
}

export interface CompiledProgram {
  root: DocNode;
  /** Every rule set, keyed by its path joined with "." ("pkg.p"). */
  ruleSets: Map<string, RuleSet>;
  queries: CompiledQuery[];
  /** Entrypoints as refs relative to data ("pkg/p" is given as ["pkg","p"]). */
  entrypoints: string[][];
  warnings: string[];
}

export type { Body, Rule, Term };
