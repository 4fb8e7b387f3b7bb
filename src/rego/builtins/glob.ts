// glob.match / glob.quote_meta (gobwas/glob syntax, compiled to RE2) and
// regex.globs_match (do two simple patterns share a matching string?).

import { implementAll } from './define.js';
import { collectionItems } from './value.js';
import { operandError, strArg } from './operands.js';
import { compileRegex, quoteRegex } from './re2.js';
import { BuiltinError, type RegoValue } from './types.js';

// ---------------------------------------------------------------- glob.match

const GLOB_SPECIALS = new Set(['*', '?', '\\', '[', ']', '{', '}']);

function classEscape(c: string): string {
  return /[\\\]^\-[]/.test(c) ? '\\' + c : c;
}

/** gobwas/glob pattern -> anchored RE2 source. */
export function globToRegex(pattern: string, separators: string[]): string {
  const cps = [...pattern];
  const notSep = separators.length ? `[^${separators.map(classEscape).join('')}]` : '.';
  let i = 0;
  let depth = 0;
  const fail = (msg: string): never => {
    throw new BuiltinError(msg);
  };
  let out = '';
  while (i < cps.length) {
    const c = cps[i]!;
    if (c === '\\') {
      if (i + 1 >= cps.length) fail('unexpected end of input after escape');
      out += quoteRegex(cps[i + 1]!);
      i += 2;
    } else if (c === '*') {
      if (cps[i + 1] === '*') {
        out += '.*';
        i += 2;
      } else {
        out += notSep + '*';
        i++;
      }
    } else if (c === '?') {
      out += notSep;
      i++;
    } else if (c === '[') {
      let j = i + 1;
      let neg = false;
      if (cps[j] === '!') {
        neg = true;
        j++;
      }
      let cls = '';
      let closed = false;
      while (j < cps.length) {
        const d = cps[j]!;
        if (d === ']') {
          closed = true;
          break;
        }
        if (cps[j + 1] === '-' && j + 2 < cps.length && cps[j + 2] !== ']') {
          cls += `${classEscape(d)}-${classEscape(cps[j + 2]!)}`;
          j += 3;
        } else {
          cls += classEscape(d);
          j++;
        }
      }
      if (!closed) fail('unexpected end of input in character class');
      out += `[${neg ? '^' : ''}${cls}]`;
      i = j + 1;
    } else if (c === '{') {
      depth++;
      out += '(?:';
      i++;
    } else if (c === ',' && depth > 0) {
      out += '|';
      i++;
    } else if (c === '}' && depth > 0) {
      depth--;
      out += ')';
      i++;
    } else {
      out += quoteRegex(c);
      i++;
    }
  }
  if (depth > 0) fail('unexpected end of input in alternatives');
  return `^(?s:${out})$`;
}

function separatorsOf(v: RegoValue): string[] {
  if (v === null) return [];
  const items = collectionItems(v);
  if (!items) throw operandError(2, ['array', 'null'], v);
  if (items.length === 0) return ['.'];
  return items.flatMap((x) => {
    if (typeof x !== 'string') throw operandError(2, 'array of strings', x);
    return [...x];
  });
}

// ---------------------------------------------------------------- regex.globs_match

interface CharSet {
  negated: boolean;
  ranges: Array<[number, number]>;
}
interface GlobToken {
  set: CharSet;
  star: boolean;
  optional: boolean;
}

const ANY: CharSet = { negated: true, ranges: [] };

function invalid(input: string, pos: number, msg: string): BuiltinError {
  return new BuiltinError(`input:${input}, pos:${pos}, ${msg}: the input provided is invalid`);
}

