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
    // OPA's algorithm step for step: each edge of a start node begins a walk
    // with its own reached set ({start}); a node missing from the graph
    // (including the "" that marks a leaf) ends the path before it; a node
    // reached before ends the path at the current node. As in OPA, one walk
    // step that meets several reached neighbours emits the path repeated
    // (its result list accumulates).
    const graph = objArg(args, 0);
    const out: RegoValue[] = [];
    const has = (set: RegoValue[], v: RegoValue) => set.some((r) => equal(r, v));
    const build = (root: RegoValue, path: RegoValue[], reached: RegoValue[]) => {
      let acc: RegoValue[] = [];
      if (objectGet(graph, root) === undefined) { out.push([...acc, ...path]); return; }
      const here = [...path, root];
      const next = edges(graph, root);
      if (next.length === 0) { out.push([...acc, ...here]); return; }
      for (const n of next) {
        if (has(reached, n)) {
          acc = [...acc, ...here];
          out.push(acc);
        } else {
          if (!has(reached, root)) reached.push(root);
          build(n, here, reached);
        }
      }
    };
    for (const start of initial(args[1] ?? null)) {
      if (objectGet(graph, start) === undefined) continue;
      const next = edges(graph, start);
      if (next.length === 0) { out.push([start]); continue; }
      for (const n of next) build(n, [start], [start]);
    }
    return makeSet(out);
  },
});
