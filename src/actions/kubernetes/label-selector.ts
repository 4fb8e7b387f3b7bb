// Kubernetes label selectors whose values may be `event.input.<path>`
// references. Parsed once at config load (keys and literal values checked),
// resolved per delivery value by value, then formatted for the apiserver and
// used locally to double-check what it returns.
//
//   selector    := requirement (',' requirement)*
//   requirement := key | '!' key | key ('=' | '==' | '!=') value
//                | key ('in' | 'notin') '(' value (',' value)* ')'
//                | key ('<' | '>') integer

import { EventRefError, isEventRef, parseEventRef, resolveEventRef } from '../event-ref.js';
import { labelValueProblem, qualifiedNameProblem } from './label-values.js';

export type SelectorOp = 'exists' | '!' | '=' | '!=' | 'in' | 'notin' | '<' | '>';

export interface Requirement {
  key: string;
  op: SelectorOp;
  /** Literal values or event references (before resolution). */
  values: string[];
}

export class SelectorError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SelectorError';
  }
}

const SPECIAL = new Set(['!', '=', '(', ')', ',', '<', '>']);

function tokenize(text: string): string[] {
  const toks: string[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (/\s/.test(c)) { i++; continue; }
    if ((c === '=' || c === '!') && text[i + 1] === '=') { toks.push(c + '='); i += 2; continue; }
    if (SPECIAL.has(c)) { toks.push(c); i++; continue; }
    let j = i;
    const isRef = text.startsWith('event.input', i);
    while (j < text.length) {
      // Quoted keys of a reference (`["a b"]`) may hold any character.
      if (isRef && text[j] === '[' && (text[j + 1] === '"' || text[j + 1] === "'")) {
        const end = text.indexOf(text[j + 1] + ']', j + 2);
        if (end < 0) throw new SelectorError(`unterminated quoted key in '${text.slice(i)}'`);
        j = end + 2;
        continue;
      }
      if (SPECIAL.has(text[j]) || /\s/.test(text[j])) break;
      j++;
    }
    toks.push(text.slice(i, j));
    i = j;
  }
  return toks;
}

const isWord = (t: string | undefined): t is string => t !== undefined && !SPECIAL.has(t) && t !== '==' && t !== '!=';

function checkValue(v: string): void {
  if (isEventRef(v)) {
    try { parseEventRef(v); } catch (e) { throw new SelectorError(e instanceof EventRefError ? `${v}: ${e.message}` : String(e)); }
    return;
  }
  const p = labelValueProblem(v);
  if (p) throw new SelectorError(`invalid value: ${p}`);
}

/** Parses a selector; throws SelectorError. The empty string parses to [] (all objects). */
export function parseSelector(text: string): Requirement[] {
  const toks = tokenize(text);
  const reqs: Requirement[] = [];
  let i = 0;
  const word = (what: string): string => {
    const t = toks[i++];
    if (!isWord(t)) throw new SelectorError(`found '${t ?? 'end of selector'}', expected ${what}`);
    return t;
  };
  const key = (): string => {
    const k = word('a label key');
    const p = qualifiedNameProblem(k);
    if (p) throw new SelectorError(`invalid key: ${p}`);
    return k;
  };
  while (i < toks.length) {
    let req: Requirement;
    if (toks[i] === '!') {
      i++;
      req = { key: key(), op: '!', values: [] };
    } else {
      const k = key();
      const op = toks[i];
      if (op === undefined || op === ',') req = { key: k, op: 'exists', values: [] };
      else if (op === '=' || op === '==' || op === '!=') {
        i++;
        const v = isWord(toks[i]) ? toks[i++] : '';
        checkValue(v);
        req = { key: k, op: op === '!=' ? '!=' : '=', values: [v] };
      } else if (op === 'in' || op === 'notin') {
        i++;
        if (toks[i++] !== '(') throw new SelectorError(`expected '(' after ${op}`);
        const values: string[] = [];
        while (toks[i] !== ')') {
          values.push(word('a value'));
          if (toks[i] === ',') i++;
          else if (toks[i] !== ')') throw new SelectorError(`found '${toks[i] ?? 'end of selector'}', expected ',' or ')'`);
        }
        i++;
        if (values.length === 0) throw new SelectorError(`'${op}' needs at least one value`);
        values.forEach(checkValue);
        req = { key: k, op, values };
      } else if (op === '<' || op === '>') {
        i++;
        const v = word('an integer');
        if (!/^-?\d+$/.test(v)) throw new SelectorError(`'${op}' needs an integer, not '${v}'`);
        req = { key: k, op, values: [v] };
      } else throw new SelectorError(`found '${op}', expected an operator (=, ==, !=, in, notin)`);
    }
    reqs.push(req);
    if (i < toks.length) {
      if (toks[i] !== ',') throw new SelectorError(`found '${toks[i]}', expected ','`);
      i++;
      if (i === toks.length) throw new SelectorError('trailing comma');
    }
  }
  return reqs;
}

