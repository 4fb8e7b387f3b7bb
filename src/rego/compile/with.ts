// `with` modifiers: targets become full refs (input..., data..., a
// function's full ref or a builtin's name); anything else is rejected.

import type { Term, With } from '../syntax/ast.js';
import type { Problems } from './context.js';
import { lookupCall, resolveRefHead, type FunctionTable, type Names } from './resolve.js';
import { dataPrefix, functionValues, ref } from './terms.js';

export interface WithEnv {
  names: Names;
  table: FunctionTable;
  problems: Problems;
  /** Rewrites a value term in the enclosing scope. */
  term: (t: Term) => Term;
  /** True when `name` is a local var of the enclosing scope. */
  isLocal: (name: string) => boolean;
}

const TARGET_ERROR = 'with keyword target must reference existing input, data, or a function';

export function resolveWith(w: With, env: WithEnv): With {
  const head = w.target.terms[0];
  const local = head?.type === 'var' && env.isLocal(head.name);
  const target = local ? w.target : resolveRefHead(env.names, w.target);
  const root = target.terms[0]?.type === 'var' ? target.terms[0].name : undefined;
  let replacesFunction = false;
  if (root === 'data') {
    const path = dataPrefix(target) ?? [];
    replacesFunction = env.table.ruleSets.get(path.join('.'))?.kind === 'function';
  } else if (root === 'input') {
    // any input path may be replaced
  } else if (!local && lookupCall(env.names, env.table, w.target)?.kind === 'builtin') {
    replacesFunction = true;
  } else {
    env.problems.add('rego_type_error', TARGET_ERROR, w.target.loc);
    return { ...w, value: env.term(w.value) };
  }
  return { target: ref(target.terms, w.target.loc), value: replacementValue(w.value, replacesFunction, env), loc: w.loc };
}

/** A function may be replaced by another function or builtin (named, not called) or by a value. */
function replacementValue(value: Term, replacesFunction: boolean, env: WithEnv): Term {
  if (replacesFunction) {
    const r = value.type === 'var' ? ref([value], value.loc) : value.type === 'ref' ? value : undefined;
    const head = r?.terms[0];
    if (r && head?.type === 'var' && !env.isLocal(head.name)) {
      const target = lookupCall(env.names, env.table, r);
      if (target) {
        functionValues.add(target.operator);
        return target.operator;
      }
    }
  }
  return env.term(value);
}
