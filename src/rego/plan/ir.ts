// The planner's output: an imperative intermediate representation modelled
// on OPA's `ir` package. The wasm emitter (src/rego/wasm) is its only
// consumer besides the printer (`hooker build --plan`).
//
// Execution model
// ---------------
// * Every value is an opaque reference to a runtime value (a pointer in
//   wasm). Locals hold such references; a local that was never assigned (or
//   was reset) is *undefined*.
// * Code is organised in blocks. A `Block` runs its statements in order.
//   A statement that is *undefined* (a Dot on a missing key, an Equal that
//   is false, a Call returning undefined, IsDefined on an undefined local,
//   ...) terminates the innermost enclosing block; execution continues
//   after that block (with the next block of the list it belongs to).
// * "Enclosing blocks" are: each entry of `Plan.blocks`/`Func.blocks`, each
//   entry of `BlockStmt.blocks`, and the single body block of `ScanStmt`,
//   `NotStmt` and `WithStmt`. `BreakStmt{index: 0}` leaves the innermost
//   block, `index: 1` the one around it, and so on.
// * `ScanStmt` runs its block once per element of a collection (arrays by
//   index, objects in key order, sets in element order); the block ending
//   early moves on to the next element.
// * `NotStmt` runs its block; if the block runs to its end the NotStmt is
//   undefined, otherwise execution continues after it.
// * Functions take `params` (by convention params[0] is input and
//   params[1] is data, then the Rego arguments). ReturnLocal returns at
//   once; falling off the end returns the `result` local (undefined when
//   never assigned).
// * Funcs whose only params are input and data (rules without arguments)
//   are computed at most once per evaluation for each input and data they
//   are called with, as OPA's wasm memoizes them (the emitter adds it):
//   the value a func returns must never be modified by its callers.
// * Errors: AssignVarOnce/ObjectInsertOnce with a different value abort
//   evaluation with eval_conflict_error (message given by the statement);
//   builtins may abort with eval_builtin_error/eval_type_error.

export type Local = number;

/** A string constant, by index into `Policy.static.strings`. */
export interface StringIndex { type: 'string_index'; index: number }
export interface LocalOperand { type: 'local'; local: Local }
export interface BoolOperand { type: 'bool'; value: boolean }
export type Operand = LocalOperand | BoolOperand | StringIndex;

export interface Location { file: string; row: number; col: number }

// ------------------------------------------------------------ statements

export interface ArrayAppendStmt { type: 'ArrayAppend'; array: Local; value: Operand }
/** Assigns a Rego number (integer) to target. */
export interface MakeNumberIntStmt { type: 'MakeNumberInt'; value: bigint; target: Local }
/** Assigns a Rego number written as decimal text (string table index): floats and big integers. */
export interface MakeNumberRefStmt { type: 'MakeNumberRef'; index: number; target: Local }
export interface MakeNullStmt { type: 'MakeNull'; target: Local }
export interface MakeArrayStmt { type: 'MakeArray'; capacity: number; target: Local }
export interface MakeObjectStmt { type: 'MakeObject'; target: Local }
export interface MakeSetStmt { type: 'MakeSet'; target: Local }
export interface AssignIntStmt { type: 'AssignInt'; value: bigint; target: Local }
export interface AssignVarStmt { type: 'AssignVar'; source: Operand; target: Local }
/**
 * Assign if target is undefined; if it is defined and equal, no-op; if it
 * is defined and different, abort with `eval_conflict_error: <message>`.
 */
export interface AssignVarOnceStmt { type: 'AssignVarOnce'; source: Operand; target: Local; message: string }
export interface BlockStmt { type: 'Block'; blocks: Block[] }
export interface BreakStmt { type: 'Break'; index: number }
/**
 * Call a planned function (`func` is a `Func.name`) or a builtin (`func` is
 * a builtin name listed in `Policy.static.builtins`). Undefined when the
 * callee returns undefined.
 */
