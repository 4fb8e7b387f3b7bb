// count, sum, product, max, min, sort, all, any.

import { implementAll } from './define.js';
import { elementError, operandError } from './operands.js';
import { tidy } from './operators.js';
import { RegoSet, type RegoValue } from './types.js';
import { collectionItems, compare, isObject, objectSize, setItems, sortValues } from './value.js';

function items(args: RegoValue[]): RegoValue[] {
  const v = args[0] ?? null;
  const xs = collectionItems(v);
  if (!xs) throw operandError(1, ['set', 'array'], v);
  return xs;
}

function numbers(args: RegoValue[]): number[] {
  const coll = args[0] ?? null;
  return items(args).map((x) => {
    if (typeof x !== 'number') throw elementError(1, coll, x, 'number');
    return x;
  });
}

implementAll({
  count: ([v]) => {
    if (typeof v === 'string') return [...v].length;
    if (Array.isArray(v)) return v.length;
    if (v instanceof RegoSet) return setItems(v).length;
    if (v !== undefined && isObject(v)) return objectSize(v);
    throw operandError(1, ['array', 'object', 'set', 'string'], v ?? null);
  },
  sum: (args) => tidy(numbers(args).reduce((a, b) => a + b, 0)),
  product: (args) => tidy(numbers(args).reduce((a, b) => a * b, 1)),
  max: (args) => {
    const xs = items(args);
    return xs.length === 0 ? undefined : xs.reduce((a, b) => (compare(a, b) >= 0 ? a : b));
  },
  min: (args) => {
    const xs = items(args);
    return xs.length === 0 ? undefined : xs.reduce((a, b) => (compare(a, b) <= 0 ? a : b));
  },
  sort: (args) => sortValues(items(args)),
  all: (args) => items(args).every((x) => x === true),
  any: (args) => items(args).some((x) => x === true),
});
