// Merges modules by package into the document tree and rule sets, and
// checks that the rules sharing (or nesting under) one path agree.

import type { Module, Rule, Term } from '../syntax/ast.js';
import { ruleKind } from '../syntax/ast.js';
import type { Problems } from './context.js';
import type { DocNode, RuleSet } from './types.js';

export interface RuleEntry {
  rule: Rule;
  module: Module;
  /** Rule set path below data. */
  path: string[];
}

export interface Tree {
  root: DocNode;
  ruleSets: Map<string, RuleSet>;
  /** Every rule (defaults included) with its module, in source order. */
  entries: RuleEntry[];
  /** Per package ("a.b"): names that rules of the package start with (`p` for `p.q[x] := 1`). */
  packageRoots: Map<string, Set<string>>;
}

/** Package path + rule name + the leading string keys of the head ref. */
export function rulePath(pkg: string[], headRef: Term[]): string[] {
  const [head, ...rest] = headRef;
  const path = [...pkg, head?.type === 'var' ? head.name : head?.type === 'string' ? head.value : '?'];
  for (const t of rest) {
    if (t.type !== 'string') break;
    path.push(t.value);
  }
  return path;
}

/** Number of head ref terms covered by the rule set path (the rest are dynamic). */
export function isGroundHead(headRef: Term[]): boolean {
  return headRef.slice(1).every((t) => t.type === 'string');
}

export function dataName(path: string[]): string {
  return ['data', ...path].join('.');
}

function nodeAt(root: DocNode, path: string[]): DocNode {
  let node = root;
  for (const key of path) {
    let child = node.children.get(key);
    if (!child) {
      child = { children: new Map() };
      node.children.set(key, child);
    }
    node = child;
  }
  return node;
}

export function findNode(root: DocNode, path: string[]): DocNode | undefined {
  let node: DocNode | undefined = root;
  for (const key of path) {
    node = node.children.get(key);
    if (!node) return undefined;
  }
  return node;
}

export function ruleSetsUnder(node: DocNode, out: RuleSet[] = []): RuleSet[] {
  if (node.ruleSet) out.push(node.ruleSet);
  for (const child of node.children.values()) ruleSetsUnder(child, out);
  return out;
}

function fillDefaultValue(rule: Rule): void {
  if (!rule.head.key && !rule.head.value) rule.head.value = { type: 'boolean', value: true, loc: rule.head.loc };
  if (rule.else) {
    rule.else.head.ref = rule.head.ref;
    if (rule.head.args) rule.else.head.args = rule.head.args;
    fillDefaultValue(rule.else);
  }
}

export function buildTree(modules: Module[], problems: Problems): Tree {
  const root: DocNode = { children: new Map() };
  const ruleSets = new Map<string, RuleSet>();
  const entries: RuleEntry[] = [];
  const packageRoots = new Map<string, Set<string>>();
  // Per rule set: did it get ground-headed rules, rules with dynamic ref parts, several arities?
  const shapes = new Map<string, { ground: boolean; dynamic: boolean; arities: Set<number>; kinds: Set<string>; defaults: number; first: Rule }>();

  for (const module of modules) {
    const pkgKey = module.package.path.join('.');
    nodeAt(root, module.package.path);
    let roots = packageRoots.get(pkgKey);
    if (!roots) packageRoots.set(pkgKey, (roots = new Set()));
    for (const rule of module.rules) {
      const head = rule.head.ref[0];
      if (head?.type === 'var') roots.add(head.name);
      fillDefaultValue(rule);
      const path = rulePath(module.package.path, rule.head.ref);
      const key = path.join('.');
      entries.push({ rule, module, path });
      const kind = ruleKind(rule);
      let set = ruleSets.get(key);
      if (!set) {
        set = { path, kind, rules: [] };
        ruleSets.set(key, set);
        nodeAt(root, path).ruleSet = set;
        shapes.set(key, { ground: false, dynamic: false, arities: new Set(), kinds: new Set(), defaults: 0, first: rule });
      }
      const shape = shapes.get(key)!;
      shape.kinds.add(kind);
      if (rule.head.args) shape.arities.add(rule.head.args.length);
      if (rule.default) {
        shape.defaults++;
        if (!set.default) set.default = rule;
      } else {
        set.rules.push(rule);
        if (isGroundHead(rule.head.ref)) shape.ground = true;
        else shape.dynamic = true;
      }
      if (kind === 'function' && set.arity === undefined) set.arity = rule.head.args!.length;
    }
  }

  for (const [key, shape] of shapes) {
    const name = dataName(key.split('.'));
    const loc = shape.first.loc;
    if (shape.kinds.size > 1 || shape.arities.size > 1 || (shape.ground && shape.dynamic)) {
      problems.add('rego_type_error', `conflicting rules ${name} found`, loc);
    } else if (shape.defaults > 1) {
      problems.add('rego_type_error', `multiple default rules ${name} found`, loc);
    }
  }
  checkNesting(root, [], shapes, problems);
  return { root, ruleSets, entries, packageRoots };
}

/** A rule whose whole value is defined by its rules (not a prefix of dynamic refs) cannot have rules below it. */
function checkNesting(
  node: DocNode,
  path: string[],
  shapes: Map<string, { dynamic: boolean; first: Rule }>,
  problems: Problems,
): void {
  const set = node.ruleSet;
  if (set && !shapes.get(path.join('.'))?.dynamic) {
    const below = [...node.children.values()].flatMap((c) => ruleSetsUnder(c));
    if (below.length > 0) {
      const first = set.default ?? set.rules[0]!;
      problems.add(
        'rego_type_error',
        `rule ${dataName(path)} conflicts with [${below.map((s) => dataName(s.path)).join(' ')}]`,
        first.loc,
      );
      return;
    }
  }
  for (const [k, child] of node.children) checkNesting(child, [...path, k], shapes, problems);
}
