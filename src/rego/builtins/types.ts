// Values and declarations for builtins implemented in TypeScript.
//
// Crossing the wasm boundary: the policy calls a TypeScript builtin through
// the SDK's `opa_builtinN` imports, which hand over each argument as JSON
// produced by the runtime's `opa_json_dump` and load the result back with
// `opa_json_parse`. While a builtin call is in progress the runtime runs
// both in *tagged* mode, so that Rego values that JSON cannot express
// survive the round trip:
//   - a set is written as      {"\u0000set": [elem, ...]}
//   - an object with any non-string key as {"\u0000obj": [[key, value], ...]}
//   - an integer beyond 2^53 as {"\u0000num": "digits"}
// `decode`/`encode` in value.ts turn these into `RegoSet` / `RegoObject`
// instances (and numbers, or bigints for builtins declared exactNumbers) and
// back, so builtin code never sees the tags.

import type { EvalBudget } from '../limits.js';
/**
 * `bigint` appears only in the arguments of builtins declared with
 * `exactNumbers` (integers beyond 2^53, which a JS number would round).
 */
export type RegoScalar = null | boolean | number | string | bigint;

/**
 * A number beyond float64's range (2e308), kept as its text. Only builtins
 * declared `exactNumbers` see it (in place of a number: not part of
 * RegoValue, so the few that do check with instanceof); OPA hands such a
 * number to Go's fmt as its text (sprintf's %v prints "2e308", not +Inf).
 */
export class NumberText {
  constructor(readonly text: string) {}
}

/** A Rego set. Elements are kept in insertion order; use `value.ts` helpers to dedup/sort. */
export class RegoSet {
  constructor(public readonly items: RegoValue[]) {}
}

/** A Rego object with at least one non-string key (rare: `{1: "a"}`). */
export class RegoObject {
  constructor(public readonly entries: Array<[RegoValue, RegoValue]>) {}
}

export type RegoValue =
  | RegoScalar
  | RegoValue[]
  | RegoSet
  | RegoObject
  | { [key: string]: RegoValue };

/**
 * Types as OPA's builtin declarations give them (see "Built-in Functions"
 * in OPA's documentation). Used for compile-time arity/type checks and for
 * the runtime "operand N must be T but got U" errors.
 */
export type TypeSpec =
  | { type: 'any' }
  | { type: 'null' }
  | { type: 'boolean' }
  | { type: 'number' }
  | { type: 'string' }
  | { type: 'array'; of?: TypeSpec }
  | { type: 'object'; key?: TypeSpec; value?: TypeSpec }
  | { type: 'set'; of?: TypeSpec }
  | { type: 'oneOf'; of: TypeSpec[] };

export type BuiltinImpl = (args: RegoValue[], ctx: BuiltinContext) => RegoValue | undefined;

export interface BuiltinContext {
  /** Nanoseconds since the epoch, fixed for one evaluation (time.now_ns). */
  nowNs: bigint;
  /** Per-evaluation cache (e.g. for rand.intn / uuid.rfc4122 to be stable within one evaluation). */
  cache: Map<string, RegoValue>;
  /** Limits of the evaluation: builtins that build collections from numbers check them first. */
  budget?: EvalBudget;
}

export interface BuiltinDecl {
  /** Rego name, e.g. "strings.replace_n". */
  name: string;
  args: TypeSpec[];
  result: TypeSpec;
  /** Variadic? (none of OPA's current builtins is, but `print` and `internal.print` take a list). */
  impl?: BuiltinImpl;
  /**
   * Type of any number of arguments after `args` (only `print`, which the
   * compile stage rewrites to `internal.print([{x}, ...])`). Absent: fixed arity.
   */
  variadic?: TypeSpec;
  /** Integer arguments beyond 2^53 arrive as exact `bigint`s instead of rounded numbers. */
  exactNumbers?: boolean;
  /** Same inputs may give different outputs (time.now_ns, rand.intn, http.send): never constant-folded. */
  nondeterministic?: boolean;
  /** Infix spelling, for error messages (`plus` is `+`). */
  infix?: string;
  /** Errors abort evaluation even without strict-builtin-errors (a declared custom builtin with no implementation). */
  alwaysRaises?: boolean;
}

/**
 * Thrown by builtin implementations. `eval_type_error` for operands of the
 * wrong type, `eval_builtin_error` otherwise. The message must not repeat
 * the builtin's name: the caller prefixes "name: ".
 */
export class BuiltinError extends Error {
  constructor(
    message: string,
    public readonly code: 'eval_builtin_error' | 'eval_type_error' = 'eval_builtin_error',
  ) {
    super(message);
    this.name = 'BuiltinError';
  }
}
