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

// ---------------------------------------------------------------- units.parse_bytes
// OPA's parse_bytes.go step for step: the text is lower-cased and unquoted,
// split where the number ends, the amount read as a Go big.Float (64-bit
// mantissa, round half to even), multiplied by the unit (rounded again) and
// truncated to an integer. Its errors carry the builtin's name themselves,
// so OPA prints it twice ("units.parse_bytes: units.parse_bytes: ...").

const BYTES_ERR = 'units.parse_bytes: ';
const KB = 1000n;
const KI = 1024n;
const BYTE_UNITS: Record<string, bigint> = {
  '': 1n,
  kb: KB, k: KB, kib: KI, ki: KI,
  mb: KB ** 2n, m: KB ** 2n, mib: KI ** 2n, mi: KI ** 2n,
  gb: KB ** 3n, g: KB ** 3n, gib: KI ** 3n, gi: KI ** 3n,
  tb: KB ** 4n, t: KB ** 4n, tib: KI ** 4n, ti: KI ** 4n,
  pb: KB ** 5n, p: KB ** 5n, pib: KI ** 5n, pi: KI ** 5n,
  eb: KB ** 6n, e: KB ** 6n, eib: KI ** 6n, ei: KI ** 6n,
};
/** OPA refuses exponents with more digits than this. */
const MAX_EXPONENT_DIGITS = 6;
/** Beyond this power of ten the exact arithmetic below would be slow; no byte count is that large. */
const MAX_DECIMAL_EXPONENT = 4000;

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';

/** extractNumAndUnit: the amount ends at the first character that cannot continue a number. */
function splitAmount(s: string): { num: string; unit: string } {
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (!isDigit(c) && c !== '.' && c !== 'e' && c !== 'E' && c !== '+' && c !== '-') {
      return i === 0 ? { num: '', unit: s } : { num: s.slice(0, i), unit: s.slice(i) };
    }
    if (c === 'e' || c === 'E') {
      const next = s[i + 1];
      if (next === undefined || (!isDigit(next) && next !== '+' && next !== '-')) {
        return i === 0 ? { num: '', unit: s } : { num: s.slice(0, i), unit: s.slice(i) };
      }
      if (next === '+' || next === '-') i++;
      let end = i + 1;
      while (isDigit(s[end])) end++;
      if (end - (i + 1) > MAX_EXPONENT_DIGITS) throw new BuiltinError(`${BYTES_ERR}exponent too large`);
    }
  }
  return { num: s, unit: '' };
}

const bitLength = (n: bigint): number => (n === 0n ? 0 : n.toString(2).length);

/** n/d (both > 0) rounded to a 64-bit mantissa, half to even: [mantissa, binary exponent]. */
function round64(n: bigint, d: bigint): [bigint, number] {
  let e = bitLength(n) - bitLength(d) - 64;
  const scaled = (): [bigint, bigint] => (e >= 0 ? [n, d << BigInt(e)] : [n << BigInt(-e), d]);
  let [num, den] = scaled();
  if (num / den >= 1n << 64n) e++;
  else if (num / den < 1n << 63n) e--;
  [num, den] = scaled();
  let q = num / den;
  const r2 = (num % den) * 2n;
  if (r2 > den || (r2 === den && (q & 1n) === 1n)) q++;
  if (q === 1n << 64n) return [q >> 1n, e + 1];
  return [q, e];
}

function parseBytes(raw: string): number | bigint {
  const s = raw.toLowerCase().replace(/"/g, '');
  if (s.includes(' ')) throw new BuiltinError(`${BYTES_ERR}spaces not allowed in resource strings`);
  const { num, unit } = splitAmount(s);
  if (num === '') throw new BuiltinError(`${BYTES_ERR}no byte amount provided`);
  const multiplier = BYTE_UNITS[unit];
  if (multiplier === undefined) throw new BuiltinError(`${BYTES_ERR}byte unit ${unit} not recognized`);
  // big.Float.SetString: sign, digits with at most one '.', optional exponent.
  const m = /^([+-]?)(\d*)(?:\.(\d*))?(?:e([+-]?\d+))?$/.exec(num);
  if (!m || (m[2] === '' && (m[3] ?? '') === '')) throw new BuiltinError(`${BYTES_ERR}could not parse byte amount to a number`);
  const digits = BigInt(`${m[2]}${m[3] ?? ''}` || '0');
  if (digits === 0n) return 0;
  const exp10 = Number(m[4] ?? 0) - (m[3] ?? '').length;
  if (exp10 > MAX_DECIMAL_EXPONENT) throw new BuiltinError(`${BYTES_ERR}byte amount too large`);
  if (exp10 < -MAX_DECIMAL_EXPONENT) return 0;
  const [n, d] = exp10 >= 0 ? [digits * 10n ** BigInt(exp10), 1n] : [digits, 10n ** BigInt(-exp10)];
  const [mant, e] = round64(n, d);
  const [pm, pe] = round64(mant * multiplier << BigInt(Math.max(e, 0)), e < 0 ? 1n << BigInt(-e) : 1n);
  let total = pe >= 0 ? pm << BigInt(pe) : pm >> BigInt(-pe);
  if (m[1] === '-') total = -total;
  return total >= BigInt(Number.MIN_SAFE_INTEGER) && total <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(total) : total;
}

implementAll({
  'units.parse': (args) => parseUnits(strArg(args, 0)),
  'units.parse_bytes': (args) => parseBytes(strArg(args, 0)),
});
