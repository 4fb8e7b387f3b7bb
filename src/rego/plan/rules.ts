// One func per rule set: complete rules (one value, conflicts abort),
// multi-value rules (a set), rules whose head ref has variables (nested
// objects), functions (head args unified with the params), `else` chains
// and defaults.

import type { DocNode, RuleSet } from '../compile/types.js';
import { isGround, type Rule, type Term } from '../syntax/ast.js';
import { FuncBuilder, local } from './builder.js';
import type { PlanContext } from './context.js';
import type { Block, Func, Local } from './ir.js';
import type { Planner } from './planner.js';
import { planQuery } from './body.js';
import { planTerm, planTerms } from './terms.js';
import { planUnifyLocal } from './unify.js';
import { containerAt, setLeaf, valueLeaf, type Node } from './placement.js';

const COMPLETE_CONFLICT = 'complete rules must not produce multiple outputs';
const FUNCTION_CONFLICT = 'functions must not produce multiple outputs for same inputs';

/** The head ref terms after the rule set's path (the keys of a ref head with variables). */
export function headKeys(rs: RuleSet, rule: Rule): Term[] {
  let ref = rule.head.ref;
  if (ref[0]?.type === 'var' && ref[0].name === 'data') ref = ref.slice(1);
  const names: string[] = [];
  for (const [i, t] of ref.entries()) {
    if (i === 0 && t.type === 'var') names.push(t.name);
    else if (t.type === 'string') names.push(t.value);
    else break;
  }
  for (let j = Math.min(names.length, rs.path.length); j > 0; j--) {
    const tail = rs.path.slice(rs.path.length - j);
    if (tail.every((s, i) => names[i] === s)) return ref.slice(j);
  }
  return ref;
}

export function planRuleSetFunc(p: Planner, name: string, rs: RuleSet, ctx: PlanContext): Func {
  const arity = rs.kind === 'function' ? rs.arity ?? rs.rules[0]?.head.args?.length ?? rs.default?.head.args?.length ?? 0 : 0;
  const params: Local[] = [0, 1];
  for (let i = 0; i < arity; i++) params.push(2 + i);
  const f = new FuncBuilder({ stmts: [] }, 2 + arity);
  const result = f.newLocal();
  const blocks: Block[] = [];
  const prevF = p.f;
  p.f = f;
  try {
    p.inContext(ctx, () => {
      const add = (fn: () => void): void => { blocks.push(f.block(() => f.vars.scoped(fn))); };
      const below = rs.kind === 'function' ? [] : descendants(p, rs);
      const keyed = rs.kind !== 'function' && (below.length > 0 || rs.rules.some((r) => headKeys(rs, r).length > 0));
      // Rules of different depths share the object: track what each placed.
      const depths = new Set(rs.rules.map((r) => headKeys(rs, r).length));
      const root: Node = { obj: result };
      if (keyed && (below.length > 0 || depths.size > 1)) root.shadow = f.newLocal();
      if (rs.kind === 'multi' && !keyed) add(() => f.emit({ type: 'MakeSet', target: result }));
      if (keyed) {
        add(() => {
          f.emit({ type: 'MakeObject', target: result });
          if (root.shadow !== undefined) f.emit({ type: 'MakeObject', target: root.shadow });
        });
      }
      for (const rule of rs.rules) {
        if (rs.kind === 'multi') add(() => planMultiRule(p, rs, rule, root));
        else if (keyed) add(() => planKeyedRule(p, rs, rule, root));
        else planValueRule(p, rule, params.slice(2), result, rs.kind === 'function' ? FUNCTION_CONFLICT : COMPLETE_CONFLICT, add);
      }
      for (const d of below) add(() => planDescendant(p, rs, d, root));
      if (rs.default) {
        const def = rs.default;
        add(() => {
          f.emit({ type: 'IsUndefined', source: result });
          planTerm(p, def.head.value ?? trueTerm(def), (op) => f.emit({ type: 'AssignVar', source: op, target: result }));
        });
      }
    });
  } finally {
    p.f = prevF;
  }
  return { name, path: ['data', ...rs.path], params, result, blocks };
}

function trueTerm(rule: Rule): Term {
  return { type: 'boolean', value: true, loc: rule.loc };
}

