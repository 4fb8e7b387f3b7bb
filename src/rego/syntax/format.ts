// Rego source text for AST nodes: used for `text` in `hooker eval` output
// and in error messages. The output parses back to an equal tree (modulo
// locations); it is not a pretty-printer for whole modules.

import type { Body, CallTerm, Expr, RefTerm, Term } from './ast.js';

const INFIX: Record<string, string> = {
  eq: '=', assign: ':=', equal: '==', neq: '!=', lt: '<', lte: '<=', gt: '>', gte: '>=',
  plus: '+', minus: '-', mul: '*', div: '/', rem: '%', and: '&', or: '|',
};

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The dotted name of a call operator (`count`, `strings.replace_n`, `data.pkg.f`). */
export function operatorName(op: RefTerm): string {
  return refToString(op);
}

function refToString(ref: RefTerm): string {
  const [head, ...rest] = ref.terms;
  let out = head ? termToString(head, true) : '';
  for (const t of rest) {
    out += t.type === 'string' && IDENT.test(t.value) ? `.${t.value}` : `[${termToString(t)}]`;
  }
  return out;
}

function infixName(call: { operator: RefTerm; args: Term[] }): string | undefined {
  const terms = call.operator.terms;
  if (terms.length === 1 && terms[0]!.type === 'var' && call.args.length === 2) return INFIX[terms[0]!.name];
  return undefined;
}

function memberArity(call: { operator: RefTerm }): number {
  const t = call.operator.terms;
  if (t.length !== 2 || t[0]!.type !== 'var' || t[0]!.name !== 'internal' || t[1]!.type !== 'string') return 0;
  if (t[1]!.value === 'member_2') return 2;
  if (t[1]!.value === 'member_3') return 3;
  return 0;
}

/** A list item: `k, v in xs` needs parentheses there, or its comma would split the item. */
function itemToString(t: Term): string {
  return t.type === 'call' && memberArity(t) === 3 ? `(${termToString(t)})` : termToString(t);
}

function callToString(call: { operator: RefTerm; args: Term[] }, nested: boolean): string {
  const op = infixName(call);
  const arity = memberArity(call);
  let text: string | undefined;
  if (op) text = `${termToString(call.args[0]!, true)} ${op} ${termToString(call.args[1]!, true)}`;
  else if (arity === 2 && call.args.length === 2) text = `${termToString(call.args[0]!, true)} in ${termToString(call.args[1]!, true)}`;
  else if (arity === 3 && call.args.length === 3) {
    text = `${termToString(call.args[0]!, true)}, ${termToString(call.args[1]!, true)} in ${termToString(call.args[2]!, true)}`;
  }
  if (text !== undefined) return nested ? `(${text})` : text;
  return `${refToString(call.operator)}(${call.args.map(itemToString).join(', ')})`;
}

function templateToString(parts: Array<string | Term>, raw: boolean): string {
  let out = raw ? '$`' : '$"';
  for (const p of parts) {
    if (typeof p !== 'string') {
      out += `{${termToString(p)}}`;
    } else if (raw) {
      out += p.replace(/\{/g, '\\{');
    } else {
      out += JSON.stringify(p).slice(1, -1).replace(/\{/g, '\\{');
    }
  }
  return out + (raw ? '`' : '"');
}

/** `nested`: the term is an operand, so infix calls get parentheses. */
export function termToString(term: Term, nested = false): string {
  switch (term.type) {
    case 'null': return 'null';
    case 'boolean': return String(term.value);
    case 'number': return term.value;
    case 'string': return JSON.stringify(term.value);
    case 'var': return term.name;
    case 'ref': return refToString(term);
    case 'array': return `[${term.items.map(itemToString).join(', ')}]`;
    case 'set': return term.items.length === 0 ? 'set()' : `{${term.items.map(itemToString).join(', ')}}`;
    case 'object': return `{${term.items.map(([k, v]) => `${itemToString(k)}: ${itemToString(v)}`).join(', ')}}`;
    case 'arraycomp': return `[${termToString(term.head, true)} | ${bodyToString(term.body)}]`;
    case 'setcomp': return `{${termToString(term.head, true)} | ${bodyToString(term.body)}}`;
    case 'objectcomp': return `{${termToString(term.key, true)}: ${termToString(term.value, true)} | ${bodyToString(term.body)}}`;
    case 'call': return callToString(term as CallTerm, nested);
    case 'template': return templateToString(term.parts, term.raw);
  }
}

export function exprToString(expr: Expr): string {
  const k = expr.kind;
  let text: string;
  switch (k.type) {
    case 'term': text = termToString(k.term); break;
    case 'call': text = callToString(k, false); break;
    case 'some': {
      const only = k.symbols.length === 1 ? k.symbols[0]! : undefined;
      text = only && only.type === 'call' ? `some ${callToString(only, false)}` : `some ${k.symbols.map((s) => termToString(s)).join(', ')}`;
      break;
    }
    case 'every': {
      const vars = k.key ? `${termToString(k.key)}, ${termToString(k.value)}` : termToString(k.value);
      text = `every ${vars} in ${termToString(k.domain, true)} { ${bodyToString(k.body)} }`;
      break;
    }
  }
  if (expr.negated) text = `not ${text}`;
  for (const w of expr.with) text += ` with ${refToString(w.target)} as ${termToString(w.value)}`;
  return text;
}

export function bodyToString(body: Body): string {
  return body.map(exprToString).join('; ');
}
