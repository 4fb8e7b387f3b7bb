// Test support for the planner: a minimal stand-in for the compile stage
// (modules must already be written in compiled form: full data refs, unique
// vars, safe order) and a runner on the reference IR interpreter.

import type { CompiledProgram, DocNode, RuleSet } from '../../../src/rego/compile/types.js';
import { parseModule, parseQuery } from '../../../src/rego/syntax/parser.js';
import { ruleKind, type Rule } from '../../../src/rego/syntax/ast.js';
import { planProgram } from '../../../src/rego/plan/index.js';
import type { Policy } from '../../../src/rego/plan/ir.js';
import { decode } from '../../../src/rego/builtins/value.js';
import { Interpreter, toJson } from './interp.js';

function groundPrefix(rule: Rule): string[] {
  const out: string[] = [];
  for (const [i, t] of rule.head.ref.entries()) {
    if (i === 0 && t.type === 'var') out.push(t.name);
    else if (t.type === 'string') out.push(t.value);
    else break;
  }
  return out;
}

export interface QuerySpec { name: string; query: string; vars: string[] }

export function programOf(sources: string[], entrypoints: string[] = [], queries: QuerySpec[] = []): CompiledProgram {
  const root: DocNode = { children: new Map() };
  const ruleSets = new Map<string, RuleSet>();
  sources.forEach((src, i) => {
    const mod = parseModule(src, `test-${i}.rego`, { regoVersion: 'v1' });
    for (const rule of mod.rules) {
      const path = [...mod.package.path, ...groundPrefix(rule)];
      const key = path.join('.');
      let rs = ruleSets.get(key);
      if (!rs) {
        rs = { path, kind: ruleKind(rule), rules: [] };
        if (rule.head.args) rs.arity = rule.head.args.length;
        ruleSets.set(key, rs);
        let node = root;
        for (const seg of path) {
          let child = node.children.get(seg);
          if (!child) node.children.set(seg, (child = { children: new Map() }));
          node = child;
        }
        node.ruleSet = rs;
      }
      if (rule.default) rs.default = rule;
      else rs.rules.push(rule);
    }
  });
  return {
    root,
    ruleSets,
    entrypoints: entrypoints.map((e) => e.split('/')),
    queries: queries.map((q) => ({
      name: q.name,
      body: parseQuery(q.query, `query:${q.name}`, { regoVersion: 'v1' }),
      vars: q.vars,
      varNames: new Map(),
      loc: { file: 'query', row: 1, col: 1 },
    })),
    warnings: [],
  };
}

export interface Interpreted {
  policy: Policy;
  /** Entrypoint value (JSON, sets as sorted arrays), undefined when undefined. */
  value(ep: string, input?: unknown, data?: unknown): unknown;
  /** All results of a plan (JSON). */
  results(plan: string, input?: unknown, data?: unknown): unknown[];
}

/** Plans `sources` and runs the plans in the reference IR interpreter. */
export function interpret(sources: string[], entrypoints: string[] = [], queries: QuerySpec[] = []): Interpreted {
  const policy = planProgram(programOf(sources, entrypoints, queries));
  const it = new Interpreter(policy);
  const results = (plan: string, input?: unknown, data: unknown = {}): unknown[] =>
    it.run(plan, input === undefined ? undefined : decode(input), decode(data)).map(toJson);
  return {
    policy,
    results,
    value(ep, input, data) {
      const rs = results(ep, input, data) as Array<{ result: unknown }>;
      return rs.length === 0 ? undefined : rs[0]!.result;
    },
  };
}
