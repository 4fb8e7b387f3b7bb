// sprintf: Go's fmt verbs applied to Rego values the way OPA hands them to
// fmt.Sprintf: integers as int64 (or *big.Int beyond), other numbers as
// float64, strings as strings and every other value as its Rego text.

import { implement, wantExactNumbers } from './define.js';
import { arrArg, strArg } from './operands.js';
import { NumberText, type RegoValue } from './types.js';
import { formatValue } from './value.js';

type GoArg =
  | { kind: 'int64'; v: bigint }
  | { kind: 'bigint'; v: bigint }
  | { kind: 'float64'; v: number }
  | { kind: 'string'; v: string };

const INT64_MAX = 2n ** 63n - 1n;
const INT64_MIN = -(2n ** 63n);

export function toGoArg(x: RegoValue): GoArg {
  // OPA (strings.go): a number that is neither an integer nor a float64 is passed as its text.
  if ((x as unknown) instanceof NumberText) return { kind: 'string', v: (x as unknown as NumberText).text };
  if (typeof x === 'bigint') return x <= INT64_MAX && x >= INT64_MIN ? { kind: 'int64', v: x } : { kind: 'bigint', v: x };
  if (typeof x === 'number') {
    if (Number.isInteger(x)) {
      const b = BigInt(x);
      return b <= INT64_MAX && b >= INT64_MIN ? { kind: 'int64', v: b } : { kind: 'bigint', v: b };
    }
    return { kind: 'float64', v: x };
  }
  if (typeof x === 'string') return { kind: 'string', v: x };
  return { kind: 'string', v: formatValue(x) };
}

interface Spec {
  minus: boolean;
  plus: boolean;
  sharp: boolean;
  space: boolean;
  zero: boolean;
  width?: number;
  prec?: number;
}

function goTypeName(a: GoArg): string {
  return a.kind === 'bigint' ? '*big.Int' : a.kind;
}

/** Go's default %v text of an argument (used in %!verb(type=value) diagnostics too). */
function plain(a: GoArg): string {
  switch (a.kind) {
    case 'int64':
    case 'bigint':
      return a.v.toString();
    case 'float64':
      return formatG(a.v, undefined, false);
    case 'string':
      return a.v;
  }
}

function badVerb(verb: string, a: GoArg): string {
  return `%!${verb}(${goTypeName(a)}=${plain(a)})`;
}

/** Decimal digits and exponent of |f| rounded to `sig` significant digits (all digits when undefined). */
function digitsOf(f: number, sig?: number): { digits: string; exp: number } {
  const s = sig === undefined ? Math.abs(f).toExponential() : Math.abs(f).toExponential(Math.max(sig - 1, 0));
  const [mant, e] = s.split('e') as [string, string];
  return { digits: mant.replace('.', ''), exp: Number(e) };
}

function expText(exp: number, upper: boolean): string {
  const sign = exp < 0 ? '-' : '+';
  const n = Math.abs(exp);
  return `${upper ? 'E' : 'e'}${sign}${n < 10 ? '0' + n : n}`;
}

function formatE(f: number, prec: number, upper: boolean): string {
  const { digits, exp } = digitsOf(f, prec + 1);
  const mant = prec > 0 ? `${digits[0]}.${digits.slice(1)}` : digits[0]!;
  return (f < 0 || Object.is(f, -0) ? '-' : '') + mant + expText(f === 0 ? 0 : exp, upper);
}

