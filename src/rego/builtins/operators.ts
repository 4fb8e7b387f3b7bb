// Infix operators and membership (the emitter's fallback for what the
// runtime implements natively): comparison, arithmetic, set algebra, `in`.

import { implement, implementAll } from './define.js';
import { operandError } from './operands.js';
import { BuiltinError, RegoSet, type RegoValue } from './types.js';
import { compare, equal, isObject, makeSet, objectEntries, setHas, setItems } from './value.js';

const cmp = (name: string, test: (c: number) => boolean) => implement(name, ([a, b]) => test(compare(a!, b!)));

cmp('equal', (c) => c === 0);
cmp('neq', (c) => c !== 0);
cmp('lt', (c) => c < 0);
cmp('lte', (c) => c <= 0);
cmp('gt', (c) => c > 0);
cmp('gte', (c) => c >= 0);

function nums(args: RegoValue[]): [number, number] {
  const [a, b] = args;
  if (typeof a !== 'number') throw operandError(1, 'number', a ?? null);
  if (typeof b !== 'number') throw operandError(2, 'number', b ?? null);
  return [a, b];
}

/** Tames float noise OPA avoids by computing with arbitrary-precision decimals (0.1 + 0.2 == 0.3). */
export function tidy(n: number): number {
  if (Number.isInteger(n) || !Number.isFinite(n)) return n;
  return Number(n.toPrecision(15));
}

function finite(n: number): number {
  if (!Number.isFinite(n)) throw new BuiltinError('arithmetic result out of range');
  return n;
}

implementAll({
  plus: (args) => finite(tidy(nums(args).reduce((x, y) => x + y))),
  mul: (args) => finite(tidy(nums(args).reduce((x, y) => x * y))),
  div: (args) => {
    const [a, b] = nums(args);
    if (b === 0) throw new BuiltinError('divide by zero');
    return finite(tidy(a / b));
  },
  rem: (args) => {
    const [a, b] = nums(args);
    if (!Number.isInteger(a) || !Number.isInteger(b)) throw new BuiltinError('modulo on floating-point number');
    if (b === 0) throw new BuiltinError('modulo by zero');
    const r = a % b;
    return r === 0 ? 0 : r;
  },
  minus: ([a, b]) => {
    if (typeof a === 'number') {
      if (typeof b !== 'number') throw operandError(2, 'number', b ?? null);
      return finite(tidy(a - b));
    }
    if (a instanceof RegoSet) {
      if (!(b instanceof RegoSet)) throw operandError(2, 'set', b ?? null);
      return new RegoSet(setItems(a).filter((x) => !setHas(b, x)));
    }
    throw operandError(1, ['number', 'set'], a ?? null);
  },
  and: ([a, b]) => {
    const [x, y] = sets(a!, b!);
    return new RegoSet(setItems(x).filter((v) => setHas(y, v)));
  },
  or: ([a, b]) => {
    const [x, y] = sets(a!, b!);
    return makeSet([...x.items, ...y.items]);
  },
  // Unification itself is the planner's job; as a value test both are equality.
  eq: ([a, b]) => equal(a!, b!),
  assign: ([a, b]) => equal(a!, b!),
  'internal.member_2': ([x, coll]) => memberValues(coll!).some((v) => equal(v, x!)),
  'internal.member_3': ([k, x, coll]) => memberPairs(coll!).some(([kk, v]) => equal(kk, k!) && equal(v, x!)),
});

function sets(a: RegoValue, b: RegoValue): [RegoSet, RegoSet] {
  if (!(a instanceof RegoSet)) throw operandError(1, 'set', a);
  if (!(b instanceof RegoSet)) throw operandError(2, 'set', b);
  return [a, b];
}

function memberValues(coll: RegoValue): RegoValue[] {
  if (Array.isArray(coll)) return coll;
  if (coll instanceof RegoSet) return coll.items;
  if (isObject(coll)) return objectEntries(coll).map(([, v]) => v);
  return [];
}

function memberPairs(coll: RegoValue): Array<[RegoValue, RegoValue]> {
  if (Array.isArray(coll)) return coll.map((v, i) => [i, v]);
  if (coll instanceof RegoSet) return coll.items.map((v) => [v, v]);
  if (isObject(coll)) return objectEntries(coll);
  return [];
}

