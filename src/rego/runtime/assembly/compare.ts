// OPA's total order over values (Go's ast.Compare): by type first
// (null < boolean < number < string < array < object < set, which is also
// the order of the tags), then within the type.

import { T_NULL, T_BOOL, T_NUMBER, T_STRING, T_ARRAY, T_OBJECT, T_SET, tagOf, boolOf, strLen, strPtr, collLen, arrayGet, objKeyAt, objValueAt } from "./values";
import { compareNumbers } from "./number";

export function compareBytes(ap: usize, al: usize, bp: usize, bl: usize): i32 {
  const n = al < bl ? al : bl;
  let i: usize = 0;
  // 8 bytes at a time while equal
  while (i + 8 <= n && load<u64>(ap + i) == load<u64>(bp + i)) i += 8;
  for (; i < n; i++) {
    const x = load<u8>(ap + i);
    const y = load<u8>(bp + i);
    if (x != y) return x < y ? -1 : 1;
  }
  return al < bl ? -1 : al > bl ? 1 : 0;
}

export function compareValues(a: usize, b: usize): i32 {
  if (a == b) return 0;
  const ta = tagOf(a);
  const tb = tagOf(b);
  if (ta != tb) return ta < tb ? -1 : 1;
  switch (ta) {
    case T_NULL: return 0;
    case T_BOOL: {
      const x = <i32>boolOf(a);
      const y = <i32>boolOf(b);
      return x - y;
    }
    case T_NUMBER: return compareNumbers(a, b);
    case T_STRING: return compareBytes(strPtr(a), strLen(a), strPtr(b), strLen(b));
    case T_ARRAY:
    case T_SET: {
      const na = collLen(a);
      const nb = collLen(b);
      const n = na < nb ? na : nb;
      for (let i: u32 = 0; i < n; i++) {
        const c = compareValues(arrayGet(a, i), arrayGet(b, i));
        if (c != 0) return c;
      }
      return na < nb ? -1 : na > nb ? 1 : 0;
    }
    case T_OBJECT: {
      const na = collLen(a);
      const nb = collLen(b);
      const n = na < nb ? na : nb;
      for (let i: u32 = 0; i < n; i++) {
        let c = compareValues(objKeyAt(a, i), objKeyAt(b, i));
        if (c != 0) return c;
        c = compareValues(objValueAt(a, i), objValueAt(b, i));
        if (c != 0) return c;
      }
      return na < nb ? -1 : na > nb ? 1 : 0;
    }
  }
  return 0;
}

export function equalValues(a: usize, b: usize): bool {
  if (a == b) return true;
  const ta = tagOf(a);
  if (ta != tagOf(b)) return false;
  // collections of different sizes are never equal: skip the element walk
  if (ta >= T_ARRAY && collLen(a) != collLen(b)) return false;
  if (ta == T_STRING && strLen(a) != strLen(b)) return false;
  return compareValues(a, b) == 0;
}
