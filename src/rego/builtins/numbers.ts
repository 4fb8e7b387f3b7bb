// Rounding, ranges and rand.intn.

import { implementAll } from './define.js';
import { intArg, numArg, strArg } from './operands.js';
import { BuiltinError, type BuiltinContext, type RegoValue } from './types.js';

/** Go's math.Round: halves away from zero (JS rounds -2.5 to -2). */
function roundHalfAway(n: number): number {
  const r = Math.sign(n) * Math.round(Math.abs(n));
  return r === 0 ? 0 : r;
}

const noNegZero = (n: number) => (n === 0 ? 0 : n);

/** Inclusive range from a to b by step, descending when a > b. */
function range(a: number, b: number, step: number, ctx: BuiltinContext, what = 'numbers.range'): number[] {
  // Counted before building: a billion-element array aborts V8 ("invalid size").
  ctx.budget?.checkElements(Math.floor(Math.abs(b - a) / step) + 1, what);
  const out: number[] = [];
  if (a <= b) for (let x = a; x <= b; x += step) out.push(x);
  else for (let x = a; x >= b; x -= step) out.push(x);
  return out;
}

function randomBelow(n: number): number {
  return Math.floor(Math.random() * n);
}

implementAll({
  abs: (args) => Math.abs(numArg(args, 0)),
  ceil: (args) => noNegZero(Math.ceil(numArg(args, 0))),
  floor: (args) => noNegZero(Math.floor(numArg(args, 0))),
  round: (args) => roundHalfAway(numArg(args, 0)),
  'numbers.range': (args, ctx) => range(intArg(args, 0), intArg(args, 1), 1, ctx),
  'numbers.range_step': (args, ctx) => {
    const a = intArg(args, 0);
    const b = intArg(args, 1);
    const step = numArg(args, 2);
    if (!Number.isInteger(step) || step <= 0) throw new BuiltinError('step must be a positive integer');
    return range(a, b, step, ctx, 'numbers.range_step');
  },
  'rand.intn': (args, ctx) => {
    const key = strArg(args, 0);
    const n = intArg(args, 1);
    if (n === 0) return 0;
    const cacheKey = `rand.intn\u0000${key}\u0000${n}`;
    const hit = ctx.cache.get(cacheKey);
    if (hit !== undefined) return hit;
    const v: RegoValue = randomBelow(Math.abs(n));
    ctx.cache.set(cacheKey, v);
    return v;
  },
});
