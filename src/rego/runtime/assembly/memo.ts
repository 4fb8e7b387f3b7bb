// Rule values computed once per evaluation, as OPA's wasm memoizes every
// planned function that takes only input and data (rules without
// arguments).
//
// A value depends on the rule (its func, planned per with-context), the
// input and the data it is computed from. Rather than OPA's push/pop of a
// memo table around each `with`, values are kept per (input, data) pair: a
// `with` replaces input or data by a newly built value (a new pointer), so
// rules reached under it get a table of their own, and code running after
// it with the original documents finds the original table again. Nothing
// is freed during an evaluation, so a pointer never names two documents.
//
// A table: [next][input][data][slot 0 .. slot n-1]; a slot holds 0 (not
// computed yet), UNDEFINED (computed, undefined) or the value.

import { allocZeroed } from "./memory";

const UNDEFINED: usize = 1;
const HEADER: usize = 12;

/** Tables of this evaluation, most recently created first (0 before the first put). */
let tables: usize = 0;
/** The table used last: consecutive calls almost always share documents. */
let last: usize = 0;

/** Forgets every table: called when an evaluation starts (the heap they lived in is reset). */
export function memoReset(): void {
  tables = 0;
  last = 0;
}

function find(input: usize, data: usize): usize {
  if (last != 0 && load<usize>(last, 4) == input && load<usize>(last, 8) == data) return last;
  for (let t = tables; t != 0; t = load<usize>(t)) {
    if (load<usize>(t, 4) == input && load<usize>(t, 8) == data) {
      last = t;
      return t;
    }
  }
  return 0;
}

/** The memoized result of slot for these documents: 0 when not computed yet, else hooker_memo_value's input. */
export function memoGet(slot: i32, input: usize, data: usize): usize {
  const t = find(input, data);
  return t == 0 ? 0 : load<usize>(t + HEADER + (<usize>slot << 2));
}

export function memoPut(slot: i32, slots: i32, input: usize, data: usize, value: usize): void {
  let t = find(input, data);
  if (t == 0) {
    t = allocZeroed(HEADER + (<usize>slots << 2));
    store<usize>(t, tables);
    store<usize>(t, input, 4);
    store<usize>(t, data, 8);
    tables = t;
    last = t;
  }
  store<usize>(t + HEADER + (<usize>slot << 2), value == 0 ? UNDEFINED : value);
}

/** A hit's value: the rule's value, or 0 (undefined). */
@inline export function memoValue(hit: usize): usize {
  return hit == UNDEFINED ? 0 : hit;
}