/** Go's %g: shortest repr when prec is undefined, %e for exponents < -4 or >= precision (6 when shortest). */
function formatG(f: number, prec: number | undefined, upper: boolean): string {
  if (!Number.isFinite(f)) return Number.isNaN(f) ? 'NaN' : f > 0 ? '+Inf' : '-Inf';
  if (f === 0) return Object.is(f, -0) ? '-0' : '0';
  const shortest = prec === undefined;
  const p = shortest ? undefined : prec === 0 ? 1 : prec;
  const { digits, exp } = digitsOf(f, p);
  const trimmed = shortest ? digits : digits.replace(/0+$/, '') || '0';
  const eprec = shortest ? 6 : p!;
  const neg = f < 0 ? '-' : '';
  if (exp < -4 || exp >= eprec) {
    const mant = trimmed.length > 1 ? `${trimmed[0]}.${trimmed.slice(1)}` : trimmed;
    return neg + mant + expText(exp, upper);
  }
  if (exp < 0) return `${neg}0.${'0'.repeat(-exp - 1)}${trimmed}`;
  if (trimmed.length <= exp + 1) return neg + trimmed + '0'.repeat(exp + 1 - trimmed.length);
  return `${neg}${trimmed.slice(0, exp + 1)}.${trimmed.slice(exp + 1)}`;
}

function goQuote(s: string, asciiOnly: boolean): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (c === 7) out += '\\a';
    else if (c === 8) out += '\\b';
    else if (c === 12) out += '\\f';
    else if (c === 10) out += '\\n';
    else if (c === 13) out += '\\r';
    else if (c === 9) out += '\\t';
    else if (c === 11) out += '\\v';
    else if (c < 0x20 || c === 0x7f) out += '\\x' + c.toString(16).padStart(2, '0');
    else if (asciiOnly && c > 0x7e) out += c > 0xffff ? '\\U' + c.toString(16).padStart(8, '0') : '\\u' + c.toString(16).padStart(4, '0');
    else out += ch;
  }
  return out + '"';
}

function pad(body: string, spec: Spec, numeric: boolean): string {
  const w = spec.width ?? 0;
  const len = [...body].length;
  if (len >= w) return body;
  if (spec.minus) return body + ' '.repeat(w - len);
  if (spec.zero && numeric) {
    const sign = /^[+\- ]/.test(body) ? body[0]! : '';
    return sign + '0'.repeat(w - len) + body.slice(sign.length);
  }
  return (spec.zero && !numeric ? '0' : ' ').repeat(w - len) + body;
}

function signed(body: string, negative: boolean, spec: Spec): string {
  if (negative) return '-' + body;
  if (spec.plus) return '+' + body;
  if (spec.space) return ' ' + body;
  return body;
}

function formatInt(v: bigint, verb: string, spec: Spec): string | undefined {
  const neg = v < 0n;
  const abs = neg ? -v : v;
  let digits: string;
  let prefix = '';
  switch (verb) {
    case 'd':
    case 'v':
      digits = abs.toString(10);
      break;
    case 'b':
      digits = abs.toString(2);
      if (spec.sharp) prefix = '0b';
      break;
    case 'o':
      digits = abs.toString(8);
      if (spec.sharp) prefix = '0';
      break;
    case 'O':
      digits = abs.toString(8);
      prefix = '0o';
      break;
    case 'x':
      digits = abs.toString(16);
      if (spec.sharp) prefix = '0x';
      break;
    case 'X':
      digits = abs.toString(16).toUpperCase();
      if (spec.sharp) prefix = '0X';
      break;
    case 'c':
      return pad(String.fromCodePoint(Number(v)), spec, false);
    case 'q':
      return pad(goQuote(String.fromCodePoint(Number(v)), spec.plus).replace(/^"|"$/g, "'"), spec, false);
    case 'U':
      return pad('U+' + abs.toString(16).toUpperCase().padStart(4, '0'), spec, false);
    default:
      return undefined;
  }
  if (spec.prec !== undefined) digits = spec.prec === 0 && abs === 0n ? '' : digits.padStart(spec.prec, '0');
  const body = signed(prefix + digits, neg, spec);
  return pad(body, spec.prec !== undefined ? { ...spec, zero: false } : spec, true);
}

function formatFloat(f: number, verb: string, spec: Spec): string | undefined {
  const neg = f < 0 || Object.is(f, -0);
  const abs = Math.abs(f);
  let body: string;
  switch (verb) {
    case 'f':
    case 'F':
      body = abs.toFixed(spec.prec ?? 6);
      break;
    case 'e':
    case 'E':
      body = formatE(abs, spec.prec ?? 6, verb === 'E');
      break;
    case 'g':
    case 'G':
    case 'v':
      body = formatG(abs, spec.prec, verb === 'G');
      break;
    default:
      return undefined;
  }
  return pad(signed(body, neg, spec), spec, true);
}

