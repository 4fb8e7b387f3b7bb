// Rules and functions may not depend on themselves, directly or through
// other rules (OPA has no fixpoint evaluation): rego_recursion_error.

import type { Body, Expr, Rule, Term } from '../syntax/ast.js';
import type { Problems } from './context.js';
import { dataName, ruleSetsUnder } from './tree.js';
import type { DocNode, RuleSet } from './types.js';

/**
 * Rule sets a `data` ref may read: those along its path (a var key matches
 * any child, another non-string key none) and all below its end.
 */
function refTargets(node: DocNode, keys: Term[], out: RuleSet[]): void {
  if (node.ruleSet) out.push(node.ruleSet);
  const [key, ...rest] = keys;
  if (!key) {
    for (const child of node.children.values()) ruleSetsUnder(child, out);
    return;
  }
  if (key.type === 'string') {
    const child = node.children.get(key.value);
    if (child) refTargets(child, rest, out);
  } else if (key.type !== 'number' && key.type !== 'boolean' && key.type !== 'null') {
    for (const child of node.children.values()) refTargets(child, rest, out);
  }
}

function visitTerm(t: Term, fn: (t: Term) => void): void {
  fn(t);
  switch (t.type) {
    case 'ref': t.terms.forEach((x) => visitTerm(x, fn)); return;
    case 'array': case 'set': t.items.forEach((x) => visitTerm(x, fn)); return;
    case 'object': for (const [k, x] of t.items) { visitTerm(k, fn); visitTerm(x, fn); } return;
    case 'arraycomp': case 'setcomp': visitBody(t.body, fn); visitTerm(t.head, fn); return;
    case 'objectcomp': visitBody(t.body, fn); visitTerm(t.key, fn); visitTerm(t.value, fn); return;
    case 'call': visitTerm(t.operator, fn); t.args.forEach((x) => visitTerm(x, fn)); return;
    case 'template': for (const p of t.parts) if (typeof p !== 'string') visitTerm(p, fn); return;
    default: return;
  }
}

function visitExpr(e: Expr, fn: (t: Term) => void): void {
  const k = e.kind;
  if (k.type === 'term') visitTerm(k.term, fn);
  else if (k.type === 'call') { visitTerm(k.operator, fn); k.args.forEach((a) => visitTerm(a, fn)); }
  else if (k.type === 'some') k.symbols.forEach((s) => visitTerm(s, fn));
  else { visitTerm(k.domain, fn); visitBody(k.body, fn); }
  for (const w of e.with) visitTerm(w.value, fn);
}

function visitBody(body: Body, fn: (t: Term) => void): void {
  for (const e of body) visitExpr(e, fn);
}

function visitRule(rule: Rule, fn: (t: Term) => void): void {
  for (let r: Rule | undefined = rule; r; r = r.else) {
    r.head.ref.forEach((t) => visitTerm(t, fn));
    if (r.head.key) visitTerm(r.head.key, fn);
    if (r.head.value) visitTerm(r.head.value, fn);
    visitBody(r.body, fn);
  }
}

export function dependencies(root: DocNode, set: RuleSet): Set<RuleSet> {
  const out = new Set<RuleSet>();
  const rules = set.default ? [...set.rules, set.default] : set.rules;
  for (const rule of rules) {
    visitRule(rule, (t) => {
      if (t.type !== 'ref' || t.terms[0]?.type !== 'var' || t.terms[0].name !== 'data') return;
      const deps: RuleSet[] = [];
      refTargets(root, t.terms.slice(1), deps);
      for (const dep of deps) out.add(dep);
    });
  }
  return out;
}

export function checkRecursion(root: DocNode, ruleSets: Map<string, RuleSet>, problems: Problems): void {
  const graph = new Map<RuleSet, Set<RuleSet>>();
  for (const set of ruleSets.values()) graph.set(set, dependencies(root, set));
  for (const set of ruleSets.values()) {
    const cycle = findCycle(graph, set);
    if (!cycle) continue;
    const first = set.rules[0] ?? set.default;
    problems.add(
      'rego_recursion_error',
      `rule ${dataName(set.path)} is recursive: ${cycle.map((s) => dataName(s.path)).join(' -> ')}`,
      first?.loc,
    );
  }
}

/** Shortest path start -> ... -> start, if any. */
function findCycle(graph: Map<RuleSet, Set<RuleSet>>, start: RuleSet): RuleSet[] | undefined {
  const prev = new Map<RuleSet, RuleSet>();
  const queue: RuleSet[] = [start];
  while (queue.length > 0) {
    const cur = queue.shift()!;
    for (const next of graph.get(cur) ?? []) {
      if (next === start) {
        const path = [start];
        for (let at: RuleSet | undefined = cur; at && at !== start; at = prev.get(at)) path.splice(1, 0, at);
        if (cur !== start) return [...path, start];
        return [start, start];
      }
      if (!prev.has(next)) {
        prev.set(next, cur);
        queue.push(next);
      }
    }
  }
  return undefined;
}
