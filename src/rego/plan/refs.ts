// References: walking into values (Dot for known keys, Scan for keys that
// are unbound vars), and references into `data`, which reach rules (a call
// of the rule's func), packages (a virtual document built from the rules
// below merged with the base document) or plain base data.

import type { DocNode, RuleSet } from '../compile/types.js';
import type { RefTerm, Term } from '../syntax/ast.js';
import { DATA_LOCAL, INPUT_LOCAL, local, type OperandIter } from './builder.js';
import { isOverridden } from './context.js';
import type { Local, Operand } from './ir.js';
import type { Planner } from './planner.js';
import { planTerm } from './terms.js';
import { hasUnboundVars, isUnboundVar, planUnifyLocal } from './unify.js';

export function planRef(p: Planner, ref: RefTerm, iter: OperandIter): void {
  const head = ref.terms[0];
  if (!head) return p.fail('internal error: empty ref', ref.loc);
  if (head.type === 'var' && p.f.vars.lookup(head.name) === undefined) {
    if (head.name === 'data') return planRefData(p, ref.terms, iter);
    if (head.name === 'input') {
      if (ref.terms.length === 1) p.f.emit({ type: 'IsDefined', source: INPUT_LOCAL });
      return planRefRec(p, local(INPUT_LOCAL), ref.terms, 1, iter);
    }
  }
  planTerm(p, head, (op) => planRefRec(p, op, ref.terms, 1, iter));
}

/** Runs fn inside a Scan over `source` (one run per element). */
export function planScan(p: Planner, source: Operand, fn: (key: Local, value: Local) => void): void {
  const src = p.f.toLocal(source);
  const key = p.f.newLocal();
  const value = p.f.newLocal();
  const block = p.f.block(() => fn(key, value));
  p.f.emit({ type: 'Scan', source: src, key, value, block });
}

export function planDot(p: Planner, source: Operand, key: Operand): Operand {
  const target = p.f.newLocal();
  p.f.emit({ type: 'Dot', source, key, target });
  return local(target);
}

/**
 * Walks terms[i..] as keys into the value `base`. In base documents
 * (`inData`), an integer key also finds the object key of its text, as OPA's
 * storage does (`data.x[2]` reads {"2": ...}).
 */
export function planRefRec(p: Planner, base: Operand, terms: Term[], i: number, iter: OperandIter, inData = false): void {
  if (i === terms.length) return iter(base);
  const key = terms[i]!;
  if (inData && key.type === 'number' && /^\d+$/.test(key.value)) {
    const f = p.f;
    const t = f.newLocal();
    f.emit({ type: 'ResetLocal', target: t });
    planTerm(p, key, (kop) => f.emit({ type: 'Block', blocks: [f.block(() => f.emit({ type: 'Dot', source: base, key: kop, target: t }))] }));
    f.emit({
      type: 'Block',
      blocks: [f.block(() => {
        f.emit({ type: 'IsUndefined', source: t });
        f.emit({ type: 'Dot', source: base, key: p.strings.operand(key.value), target: t });
      })],
    });
    f.emit({ type: 'IsDefined', source: t });
    return planRefRec(p, local(t), terms, i + 1, iter, inData);
  }
  if (isUnboundVar(p, key)) {
    return planScan(p, base, (k, v) => {
      p.f.vars.bind((key as { name: string }).name, k);
      planRefRec(p, local(v), terms, i + 1, iter);
    });
  }
  if ((key.type === 'array' || key.type === 'object') && hasUnboundVars(p, key)) {
    return planScan(p, base, (k, v) => planUnifyLocal(p, k, key, () => planRefRec(p, local(v), terms, i + 1, iter)));
  }
  planTerm(p, key, (kop) => planRefRec(p, planDot(p, base, kop), terms, i + 1, iter));
}

function planBaseDoc(p: Planner, path: string[]): Operand {
  let cur: Operand = local(DATA_LOCAL);
  for (const seg of path) cur = planDot(p, cur, p.strings.operand(seg));
  return cur;
}

/** Calls the func of a rule set (a function referenced as a document is an empty object). */
function planRuleValue(p: Planner, rs: RuleSet): Operand {
  const result = p.f.newLocal();
  if (rs.kind === 'function') {
    p.f.emit({ type: 'MakeObject', target: result });
  } else {
    p.f.emit({ type: 'Call', func: p.funcFor(rs), args: [], result });
  }
  return local(result);
}

/** `data` followed by terms[1..]. */
function planRefData(p: Planner, terms: Term[], iter: OperandIter): void {
  walkData(p, p.program.root, [], terms, 1, iter);
}

