// `expr with target as value`. Input and data targets replace part of
// local 0 / local 1 for the expression (WithStmt); targets that hold rules
// and replaced functions/builtins switch to a with-context in which the
// rules reached are planned again. The rest of the query runs with the
// original documents and context again.

import { lookupBuiltin } from '../builtins/registry.js';
import type { Expr, RefTerm, Term } from '../syntax/ast.js';
import { DATA_LOCAL, INPUT_LOCAL, local, type Iter } from './builder.js';
import { calleeName } from './calls.js';
import type { Mock } from './context.js';
import type { Local, Operand } from './ir.js';
import type { Planner } from './planner.js';
import { planExprKind } from './body.js';
import { planTerms } from './terms.js';

interface Update { local: Local; path: string[]; value: Operand }

/** Hidden base-document path carrying a non-constant replacement value of a callee into planned funcs. */
const MOCK_ROOT = '\u0000with';

function stringPath(p: Planner, terms: Term[], from: number, loc: RefTerm['loc']): string[] {
  return terms.slice(from).map((t) => (t.type === 'string' ? t.value : p.fail('with target paths must be made of strings', loc)));
}

/** Whether replacing data at `path` changes any rule's value (it is at or above a rule, or inside one). */
function touchesRules(p: Planner, path: string[]): boolean {
  let node = p.program.root;
  for (const seg of path) {
    if (node.ruleSet) return true;
    const child = node.children.get(seg);
    if (!child) return false;
    node = child;
  }
  return true;
}

/** The callee a `with` value names, when it names a function or builtin. */
function calleeOf(p: Planner, value: Term): string | undefined {
  const ref: RefTerm | undefined = value.type === 'ref' ? value : value.type === 'var' ? { type: 'ref', terms: [value], loc: value.loc } : undefined;
  if (!ref) return undefined;
  const head = ref.terms[0];
  if (head?.type === 'var' && p.f.vars.lookup(head.name) !== undefined) return undefined;
  if (!ref.terms.every((t, i) => (i === 0 ? t.type === 'var' : t.type === 'string'))) return undefined;
  const name = calleeName(ref);
  if (name.startsWith('data.')) return p.program.ruleSets.get(name.slice(5))?.kind === 'function' ? name : undefined;
  return lookupBuiltin(name) ? name : undefined;
}

function isConstant(t: Term): boolean {
  switch (t.type) {
    case 'null': case 'boolean': case 'number': case 'string': return true;
    case 'array': case 'set': return t.items.every(isConstant);
    case 'object': return t.items.every(([k, v]) => isConstant(k) && isConstant(v));
    default: return false;
  }
}

type Target =
  | { kind: 'input'; path: string[] }
  | { kind: 'data'; path: string[] }
  | { kind: 'callee'; name: string; replacement?: string };

function classify(p: Planner, target: RefTerm, value: Term): Target {
  const head = target.terms[0];
  if (head?.type === 'var' && head.name === 'input') return { kind: 'input', path: stringPath(p, target.terms, 1, target.loc) };
  const name = calleeName(target);
  const isFunction = head?.type === 'var' && head.name === 'data'
    ? p.program.ruleSets.get(name.slice(5))?.kind === 'function'
    : true;
  if (!isFunction) return { kind: 'data', path: stringPath(p, target.terms, 1, target.loc) };
  const replacement = calleeOf(p, value);
  return replacement === undefined ? { kind: 'callee', name } : { kind: 'callee', name, replacement };
}

export function planWith(p: Planner, e: Expr, iter: Iter): void {
  const targets = e.with.map((w) => classify(p, w.target, w.value));
  // Replacement functions are names, not values: only the other values are evaluated (outside the with).
  const valued = e.with.filter((_, i) => { const t = targets[i]!; return !(t.kind === 'callee' && t.replacement !== undefined); });
  planTerms(p, valued.map((w) => w.value), (ops) => {
    const updates: Update[] = [];
    const overrides: string[][] = [];
    const mocks = new Map<string, Mock>();
    let next = 0;
    e.with.forEach((w, i) => {
      const t = targets[i]!;
      if (t.kind === 'callee' && t.replacement !== undefined) {
        mocks.set(t.name, { kind: 'func', target: t.replacement });
        return;
      }
      const value = ops[next++]!;
      if (t.kind === 'input') {
        updates.push({ local: INPUT_LOCAL, path: t.path, value });
      } else if (t.kind === 'data') {
        updates.push({ local: DATA_LOCAL, path: t.path, value });
        if (touchesRules(p, t.path)) overrides.push(t.path);
      } else if (isConstant(w.value)) {
        mocks.set(t.name, { kind: 'value', value: w.value });
      } else {
        // Funcs planned for the context read the value from a hidden spot in data.
        const path = [MOCK_ROOT, t.name];
        updates.push({ local: DATA_LOCAL, path, value });
        mocks.set(t.name, { kind: 'value', value: { type: 'ref', terms: [{ type: 'var', name: 'data', loc: w.loc }, ...path.map((s) => ({ type: 'string' as const, value: s, loc: w.loc }))], loc: w.loc } });
      }
    });
    const outer = p.ctx;
    const inner = p.contexts.extend(outer, overrides, mocks);
    const touched = [...new Set(updates.map((u) => u.local))];
    const saved = touched.map((l) => {
      const s = p.f.newLocal();
      p.f.emit({ type: 'AssignVar', source: local(l), target: s });
      return s;
    });

    // After the expression: original documents and context for the rest of
    // the query, then the replaced ones again for the expression's next solution.
    const resume = (): void => {
      const replaced = touched.map((l) => {
        const r = p.f.newLocal();
        p.f.emit({ type: 'AssignVar', source: local(l), target: r });
        return r;
      });
      const rest = p.f.block(() => {
        touched.forEach((l, i) => p.f.emit({ type: 'AssignVar', source: local(saved[i]!), target: l }));
        p.inContext(outer, iter);
      });
      p.f.emit({ type: 'Block', blocks: [rest] });
      touched.forEach((l, i) => p.f.emit({ type: 'AssignVar', source: local(replaced[i]!), target: l }));
    };

    const nest = (k: number): void => {
      if (k === updates.length) return p.inContext(inner, () => planExprKind(p, e, resume));
      const u = updates[k]!;
      const block = p.f.block(() => nest(k + 1));
      p.f.emit({ type: 'With', local: u.local, path: u.path.map((s) => p.strings.intern(s)), value: u.value, block });
    };
    nest(0);
  });
}
