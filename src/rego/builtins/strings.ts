// String builtins. Offsets and lengths count code points, as OPA does.

import { implementAll } from './define.js';
import { elementError, intArg, numArg, objArg, operandError, strArg, typeError } from './operands.js';
import { BuiltinError, RegoSet, type RegoValue } from './types.js';
import { collectionItems, objectEntries, setItems } from './value.js';

const codePoints = (s: string): string[] => [...s];

/** Code point index of the first occurrence of `sub` at or after code unit `from`, as [unitIndex, cpIndex]. */
function cpIndexOfUnit(s: string, unit: number): number {
  return codePoints(s.slice(0, unit)).length;
}

/** Go's strings.Trim* cutset semantics: any code point in `cut`. */
function trimSet(s: string, cut: string, left: boolean, right: boolean): string {
  const set = new Set(codePoints(cut));
  const cps = codePoints(s);
  let a = 0;
  let b = cps.length;
  if (left) while (a < b && set.has(cps[a]!)) a++;
  if (right) while (b > a && set.has(cps[b - 1]!)) b--;
  return cps.slice(a, b).join('');
}

/** Go's unicode.IsSpace. */
const GO_SPACE = /^[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+|[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+$/g;

/** Go's strings.Count: non-overlapping occurrences; empty needle counts code points + 1. */
function countOf(s: string, sub: string): number {
  if (sub === '') return codePoints(s).length + 1;
  let n = 0;
  for (let i = s.indexOf(sub); i >= 0; i = s.indexOf(sub, i + sub.length)) n++;
  return n;
}

/** Go's strings.Split: empty separator splits into code points. */
export function goSplit(s: string, sep: string): string[] {
  if (sep === '') return codePoints(s);
  return s.split(sep);
}

/** Go's strings.NewReplacer(old1, new1, ...).Replace: leftmost match, earlier pairs win ties at one position. */
function replaceMany(s: string, pairs: Array<[string, string]>): string {
  let out = '';
  let i = 0;
  outer: while (i <= s.length) {
    for (const [from, to] of pairs) {
      if (from === '' ? true : s.startsWith(from, i)) {
        if (from === '') {
          out += to;
          if (i < s.length) out += String.fromCodePoint(s.codePointAt(i)!);
          i += i < s.length ? String.fromCodePoint(s.codePointAt(i)!).length : 1;
          continue outer;
        }
        out += to;
        i += from.length;
        continue outer;
      }
    }
    if (i < s.length) out += s[i];
    i++;
  }
  return out;
}

/** Strings of a string / array / set operand of strings.any_prefix_match and friends. */
function stringsOf(args: RegoValue[], i: number): string[] {
  const v = args[i] ?? null;
  if (typeof v === 'string') return [v];
  const items = collectionItems(v);
  if (!items) throw operandError(i + 1, ['string', 'set', 'array'], v);
  return items.map((x) => {
    if (typeof x !== 'string') throw elementError(i + 1, v, x, 'string');
    return x;
  });
}

/** Go maps case rune by rune; JS may expand one rune into several (ß -> SS), which Go never does. */
function mapRunes(s: string, f: (c: string) => string): string {
  let out = '';
  for (const c of s) {
    const m = f(c);
    out += [...m].length === 1 ? m : c;
  }
  return out;
}

const FORMAT_BASES = new Set([2, 8, 10, 16]);

implementAll({
  concat: (args) => {
    const sep = strArg(args, 0);
    const coll = args[1] ?? null;
    const items = Array.isArray(coll) ? coll : coll instanceof RegoSet ? setItems(coll) : undefined;
    if (!items) throw operandError(2, ['set', 'array'], coll);
    return items
      .map((x) => {
        if (typeof x !== 'string') throw elementError(2, coll, x, 'string');
        return x;
      })
      .join(sep);
  },
  contains: (args) => strArg(args, 0).includes(strArg(args, 1)),
  startswith: (args) => strArg(args, 0).startsWith(strArg(args, 1)),
  endswith: (args) => strArg(args, 0).endsWith(strArg(args, 1)),
  format_int: (args) => {
    const n = numArg(args, 0);
    const base = numArg(args, 1);
    if (!FORMAT_BASES.has(base)) throw typeError('operand 2 must be one of {2, 8, 10, 16}');
    const t = Math.trunc(n);
    return (t < 0 ? '-' : '') + BigInt(Math.abs(t)).toString(base);
  },
  indexof: (args) => {
    const s = strArg(args, 0);
    const i = s.indexOf(strArg(args, 1));
    return i < 0 ? -1 : cpIndexOfUnit(s, i);
  },
  indexof_n: (args) => {
    const s = strArg(args, 0);
    const sub = strArg(args, 1);
    const out: number[] = [];
    if (sub === '') return out;
    for (let i = s.indexOf(sub); i >= 0; i = s.indexOf(sub, i + 1)) out.push(cpIndexOfUnit(s, i));
    return out;
  },
  lower: (args) => mapRunes(strArg(args, 0), (c) => c.toLowerCase()),
  upper: (args) => mapRunes(strArg(args, 0), (c) => c.toUpperCase()),
  replace: (args) => {
    const s = strArg(args, 0);
    const from = strArg(args, 1);
    const to = strArg(args, 2);
    return from === '' ? replaceMany(s, [['', to]]) : s.split(from).join(to);
  },
  split: (args) => goSplit(strArg(args, 0), strArg(args, 1)),
  substring: (args) => {
    const s = strArg(args, 0);
    const start = intArg(args, 1);
    const len = intArg(args, 2);
    if (start < 0) throw new BuiltinError('negative offset');
    const cps = codePoints(s);
    if (start >= cps.length) return '';
    return (len < 0 ? cps.slice(start) : cps.slice(start, start + len)).join('');
  },
  trim: (args) => trimSet(strArg(args, 0), strArg(args, 1), true, true),
  trim_left: (args) => trimSet(strArg(args, 0), strArg(args, 1), true, false),
  trim_right: (args) => trimSet(strArg(args, 0), strArg(args, 1), false, true),
  trim_prefix: (args) => {
    const s = strArg(args, 0);
    const p = strArg(args, 1);
    return s.startsWith(p) ? s.slice(p.length) : s;
  },
  trim_suffix: (args) => {
    const s = strArg(args, 0);
    const p = strArg(args, 1);
    return p !== '' && s.endsWith(p) ? s.slice(0, s.length - p.length) : s;
  },
  trim_space: (args) => strArg(args, 0).replace(GO_SPACE, ''),
  'strings.any_prefix_match': (args) => {
    const ss = stringsOf(args, 0);
    const ps = stringsOf(args, 1);
    return ss.some((s) => ps.some((p) => s.startsWith(p)));
  },
  'strings.any_suffix_match': (args) => {
    const ss = stringsOf(args, 0);
    const ps = stringsOf(args, 1);
    return ss.some((s) => ps.some((p) => s.endsWith(p)));
  },
  'strings.count': (args) => countOf(strArg(args, 0), strArg(args, 1)),
  'strings.replace_n': (args) => {
    const patterns = objArg(args, 0);
    const s = strArg(args, 1);
    const pairs: Array<[string, string]> = [];
    for (const [k, v] of objectEntries(patterns)) {
      if (typeof k !== 'string') throw typeError('operand 1 non-string key found in pattern object');
      if (typeof v !== 'string') throw typeError('operand 1 non-string value found in pattern object');
      pairs.push([k, v]);
    }
    // Go ranges over the object's keys in sorted order when building the replacer.
    pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    return replaceMany(s, pairs);
  },
  'strings.reverse': (args) => codePoints(strArg(args, 0)).reverse().join(''),
});
