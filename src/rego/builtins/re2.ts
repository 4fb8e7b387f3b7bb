// Compiled RE2 patterns (re2js: Go's syntax, linear time) with Go's
// match-iteration semantics. JS RegExp never sees user patterns.

import type { RE2JS } from 're2js';
import { re2Library } from '../../lazy-libraries.js';
import { BuiltinError } from './types.js';

const cache = new Map<string, RE2JS>();
const CACHE_LIMIT = 500;

/** The compiled pattern; a syntax error becomes a BuiltinError with Go's message. */
export function compileRegex(pattern: string): RE2JS {
  const hit = cache.get(pattern);
  if (hit) return hit;
  let re: RE2JS;
  try {
    re = re2Library().RE2JS.compile(pattern);
  } catch (e) {
    throw new BuiltinError(e instanceof Error ? e.message : String(e));
  }
  if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value as string);
  cache.set(pattern, re);
  return re;
}

export interface Match {
  /** Code unit offsets of the whole match and of each group (-1 when a group did not take part). */
  start: number;
  end: number;
  groups: Array<string | null>;
}

/**
 * Go's FindAll*: up to n matches (n < 0: all); an empty match right after
 * the previous match is skipped, and the scan moves one code point on after
 * an empty match.
 */
export function findAll(re: RE2JS, s: string, n: number): Match[] {
  const out: Match[] = [];
  if (n === 0) return out;
  const m = re.matcher(s);
  let pos = 0;
  let prevEnd = -1;
  while (pos <= s.length && (n < 0 || out.length < n)) {
    if (!m.find(pos)) break;
    const start = m.start();
    const end = m.end();
    let accept = true;
    if (end === start) {
      if (start === prevEnd) accept = false;
      const cp = s.codePointAt(start);
      pos = start + (cp === undefined ? 1 : cp > 0xffff ? 2 : 1);
    } else pos = end;
    prevEnd = end;
    if (accept) {
      const groups: Array<string | null> = [];
      for (let g = 0; g <= m.groupCount(); g++) groups.push(m.group(g));
      out.push({ start, end, groups });
    }
  }
  return out;
}

/** Go's Regexp.Split(s, -1). */
export function splitAll(re: RE2JS, pattern: string, s: string): string[] {
  if (pattern.length > 0 && s.length === 0) return [''];
  const out: string[] = [];
  let beg = 0;
  let end = 0;
  for (const m of findAll(re, s, -1)) {
    end = m.start;
    if (m.end !== 0) out.push(s.slice(beg, end));
    beg = m.end;
  }
  if (end !== s.length) out.push(s.slice(beg));
  return out;
}

/** Go's Regexp.Expand for ReplaceAllString templates: $1, ${1}, $name, ${name}, $$. */
export function expandTemplate(template: string, re: RE2JS, groups: Array<string | null>): string {
  const names = re.namedGroups() as Record<string, number>;
  let out = '';
  for (let i = 0; i < template.length; i++) {
    const c = template[i];
    if (c !== '$') {
      out += c;
      continue;
    }
    const rest = template.slice(i + 1);
    if (rest.startsWith('$')) {
      out += '$';
      i++;
      continue;
    }
    const m = /^\{([A-Za-z0-9_]+)\}/.exec(rest) ?? /^([A-Za-z0-9_]+)/.exec(rest);
    if (!m) {
      out += '$';
      continue;
    }
    i += m[0].length;
    const name = m[1]!;
    const idx = /^\d+$/.test(name) ? Number(name) : names[name];
    if (idx !== undefined && idx < groups.length) out += groups[idx] ?? '';
  }
  return out;
}

/** Go's ReplaceAllString. */
export function replaceAll(re: RE2JS, s: string, template: string): string {
  let out = '';
  let last = 0;
  for (const m of findAll(re, s, -1)) {
    out += s.slice(last, m.start) + expandTemplate(template, re, m.groups);
    last = m.end;
  }
  return out + s.slice(last);
}

/** Regex source matching `s` literally. */
export function quoteRegex(s: string): string {
  return s.replace(/[\\.+*?()|[\]{}^$]/g, (c) => '\\' + c);
}