export interface CallStmt { type: 'Call'; func: string; args: Operand[]; result: Local; loc?: Location }
/** target = source[key]; undefined when source is not a collection or has no such key. */
export interface DotStmt { type: 'Dot'; source: Operand; key: Operand; target: Local }
export interface EqualStmt { type: 'Equal'; a: Operand; b: Operand }
export interface NotEqualStmt { type: 'NotEqual'; a: Operand; b: Operand }
export interface IsArrayStmt { type: 'IsArray'; source: Operand }
export interface IsObjectStmt { type: 'IsObject'; source: Operand }
export interface IsSetStmt { type: 'IsSet'; source: Operand }
export interface IsDefinedStmt { type: 'IsDefined'; source: Local }
export interface IsUndefinedStmt { type: 'IsUndefined'; source: Local }
/** target = number of elements (arrays, objects, sets) or characters (strings). */
export interface LenStmt { type: 'Len'; source: Operand; target: Local }
export interface NotStmt { type: 'Not'; block: Block }
export interface ObjectInsertStmt { type: 'ObjectInsert'; key: Operand; value: Operand; object: Local }
/** Like ObjectInsert but a different existing value aborts with eval_conflict_error: message. */
export interface ObjectInsertOnceStmt { type: 'ObjectInsertOnce'; key: Operand; value: Operand; object: Local; message: string }
/** target = deep merge of objects a and b (b's leaves win only where a has none); undefined on conflict of non-objects. */
export interface ObjectMergeStmt { type: 'ObjectMerge'; a: Operand; b: Operand; target: Local }
export interface ResetLocalStmt { type: 'ResetLocal'; target: Local }
/** Adds a value to the plan's result set (plans only). */
export interface ResultSetAddStmt { type: 'ResultSetAdd'; value: Local }
/** Returns from the function immediately with the value of `source` (undefined if unset). Funcs only. */
export interface ReturnLocalStmt { type: 'ReturnLocal'; source: Local }
export interface ScanStmt { type: 'Scan'; source: Local; key: Local; value: Local; block: Block }
export interface SetAddStmt { type: 'SetAdd'; value: Operand; set: Local }
/**
 * Runs block with `local` replaced by a copy of itself in which the value at
 * `path` (string table indexes; empty path replaces the whole value) is
 * `value`; the original is restored afterwards. If the block ends early
 * the WithStmt itself is undefined (after restoring), as in OPA.
 */
export interface WithStmt { type: 'With'; local: Local; path: number[]; value: Operand; block: Block }
/** Aborts evaluation with "<code>: <message>" (e.g. functions producing conflicting outputs). */
export interface AbortStmt { type: 'Abort'; code: 'eval_conflict_error' | 'eval_type_error' | 'eval_builtin_error'; message: string; loc?: Location }
export interface NopStmt { type: 'Nop' }

export type Stmt =
  | ArrayAppendStmt
  | MakeNumberIntStmt
  | MakeNumberRefStmt
  | MakeNullStmt
  | MakeArrayStmt
  | MakeObjectStmt
  | MakeSetStmt
  | AssignIntStmt
  | AssignVarStmt
  | AssignVarOnceStmt
  | BlockStmt
  | BreakStmt
  | CallStmt
  | DotStmt
  | EqualStmt
  | NotEqualStmt
  | IsArrayStmt
  | IsObjectStmt
  | IsSetStmt
  | IsDefinedStmt
  | IsUndefinedStmt
  | LenStmt
  | NotStmt
  | ObjectInsertStmt
  | ObjectInsertOnceStmt
  | ObjectMergeStmt
  | ResetLocalStmt
  | ResultSetAddStmt
  | ReturnLocalStmt
  | ScanStmt
  | SetAddStmt
  | WithStmt
  | AbortStmt
  | NopStmt;

export interface Block { stmts: Stmt[] }

// ------------------------------------------------------------- programs

/** An entrypoint. Locals 0 and 1 hold input and data when the plan starts. */
export interface Plan { name: string; blocks: Block[] }

export interface Func {
  name: string;
  /** Rule path it implements, e.g. ["data","pkg","p"] (for diagnostics). */
  path: string[];
  params: Local[];
  result: Local;
  blocks: Block[];
}

export interface BuiltinDecl {
  name: string;
  arity: number;
  /** Whether the builtin's result is a set (TS builtins get/return sets as JSON arrays). */
  returnsSet?: boolean;
}

export interface Policy {
  static: {
    strings: string[];
    builtins: BuiltinDecl[];
  };
  plans: Plan[];
  funcs: Func[];
}
