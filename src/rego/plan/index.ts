// The planner: CompiledProgram -> IR Policy (see ir.ts for the execution
// model). Entrypoints and queries become plans; every rule set reached
// becomes a func, planned once per with-context it is reached from.

import type { CompiledProgram, CompiledQuery } from '../compile/types.js';
import type { RefTerm } from '../syntax/ast.js';
import { FuncBuilder, local } from './builder.js';
import type { Plan, Policy } from './ir.js';
import { Planner } from './planner.js';
import { planQuery } from './body.js';
import { planRef } from './refs.js';
import { planRuleSetFunc } from './rules.js';

export { printPolicy } from './print.js';

function entrypointPlan(p: Planner, path: string[]): Plan {
  const f = new FuncBuilder({ stmts: [] });
  p.f = f;
  const loc = { file: 'entrypoint', row: 1, col: 1 };
  const ref: RefTerm = {
    type: 'ref',
    terms: [{ type: 'var', name: 'data', loc }, ...path.map((s) => ({ type: 'string' as const, value: s, loc }))],
    loc,
  };
  planRef(p, ref, (value) => {
    const obj = f.newLocal();
    f.emit({ type: 'MakeObject', target: obj });
    f.emit({ type: 'ObjectInsert', key: p.strings.operand('result'), value, object: obj });
    f.emit({ type: 'ResultSetAdd', value: obj });
  });
  return { name: path.join('/'), blocks: [f.root] };
}

function queryPlan(p: Planner, q: CompiledQuery): Plan {
  const f = new FuncBuilder({ stmts: [] });
  p.f = f;
  planQuery(p, q.body, () => {
    const obj = f.newLocal();
    f.emit({ type: 'MakeObject', target: obj });
    for (const v of q.vars) {
      const l = f.vars.lookup(q.varNames.get(v) ?? v);
      if (l !== undefined) f.emit({ type: 'ObjectInsert', key: p.strings.operand(v), value: local(l), object: obj });
    }
    f.emit({ type: 'ResultSetAdd', value: obj });
  });
  return { name: q.name, blocks: [f.root] };
}

export function planProgram(program: CompiledProgram): Policy {
  const p = new Planner(program);
  const plans: Plan[] = [];
  for (const ep of program.entrypoints) plans.push(entrypointPlan(p, ep));
  for (const q of program.queries) plans.push(queryPlan(p, q));
  for (let next = p.nextPending(); next; next = p.nextPending()) {
    p.funcs.push(planRuleSetFunc(p, next.name, next.ruleSet, next.ctx));
  }
  return {
    static: { strings: p.strings.strings, builtins: p.builtins.decls },
    plans,
    funcs: p.funcs,
  };
}