export function hasEventRefs(reqs: Requirement[]): boolean {
  return reqs.some((r) => r.values.some(isEventRef));
}

/**
 * Replaces each referenced value by its value in the event. A missing path,
 * an empty string, an object/array or a value Kubernetes would reject fails:
 * silently dropping or blanking a value could widen the selection.
 */
export function resolveSelector(reqs: Requirement[], event: unknown): Requirement[] {
  return reqs.map((r) => ({
    ...r,
    values: r.values.map((v) => {
      if (!isEventRef(v)) return v;
      let resolved: unknown;
      try { resolved = resolveEventRef(event, v); } catch (e) {
        throw new SelectorError(e instanceof EventRefError ? e.message : String(e));
      }
      if (typeof resolved !== 'string' && typeof resolved !== 'number' && typeof resolved !== 'boolean') {
        throw new SelectorError(`${v} is ${resolved === null ? 'null' : Array.isArray(resolved) ? 'a list' : 'an object'}, not a label value`);
      }
      const text = String(resolved);
      if (text === '') throw new SelectorError(`${v} is empty`);
      const p = labelValueProblem(text);
      if (p) throw new SelectorError(`${v} resolved to an invalid label value: ${p}`);
      return text;
    }),
  }));
}

/** The selector in the apiserver's syntax (values must be resolved). */
export function formatSelector(reqs: Requirement[]): string {
  return reqs.map(({ key, op, values }) => {
    switch (op) {
      case 'exists': return key;
      case '!': return `!${key}`;
      case 'in': case 'notin': return `${key} ${op} (${values.join(',')})`;
      default: return `${key}${op}${values[0]}`;
    }
  }).join(',');
}

export function selectorMatches(reqs: Requirement[], labels: Record<string, string> | undefined): boolean {
  const ls = labels ?? {};
  return reqs.every(({ key, op, values }) => {
    const has = Object.prototype.hasOwnProperty.call(ls, key);
    const v = ls[key];
    switch (op) {
      case 'exists': return has;
      case '!': return !has;
      case '=': case 'in': return has && values.includes(v);
      case '!=': case 'notin': return !has || !values.includes(v);
      case '<': return has && /^-?\d+$/.test(v) && Number(v) < Number(values[0]);
      case '>': return has && /^-?\d+$/.test(v) && Number(v) > Number(values[0]);
    }
  });
}

export interface LabelSelectorObject {
  matchLabels?: Record<string, string>;
  matchExpressions?: Array<{ key: string; operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist'; values?: string[] }>;
}

/** The same selection as a metav1.LabelSelector (for NetworkPolicy.spec.podSelector). */
export function toLabelSelectorObject(reqs: Requirement[]): LabelSelectorObject {
  const out: LabelSelectorObject = {};
  for (const { key, op, values } of reqs) {
    if (op === '=' && !(out.matchLabels && key in out.matchLabels)) (out.matchLabels ??= {})[key] = values[0];
    else if (op === '<' || op === '>') throw new SelectorError(`'${op}' cannot be expressed in a NetworkPolicy pod selector`);
    else {
      const operator = op === 'exists' ? 'Exists' : op === '!' ? 'DoesNotExist' : op === '!=' || op === 'notin' ? 'NotIn' : 'In';
      (out.matchExpressions ??= []).push(operator === 'Exists' || operator === 'DoesNotExist' ? { key, operator } : { key, operator, values: [...values].sort() });
    }
  }
  return out;
}
