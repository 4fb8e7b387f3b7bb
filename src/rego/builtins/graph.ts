// graph.reachable and graph.reachable_paths.

import { implementAll } from './define.js';
import { objArg, operandError } from './operands.js';
import { RegoSet, type RegoObject, type RegoValue } from './types.js';
import { collectionItems, equal, makeSet, objectGet, setItems, type PlainObject } from './value.js';

function edges(graph: PlainObject | RegoObject, node: RegoValue): RegoValue[] {
  const next = objectGet(graph, node);
  if (next === undefined || next === null) return [];
  const items = collectionItems(next);
  if (!items) throw operandError(1, 'object containing arrays or sets', next);
  return items;
}

/** Distinct values in OPA's order. */
function makeSetItems(items: RegoValue[]): RegoValue[] {
  return setItems(makeSet(items) as RegoSet);
}

function initial(v: RegoValue): RegoValue[] {
  const items = collectionItems(v);
  if (!items) throw operandError(2, ['array', 'set'], v);
  return v instanceof RegoSet ? setItems(v) : items;
}

implementAll({
  'graph.reachable': (args) => {
    const graph = objArg(args, 0);
    const seen: RegoValue[] = [];
    const stack = [...initial(args[1] ?? null)];
    while (stack.length) {
      const n = stack.pop()!;
      if (seen.some((s) => equal(s, n))) continue;
      if (objectGet(graph, n) === undefined) continue;
      seen.push(n);
      stack.push(...edges(graph, n));
    }
    return makeSet(seen);
  },
  'graph.reachable_paths': (args) => {
    // As OPA: nodes are expanded once per call (a global reached set); a
    // path that runs into a node expanded before ends there; leaves (no
    // edges but "") end the path that includes them.
    const graph = objArg(args, 0);
    const paths: RegoValue[] = [];
    const reached: RegoValue[] = [];
    const walk = (node: RegoValue, path: RegoValue[]) => {
      if (objectGet(graph, node) === undefined) {
        if (path.length) paths.push(path);
        return;
      }
      if (reached.some((r) => equal(r, node))) {
        if (path.length) paths.push(path);
        return;
      }
      const here = [...path, node];
      const next = makeSetItems(edges(graph, node).filter((n) => n !== ''));
      if (next.length === 0) {
        paths.push(here);
        return;
      }
      reached.push(node);
      for (const n of next) walk(n, here);
    };
    for (const n of initial(args[1] ?? null)) walk(n, []);
    return makeSet(paths);
  },
});
