// The contract between the AssemblyScript value runtime
// (src/rego/runtime/assembly, built to build/runtime.wasm by `npm ci`) and
// the emitter that links policy code into it (src/rego/wasm/emit.ts).
//
// All values are i32 pointers into linear memory; 0 means "undefined".
// Every function below is exported by the runtime under exactly this name;
// the emitter calls them by name and may drop the exports that are not part
// of OPA's ABI from the final module.

export type WasmType = 'i32' | 'i64' | 'f64';

export interface RuntimeFn {
  params: WasmType[];
  result: WasmType | 'none';
}

/** OPA Wasm ABI exports implemented by the runtime (see OPA's "Wasm" docs). */
export const OPA_ABI_EXPORTS = [
  'opa_malloc', 'opa_free', 'opa_json_parse', 'opa_value_parse', 'opa_json_dump', 'opa_value_dump',
  'opa_heap_ptr_get', 'opa_heap_ptr_set', 'opa_eval_ctx_new', 'opa_eval_ctx_set_input',
  'opa_eval_ctx_set_data', 'opa_eval_ctx_set_entrypoint', 'opa_eval_ctx_get_result', 'eval', 'opa_eval',
  'opa_wasm_abi_version', 'opa_wasm_abi_minor_version',
] as const;

/**
 * Imports of the runtime that the emitter replaces with generated functions
 * (module "hooker"): the runtime calls them, the policy defines them.
 *   eval_plan(entrypoint: i32, input: i32, data: i32, resultSet: i32): void
 *     runs plan number `entrypoint`, adding each result to resultSet
 *     (a set value created by the runtime).
 */
export const LINKED_IMPORTS = {
  eval_plan: { params: ['i32', 'i32', 'i32', 'i32'], result: 'none' },
} as const satisfies Record<string, RuntimeFn>;

/** Imports of module "env" that the SDK provides (opa_abort, opa_println, opa_builtin0..4). */
export const SDK_IMPORTS = ['opa_abort', 'opa_println', 'opa_builtin0', 'opa_builtin1', 'opa_builtin2', 'opa_builtin3', 'opa_builtin4'] as const;

/**
 * Host builtin (declared under the "hooker:" prefix like the TypeScript
 * builtins, never callable from Rego) that policy loops call every FUEL
 * iterations (emit.ts): it throws when the evaluation is past its deadline.
 */
export const TICK_BUILTIN = '__eval_tick';

