// OPA's Wasm ABI (version 1.3): what @open-policy-agent/opa-wasm calls.

import { alloc, heapGet, heapSet } from "./memory";
import { parseJson, parseJsonProjected, hooker_input_projection, dumpJson, dumpRego, builtinReset } from "./json";
import { newSet } from "./values";
import { msgReset, msgStr, msgAbort, hooker_callsite } from "./errors";
import { memoReset } from "./memo";

export const opa_wasm_abi_version: i32 = 1;
export const opa_wasm_abi_minor_version: i32 = 3;

/** Runs plan number `entrypoint`, adding each result to resultSet (defined by the emitter). */
@external("hooker", "eval_plan")
declare function eval_plan(entrypoint: i32, input: usize, data: usize, resultSet: usize): void;

export function opa_malloc(size: usize): usize { return alloc(size); }
export function opa_free(ptr: usize): void { /* bump allocator: memory comes back with opa_heap_ptr_set */ }
export function opa_heap_ptr_get(): usize { return heapGet(); }
export function opa_heap_ptr_set(ptr: usize): void { heapSet(ptr); }

export function opa_json_parse(ptr: usize, len: usize): usize { return parseJson(ptr, len); }
export function opa_value_parse(ptr: usize, len: usize): usize { return parseJson(ptr, len); }
export function opa_json_dump(v: usize): usize { return dumpJson(v); }
export function opa_value_dump(v: usize): usize { return dumpRego(v); }

// evaluation context: [input][data][entrypoint][result]
export function opa_eval_ctx_new(): usize {
  const ctx = alloc(16);
  memory.fill(ctx, 0, 16);
  return ctx;
}
export function opa_eval_ctx_set_input(ctx: usize, input: usize): void { store<usize>(ctx, input, 0); }
export function opa_eval_ctx_set_data(ctx: usize, data: usize): void { store<usize>(ctx, data, 4); }
export function opa_eval_ctx_set_entrypoint(ctx: usize, entrypoint: i32): void { store<i32>(ctx, entrypoint, 8); }
export function opa_eval_ctx_get_result(ctx: usize): usize { return load<usize>(ctx, 12); }

/** State a previous evaluation may have left behind when it aborted. */
function startEvaluation(): void {
  builtinReset();
  memoReset();
  hooker_callsite = 0;
}

export function eval(ctx: usize): i32 {
  startEvaluation();
  const rs = newSet(4);
  eval_plan(load<i32>(ctx, 8), load<usize>(ctx, 0), load<usize>(ctx, 4), rs);
  store<usize>(ctx, rs, 12);
  return 0;
}

/** ABI 1.2 one-shot evaluation: input text at input_ptr, heap restarts at heap_ptr. Returns the dumped result set. */
export function opa_eval(reserved: i32, entrypoint: i32, data: usize, input_ptr: usize, input_len: usize, heap_ptr: usize, format: i32): usize {
  heapSet(heap_ptr);
  startEvaluation();
  let input: usize = 0;
  if (input_len > 0) {
    // Only the parts of the input the policy can observe are built (json.ts, projected input parsing).
    input = parseJsonProjected(input_ptr, input_len, hooker_input_projection);
    if (input == 0) {
      msgReset();
      msgStr("opa_eval: input is not valid JSON");
      msgAbort();
    }
  }
  const rs = newSet(4);
  eval_plan(entrypoint, input, data, rs);
  return format == 1 ? dumpRego(rs) : dumpJson(rs);
}