/** Tokens of the regex subset globs_match understands: literals, `.`, `[...]`, each optionally followed by *, + or ?. */
function globTokens(input: string): GlobToken[] {
  const cps = [...input];
  const tokens: GlobToken[] = [];
  let i = 0;
  while (i < cps.length) {
    const c = cps[i]!;
    let set: CharSet;
    if (c === '\\') {
      if (i + 1 >= cps.length) throw invalid(input, i + 1, "escape '\\' at end of input");
      const cp = cps[i + 1]!.codePointAt(0)!;
      set = { negated: false, ranges: [[cp, cp]] };
      i += 2;
    } else if (c === '.') {
      set = ANY;
      i++;
    } else if (c === '[') {
      let j = i + 1;
      const negated = cps[j] === '^';
      if (negated) j++;
      const ranges: Array<[number, number]> = [];
      while (j < cps.length && cps[j] !== ']') {
        let lo = cps[j]!;
        if (lo === '\\' && j + 1 < cps.length) lo = cps[++j]!;
        if (cps[j + 1] === '-' && j + 2 < cps.length && cps[j + 2] !== ']') {
          let hi = cps[j + 2]!;
          let k = j + 2;
          if (hi === '\\' && k + 1 < cps.length) hi = cps[++k]!;
          ranges.push([lo.codePointAt(0)!, hi.codePointAt(0)!]);
          j = k + 1;
        } else {
          ranges.push([lo.codePointAt(0)!, lo.codePointAt(0)!]);
          j++;
        }
      }
      if (j >= cps.length) throw invalid(input, i + 1, "set-open '[' with no closing ']'");
      set = { negated, ranges };
      i = j + 1;
    } else if (c === ']') {
      throw invalid(input, i + 1, "set-close ']' with no preceding '['");
    } else if (c === '*' || c === '+' || c === '?') {
      throw invalid(input, i + 1, `flag '${c}' with no preceding content`);
    } else {
      const cp = c.codePointAt(0)!;
      set = { negated: false, ranges: [[cp, cp]] };
      i++;
    }
    const flag = cps[i];
    if (flag === '*') {
      tokens.push({ set, star: true, optional: true });
      i++;
    } else if (flag === '+') {
      tokens.push({ set, star: false, optional: false }, { set, star: true, optional: true });
      i++;
    } else if (flag === '?') {
      tokens.push({ set, star: false, optional: true });
      i++;
    } else tokens.push({ set, star: false, optional: false });
  }
  return tokens;
}

function rangesCover(ranges: Array<[number, number]>, lo: number, hi: number): boolean {
  // Is every code point in [lo, hi] inside the union of ranges?
  let next = lo;
  for (const [a, b] of [...ranges].sort((x, y) => x[0] - y[0])) {
    if (a > next) return false;
    if (b >= next) next = b + 1;
    if (next > hi) return true;
  }
  return next > hi;
}

function setsIntersect(a: CharSet, b: CharSet): boolean {
  if (a.negated && b.negated) return true;
  if (a.negated) return setsIntersect(b, a);
  if (b.negated) return a.ranges.some(([lo, hi]) => !rangesCover(b.ranges, lo, hi));
  return a.ranges.some(([l1, h1]) => b.ranges.some(([l2, h2]) => l1 <= h2 && l2 <= h1));
}

/** Non-empty intersection of the two patterns' languages (product automaton reachability). */
function globsIntersect(x: GlobToken[], y: GlobToken[]): boolean {
  const closure = (ts: GlobToken[], i: number): number[] => {
    const out = [i];
    while (i < ts.length && ts[i]!.optional) out.push(++i);
    return out;
  };
  const seen = new Set<string>();
  const queue: Array<[number, number]> = [[0, 0]];
  while (queue.length) {
    const [i, j] = queue.pop()!;
    const key = `${i},${j}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const ci = closure(x, i);
    const cj = closure(y, j);
    if (ci.includes(x.length) && cj.includes(y.length)) return true;
    for (const a of ci) {
      if (a >= x.length) continue;
      for (const b of cj) {
        if (b >= y.length) continue;
        if (setsIntersect(x[a]!.set, y[b]!.set)) queue.push([x[a]!.star ? a : a + 1, y[b]!.star ? b : b + 1]);
      }
    }
  }
  return false;
}

implementAll({
  'glob.match': (args) => {
    const pattern = strArg(args, 0);
    const seps = separatorsOf(args[1] ?? null);
    const s = strArg(args, 2);
    return compileRegex(globToRegex(pattern, seps)).matches(s);
  },
  'glob.quote_meta': (args) =>
    [...strArg(args, 0)].map((c) => (GLOB_SPECIALS.has(c) ? '\\' + c : c)).join(''),
  'regex.globs_match': (args) => globsIntersect(globTokens(strArg(args, 0)), globTokens(strArg(args, 1))),
});
