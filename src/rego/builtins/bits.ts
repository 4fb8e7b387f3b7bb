// bits.* on arbitrary-size integers (BigInt), as OPA does with big.Int.

import { implementAll } from './define.js';
import { intArg, typeError } from './operands.js';
import type { RegoValue } from './types.js';

const big = (args: RegoValue[], i: number) => BigInt(intArg(args, i));

function shift(args: RegoValue[]): [bigint, bigint] {
  const x = big(args, 0);
  const n = big(args, 1);
  if (n < 0n) throw typeError('operand 2 must be an unsigned integer number but got a negative integer');
  return [x, n];
}

implementAll({
  'bits.and': (args) => Number(big(args, 0) & big(args, 1)),
  'bits.or': (args) => Number(big(args, 0) | big(args, 1)),
  'bits.xor': (args) => Number(big(args, 0) ^ big(args, 1)),
  'bits.negate': (args) => Number(~big(args, 0)),
  'bits.lsh': (args) => {
    const [x, n] = shift(args);
    return Number(x << n);
  },
  'bits.rsh': (args) => {
    const [x, n] = shift(args);
    return Number(x >> n);
  },
});
