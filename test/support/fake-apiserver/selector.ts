// The apiserver's label selector grammar (apimachinery labels.Parse):
//   selector    := requirement (',' requirement)*
//   requirement := key | '!' key | key ('='|'=='|'!=') value
//                | key ('in'|'notin') '(' value (',' value)* ')' | key ('<'|'>') integer
// Written independently of the production parser so each checks the other.

import { labelValueErrors, qualifiedNameErrors } from './validation.js';

export class SelectorSyntaxError extends Error {}

type Op = 'exists' | '!' | '=' | '!=' | 'in' | 'notin' | '<' | '>';
interface Requirement { key: string; op: Op; values: string[] }

const SPECIAL = new Set(['!', '=', '(', ')', ',', '<', '>']);

function tokenize(text: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (/\s/.test(c)) { i++; continue; }
    if (c === '=' && text[i + 1] === '=') { out.push('=='); i += 2; continue; }
    if (c === '!' && text[i + 1] === '=') { out.push('!='); i += 2; continue; }
    if (SPECIAL.has(c)) { out.push(c); i++; continue; }
    let j = i;
    while (j < text.length && !SPECIAL.has(text[j]) && !/\s/.test(text[j])) j++;
    out.push(text.slice(i, j));
    i = j;
  }
  return out;
}

const isIdent = (t: string | undefined): t is string => t !== undefined && !SPECIAL.has(t) && t !== '==' && t !== '!=';

export function parseSelector(text: string): Requirement[] {
  const toks = tokenize(text);
  const reqs: Requirement[] = [];
  let i = 0;
  const expectIdent = (what: string): string => {
    const t = toks[i++];
    if (!isIdent(t)) throw new SelectorSyntaxError(`found '${t ?? 'EOS'}', expected: ${what}`);
    return t;
  };
  const checkKey = (k: string): void => {
    const errs = qualifiedNameErrors(k);
    if (errs.length) throw new SelectorSyntaxError(`unable to parse requirement: Invalid value: ${JSON.stringify(k)}: ${errs[0]}`);
  };
  const checkValue = (v: string): void => {
    const errs = labelValueErrors(v);
    if (errs.length) throw new SelectorSyntaxError(`unable to parse requirement: Invalid value: ${JSON.stringify(v)}: ${errs[0]}`);
  };
  while (i < toks.length) {
    let req: Requirement;
    if (toks[i] === '!') {
      i++;
      const key = expectIdent('identifier after \'!\'');
      checkKey(key);
      req = { key, op: '!', values: [] };
    } else {
      const key = expectIdent('identifier');
      checkKey(key);
      const op = toks[i];
      if (op === undefined || op === ',') req = { key, op: 'exists', values: [] };
      else if (op === '=' || op === '==' || op === '!=') {
        i++;
        // `key=` is legal: an empty value.
        const v = isIdent(toks[i]) ? toks[i++] : '';
        checkValue(v);
        req = { key, op: op === '!=' ? '!=' : '=', values: [v] };
      } else if (op === 'in' || op === 'notin') {
        i++;
        if (toks[i++] !== '(') throw new SelectorSyntaxError(`found '${toks[i - 1] ?? 'EOS'}', expected: '('`);
        const values: string[] = [];
        for (;;) {
          const t = toks[i];
          if (t === ')') { i++; break; }
          if (t === ',') { values.push(''); i++; continue; }
          if (!isIdent(t)) throw new SelectorSyntaxError(`found '${t ?? 'EOS'}', expected: ',' or ')'`);
          values.push(t);
          i++;
          if (toks[i] === ',') i++;
          else if (toks[i] !== ')') throw new SelectorSyntaxError(`found '${toks[i] ?? 'EOS'}', expected: ',' or ')'`);
        }
        if (values.length === 0) throw new SelectorSyntaxError("for 'in', 'notin' operators, values set can't be empty");
        values.forEach(checkValue);
        req = { key, op, values };
      } else if (op === '<' || op === '>') {
        i++;
        const v = expectIdent('integer');
        if (!/^-?\d+$/.test(v)) throw new SelectorSyntaxError(`for 'Gt', 'Lt' operators, the value must be an integer`);
        req = { key, op, values: [v] };
      } else throw new SelectorSyntaxError(`found '${op}', expected: '=', '!=', '==', 'in', notin'`);
    }
    reqs.push(req);
    if (i < toks.length) {
      if (toks[i] !== ',') throw new SelectorSyntaxError(`found '${toks[i]}', expected: ',' or 'end of string'`);
      i++;
      if (i === toks.length) throw new SelectorSyntaxError("found 'EOS', expected: identifier");
    }
  }
  return reqs;
}

export function matches(reqs: Requirement[], labels: Record<string, string> | undefined): boolean {
  const ls = labels ?? {};
  return reqs.every(({ key, op, values }) => {
    const has = Object.prototype.hasOwnProperty.call(ls, key);
    const v = ls[key];
    switch (op) {
      case 'exists': return has;
      case '!': return !has;
      case '=': case 'in': return has && values.includes(v);
      case '!=': case 'notin': return !has || !values.includes(v);
      case '<': case '>': {
        if (!has || !/^-?\d+$/.test(v)) return false;
        return op === '<' ? Number(v) < Number(values[0]) : Number(v) > Number(values[0]);
      }
    }
  });
}