function formatString(s: string, verb: string, spec: Spec): string | undefined {
  const cut = spec.prec !== undefined ? [...s].slice(0, spec.prec).join('') : s;
  switch (verb) {
    case 's':
    case 'v':
      return pad(spec.sharp && verb === 'v' ? goQuote(cut, false) : cut, spec, false);
    case 'q':
      return pad(spec.sharp && !cut.includes('`') ? '`' + cut + '`' : goQuote(cut, spec.plus), spec, false);
    case 'x':
    case 'X': {
      const bytes = Buffer.from(cut, 'utf8');
      const hex = [...bytes].map((b) => b.toString(16).padStart(2, '0'));
      let out = spec.space ? hex.map((h) => (spec.sharp ? '0x' + h : h)).join(' ') : (spec.sharp ? '0x' : '') + hex.join('');
      if (verb === 'X') out = out.toUpperCase();
      return pad(out, spec, false);
    }
    default:
      return undefined;
  }
}

function formatArg(a: GoArg, verb: string, spec: Spec): string {
  let out: string | undefined;
  switch (a.kind) {
    case 'int64':
    case 'bigint':
      out = formatInt(a.v, verb, spec);
      if (out === undefined && a.kind === 'bigint' && verb === 's') out = pad(a.v.toString(), spec, true);
      if (out === undefined && a.kind === 'bigint' && 'eEfFgG'.includes(verb)) out = formatFloat(Number(a.v), verb, spec);
      break;
    case 'float64':
      out = formatFloat(a.v, verb, spec);
      break;
    case 'string':
      out = formatString(a.v, verb, spec);
      break;
  }
  return out ?? badVerb(verb, a);
}

export function goSprintf(format: string, args: GoArg[]): string {
  let out = '';
  let argi = 0;
  let i = 0;
  while (i < format.length) {
    const pct = format.indexOf('%', i);
    if (pct < 0) {
      out += format.slice(i);
      break;
    }
    out += format.slice(i, pct);
    i = pct + 1;
    const spec: Spec = { minus: false, plus: false, sharp: false, space: false, zero: false };
    for (; i < format.length; i++) {
      const c = format[i];
      if (c === '-') spec.minus = true;
      else if (c === '+') spec.plus = true;
      else if (c === '#') spec.sharp = true;
      else if (c === ' ') spec.space = true;
      else if (c === '0') spec.zero = !spec.minus;
      else break;
    }
    const num = () => {
      const m = /^\d+/.exec(format.slice(i));
      if (!m) return undefined;
      i += m[0].length;
      return Number(m[0]);
    };
    if (format[i] === '*') {
      i++;
      const w = args[argi++];
      spec.width = w && w.kind === 'int64' ? Number(w.v) : undefined;
      if (spec.width !== undefined && spec.width < 0) {
        spec.minus = true;
        spec.width = -spec.width;
      }
    } else spec.width = num();
    if (format[i] === '.') {
      i++;
      if (format[i] === '*') {
        i++;
        const p = args[argi++];
        spec.prec = p && p.kind === 'int64' ? Number(p.v) : 0;
      } else spec.prec = num() ?? 0;
    }
    if (i >= format.length) {
      out += '%!(NOVERB)';
      break;
    }
    const verb = String.fromCodePoint(format.codePointAt(i)!);
    i += verb.length;
    if (verb === '%') {
      out += '%';
      continue;
    }
    const a = args[argi++];
    out += a === undefined ? `%!${verb}(MISSING)` : formatArg(a, verb, spec);
  }
  if (argi < args.length) {
    out += `%!(EXTRA ${args
      .slice(argi)
      .map((a) => `${goTypeName(a)}=${plain(a)}`)
      .join(', ')})`;
  }
  return out;
}

implement('sprintf', (args) => goSprintf(strArg(args, 0), arrArg(args, 1).map(toGoArg)));
wantExactNumbers('sprintf');