/** References into data use string keys: `data.x[2]` reads key "2". */
function dataKey(t: Term): string | undefined {
  if (t.type === 'string') return t.value;
  if (t.type === 'number' && /^\d+$/.test(t.value)) return t.value;
  return undefined;
}

/** Continues a data ref at `node` (the document at `path`) with terms[i..]. */
function walkData(p: Planner, node: DocNode, path: string[], terms: Term[], i: number, iter: OperandIter): void {
  for (;;) {
    if (isOverridden(p.ctx, path)) return planRefRec(p, planBaseDoc(p, path), terms, i, iter, true);
    if (node.ruleSet) return planRefRec(p, planRuleValue(p, node.ruleSet), terms, i, iter);
    if (i === terms.length) return iter(planVirtualDoc(p, node, path));
    const term = terms[i]!;
    const key = dataKey(term);
    if (key === undefined) {
      if (isUnboundVar(p, term) || hasUnboundVars(p, term)) {
        return planRefRec(p, planVirtualDoc(p, node, path), terms, i, iter);
      }
      // A key known only at run time: one branch per document below, so that
      // no rule is evaluated (or recursed into) when the key does not select it.
      return planTerm(p, term, (kop) => branchOnKey(p, node, path, kop, terms, i, iter));
    }
    const child = node.children.get(key);
    if (!child) return planRefRec(p, planBaseDoc(p, [...path, key]), terms, i + 1, iter, true);
    node = child;
    path = [...path, key];
    i++;
  }
}

function branchOnKey(p: Planner, node: DocNode, path: string[], key: Operand, terms: Term[], i: number, iter: OperandIter): void {
  const f = p.f;
  const children = [...node.children].filter(([, c]) => c.ruleSet?.kind !== 'function');
  for (const [k, child] of children) {
    f.emit({
      type: 'Block',
      blocks: [f.block(() => {
        f.emit({ type: 'Equal', a: key, b: p.strings.operand(k) });
        walkData(p, child, [...path, k], terms, i + 1, iter);
      })],
    });
  }
  f.emit({
    type: 'Block',
    blocks: [f.block(() => {
      for (const [k] of node.children) f.emit({ type: 'NotEqual', a: key, b: p.strings.operand(k) });
      planRefRec(p, planDot(p, planBaseDoc(p, path), key), terms, i + 1, iter, true);
    })],
  });
}

/**
 * The document at `path` (a package or a prefix of rule paths): an object
 * of every rule value below that is defined, merged with the base document
 * at the same path (rules win).
 */
export function planVirtualDoc(p: Planner, node: DocNode, path: string[]): Operand {
  if (isOverridden(p.ctx, path)) return planBaseDoc(p, path);
  if (node.ruleSet) return planRuleValue(p, node.ruleSet);
  const f = p.f;
  const base = f.newLocal();
  f.emit({ type: 'ResetLocal', target: base });
  f.emit({
    type: 'Block',
    blocks: [f.block(() => {
      const b = planBaseDoc(p, path);
      f.emit({ type: 'IsObject', source: b });
      f.emit({ type: 'AssignVar', source: b, target: base });
    })],
  });
  const obj = f.newLocal();
  f.emit({ type: 'MakeObject', target: obj });
  for (const [key, child] of node.children) {
    const childPath = [...path, key];
    // Replaced documents come in with the base document below; functions are not documents.
    if (isOverridden(p.ctx, childPath) || child.ruleSet?.kind === 'function') continue;
    const keyOp = p.strings.operand(key);
    const block = f.block(() => {
      if (child.ruleSet) {
        // Where base data and a rule define the same document, the base document wins (as in OPA's conformance cases).
        const inBase = f.exists((found) => {
          f.emit({ type: 'IsDefined', source: base });
          planDot(p, local(base), keyOp);
          found();
        });
        f.emit({ type: 'IsUndefined', source: inBase });
      }
      const value = planVirtualDoc(p, child, childPath);
      f.emit({ type: 'ObjectInsert', key: keyOp, value, object: obj });
    });
    f.emit({ type: 'Block', blocks: [block] });
  }
  const merge = f.block(() => {
    f.emit({ type: 'IsDefined', source: base });
    const merged = f.newLocal();
    f.emit({ type: 'ObjectMerge', a: local(base), b: local(obj), target: merged });
    f.emit({ type: 'AssignVar', source: local(merged), target: obj });
  });
  f.emit({ type: 'Block', blocks: [merge] });
  return local(obj);
}
