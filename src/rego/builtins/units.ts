// units.parse and units.parse_bytes (Kubernetes-style quantities).

import { implementAll } from './define.js';
import { tidy } from './operators.js';
import { strArg } from './operands.js';
import { BuiltinError } from './types.js';

const DECIMAL_EXP: Record<string, number> = { '': 0, k: 3, m: 6, g: 9, t: 12, p: 15, e: 18 };
const BINARY_POW: Record<string, number> = { ki: 10, mi: 20, gi: 30, ti: 40, pi: 50, ei: 60 };

interface Quantity {
  amount: string;
  unit: string;
}

function split(raw: string, noAmount: string): Quantity {
  const s = raw.replace(/"/g, '');
  if (/\s/.test(s)) throw new BuiltinError('spaces not allowed in resource strings');
  const m = /^([+-]?[0-9.]*)((?:[eE][+-]?[0-9]+)?)(.*)$/.exec(s)!;
  const amount = m[1]! + m[2]!;
  if (!/[0-9]/.test(m[1]!)) throw new BuiltinError(noAmount);
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(amount)) throw new BuiltinError('could not parse amount to a number');
  return { amount, unit: m[3]! };
}

/** amount * 10^exp computed on the decimal text, so "0.0000005M" is exactly 0.5. */
function scaleDecimal(amount: string, exp: number): number {
  const m = /^([+-]?[0-9.]+)(?:[eE]([+-]?\d+))?$/.exec(amount)!;
  return Number(`${m[1]}e${Number(m[2] ?? 0) + exp}`);
}

function parseUnits(s: string): number {
  const { amount, unit } = split(s, 'no amount provided');
  if (unit === 'm') return scaleDecimal(amount, -3);
  const u = unit.toLowerCase();
  if (u in DECIMAL_EXP) return scaleDecimal(amount, DECIMAL_EXP[u]!);
  if (u in BINARY_POW) return tidy(Number(amount) * 2 ** BINARY_POW[u]!);
  throw new BuiltinError(`unknown unit: ${unit}`);
}

function parseBytes(s: string): number {
  const { amount, unit } = split(s, 'no byte amount provided');
  const u = unit.toLowerCase().replace(/b$/, '');
  let n: number;
  if (u in DECIMAL_EXP) n = scaleDecimal(amount, DECIMAL_EXP[u]!);
  else if (u in BINARY_POW) n = Number(amount) * 2 ** BINARY_POW[u]!;
  else throw new BuiltinError(`byte unit ${JSON.stringify(unit)} not recognized`);
  return Math.trunc(n);
}

implementAll({
  'units.parse': (args) => parseUnits(strArg(args, 0)),
  'units.parse_bytes': (args) => parseBytes(strArg(args, 0)),
});