function unifyArgs(p: Planner, rule: Rule, args: Local[], iter: () => void): void {
  const terms = rule.head.args ?? [];
  const rec = (i: number): void => {
    if (i === terms.length) return iter();
    planUnifyLocal(p, args[i]!, terms[i]!, () => rec(i + 1));
  };
  rec(0);
}

/** A complete rule or function definition, with its else chain: each link is tried only while the chain has no value. */
function planValueRule(p: Planner, rule: Rule, args: Local[], result: Local, message: string, add: (fn: () => void) => void): void {
  const f = p.f;
  const bodyThen = (link: Rule, target: Local): void => {
    const ruleBlock = f.curr;
    const value = link.head.value ?? trueTerm(link);
    unifyArgs(p, link.head.args ? link : rule, args, () => planQuery(p, link.body, () => {
      planTerm(p, value, (op) => f.emit({ type: 'AssignVarOnce', source: op, target, message }));
      // Further solutions could only produce the same constant: stop at the first.
      if (isGround(value)) f.breakOut(ruleBlock);
    }));
  };
  if (!rule.else) {
    add(() => bodyThen(rule, result));
    return;
  }
  const chain = f.newLocal();
  add(() => f.emit({ type: 'ResetLocal', target: chain }));
  for (let link: Rule | undefined = rule, first = true; link; link = link.else, first = false) {
    const l = link;
    const isFirst = first;
    add(() => {
      if (!isFirst) f.emit({ type: 'IsUndefined', source: chain });
      bodyThen(l, chain);
    });
  }
  add(() => {
    f.emit({ type: 'IsDefined', source: chain });
    f.emit({ type: 'AssignVarOnce', source: local(chain), target: result, message });
  });
}

/**
 * Rule sets below a rule set with variables in its head refs (`p[q].r := 1`
 * beside `p.a.r := 0`): their values are part of this rule set's object.
 */
function descendants(p: Planner, rs: RuleSet): RuleSet[] {
  let node: DocNode | undefined = p.program.root;
  for (const seg of rs.path) node = node?.children.get(seg);
  const out: RuleSet[] = [];
  const walk = (n: DocNode): void => {
    for (const child of n.children.values()) {
      if (child.ruleSet) {
        if (child.ruleSet.kind !== 'function') out.push(child.ruleSet);
      } else walk(child);
    }
  };
  if (node) walk(node);
  return out;
}

/** Places the value of rule set `d` (below `rs`) into rs's object, sets merging with sets. */
function planDescendant(p: Planner, rs: RuleSet, d: RuleSet, root: Node): void {
  const f = p.f;
  const rel = d.path.slice(rs.path.length).map((seg) => p.strings.operand(seg));
  const value = f.newLocal();
  f.emit({ type: 'Call', func: p.funcFor(d), args: [], result: value });
  const node = containerAt(p, root, rel.slice(0, -1));
  const last = rel[rel.length - 1]!;
  const isSet = d.kind === 'multi' && !d.rules.some((r) => headKeys(d, r).length > 0);
  if (!isSet) return valueLeaf(p, node, last, local(value));
  const set = setLeaf(p, node, last);
  const k = f.newLocal();
  const v = f.newLocal();
  const body = f.block(() => f.emit({ type: 'SetAdd', value: local(v), set }));
  f.emit({ type: 'Scan', source: value, key: k, value: v, block: body });
}

function planMultiRule(p: Planner, rs: RuleSet, rule: Rule, root: Node): void {
  const elem = rule.head.key ?? rule.head.value ?? trueTerm(rule);
  const keys = headKeys(rs, rule);
  planQuery(p, rule.body, () => planTerms(p, [...keys, elem], (ops) => {
    const set = keys.length === 0 ? root.obj : setLeaf(p, containerAt(p, root, ops.slice(0, keys.length - 1)), ops[keys.length - 1]!);
    p.f.emit({ type: 'SetAdd', value: ops[keys.length]!, set });
  }));
}

function planKeyedRule(p: Planner, rs: RuleSet, rule: Rule, root: Node): void {
  const keys = headKeys(rs, rule);
  const value = rule.head.value ?? trueTerm(rule);
  planQuery(p, rule.body, () => planTerms(p, [...keys, value], (ops) => {
    valueLeaf(p, containerAt(p, root, ops.slice(0, keys.length - 1)), ops[keys.length - 1]!, ops[keys.length]!);
  }));
}