/** Runtime functions the generated code calls. */
export const RUNTIME_FNS = {
  // constructors
  hooker_null: { params: [], result: 'i32' },
  hooker_bool: { params: ['i32'], result: 'i32' },
  hooker_int: { params: ['i64'], result: 'i32' },
  /** Number from decimal text (ptr, len), e.g. "1.5", "1e3", "123456789012345678901234567890". */
  hooker_number_ref: { params: ['i32', 'i32'], result: 'i32' },
  /** String value referencing UTF-8 bytes (ptr, len) that live for the module's lifetime (no copy). */
  hooker_string: { params: ['i32', 'i32'], result: 'i32' },
  hooker_array: { params: ['i32'], result: 'i32' },
  hooker_object: { params: [], result: 'i32' },
  hooker_set: { params: [], result: 'i32' },
  // mutation of values under construction
  hooker_array_append: { params: ['i32', 'i32'], result: 'none' },
  hooker_object_insert: { params: ['i32', 'i32', 'i32'], result: 'none' },
  /** 0 when inserted or equal value already present, 1 when a different value is present. */
  hooker_object_insert_once: { params: ['i32', 'i32', 'i32'], result: 'i32' },
  hooker_set_add: { params: ['i32', 'i32'], result: 'none' },
  // access
  /** coll[key] or 0 (arrays: integral number keys; objects: by key; sets: key itself if member). */
  hooker_dot: { params: ['i32', 'i32'], result: 'i32' },
  /** Number of elements of an array/object/set, -1 for anything else. */
  hooker_coll_size: { params: ['i32'], result: 'i32' },
  /** i-th key in iteration order: array index as number, object key, set element. */
  hooker_coll_key: { params: ['i32', 'i32'], result: 'i32' },
  /** i-th value in iteration order: array element, object value, set element. */
  hooker_coll_value: { params: ['i32', 'i32'], result: 'i32' },
  /** Length as a number value: elements of collections, code points of strings; 0 otherwise. */
  hooker_len: { params: ['i32'], result: 'i32' },
  // comparison and types
  hooker_equal: { params: ['i32', 'i32'], result: 'i32' },
  hooker_compare: { params: ['i32', 'i32'], result: 'i32' },
  /** OPA type tag: 1 null, 2 boolean, 3 number, 4 string, 5 array, 6 object, 7 set. */
  hooker_type: { params: ['i32'], result: 'i32' },
  // composite operations
  /** Deep merge of two objects (ObjectMerge); 0 when a leaf conflicts. */
  hooker_merge: { params: ['i32', 'i32'], result: 'i32' },
  /** Copy of doc with value placed at path (an array value of keys), creating objects on the way. */
  hooker_upsert: { params: ['i32', 'i32', 'i32'], result: 'i32' },
  /** Array value to set value (TS builtins declared to return sets). Other values returned unchanged. */
  hooker_to_set: { params: ['i32'], result: 'i32' },
  // builtin call framing (tagged JSON while a TS builtin runs)
  hooker_builtin_enter: { params: [], result: 'none' },
  hooker_builtin_exit: { params: [], result: 'none' },
  // memoization of rules without arguments (runtime memo.ts), per (input, data) pair
  /** (slot, input, data): 0 when not computed yet, 1 when computed and undefined, else the value. */
  hooker_memo_get: { params: ['i32', 'i32', 'i32'], result: 'i32' },
  /** (slot, number of slots, input, data, value or 0 for undefined). */
  hooker_memo_put: { params: ['i32', 'i32', 'i32', 'i32', 'i32'], result: 'none' },
  // evaluation mode
  /** 1: builtin errors abort evaluation (OPA's strict-builtin-errors); 0 (default): the call is undefined. */
  hooker_set_strict: { params: ['i32'], result: 'none' },
} as const satisfies Record<string, RuntimeFn>;

export type RuntimeFnName = keyof typeof RUNTIME_FNS;

/**
 * Builtins implemented natively in the runtime: Rego name -> runtime export.
 * Each takes its Rego arguments as values and returns a value, or 0 for
 * undefined. Type and builtin errors go through the runtime's error path
 * (abort under strict mode, undefined otherwise). Anything not listed here
 * is called through the SDK's opa_builtinN imports and implemented in
 * TypeScript (src/rego/builtins).
 */
export const NATIVE_BUILTINS: Record<string, string> = {
  // implemented in src/rego/runtime/assembly/builtins.ts (export: native_<name, dots as underscores>)
  equal: 'native_equal',
  neq: 'native_neq',
  lt: 'native_lt',
  lte: 'native_lte',
  gt: 'native_gt',
  gte: 'native_gte',
  plus: 'native_plus',
  minus: 'native_minus',
  mul: 'native_mul',
  div: 'native_div',
  rem: 'native_rem',
  abs: 'native_abs',
  round: 'native_round',
  ceil: 'native_ceil',
  floor: 'native_floor',
  count: 'native_count',
  sum: 'native_sum',
  product: 'native_product',
  max: 'native_max',
  min: 'native_min',
  and: 'native_and',
  or: 'native_or',
  is_number: 'native_is_number',
  is_string: 'native_is_string',
  is_boolean: 'native_is_boolean',
  is_array: 'native_is_array',
  is_set: 'native_is_set',
  is_object: 'native_is_object',
  is_null: 'native_is_null',
  type_name: 'native_type_name',
  'internal.member_2': 'native_internal_member_2',
  'internal.member_3': 'native_internal_member_3',
  'array.concat': 'native_array_concat',
  'array.slice': 'native_array_slice',
  concat: 'native_concat',
  startswith: 'native_startswith',
  endswith: 'native_endswith',
  contains: 'native_contains',
  lower: 'native_lower',
  upper: 'native_upper',
  'object.get': 'native_object_get',
  'bits.and': 'native_bits_and',
  'bits.or': 'native_bits_or',
  'bits.xor': 'native_bits_xor',
  'bits.negate': 'native_bits_negate',
  'bits.lsh': 'native_bits_lsh',
  'bits.rsh': 'native_bits_rsh',
};
