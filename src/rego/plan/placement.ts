// Building the object of a rule set whose head refs have variables
// (`p[q].r := 1`, `p[q] contains r`) and of the rule sets below it.
//
// Each rule places leaves: a value (conflicts abort) or a set (unioned).
// When rules of different depths share the object, a shadow object records
// what was placed where ("v" value leaf, "s" set leaf, an object for
// containers), so that a rule placing something inside another rule's value
// aborts (as in OPA) instead of mutating that value.

import { local } from './builder.js';
import type { Local, Operand } from './ir.js';
import type { Planner } from './planner.js';

export const OBJECT_CONFLICT = 'object keys must be unique';

/** An object under construction and, when tracked, its shadow. */
export interface Node { obj: Local; shadow?: Local }

const VALUE_LEAF = 'v';
const SET_LEAF = 's';

function abortUnless(p: Planner, check: () => void): void {
  const f = p.f;
  f.emit({
    type: 'Block',
    blocks: [f.block(() => {
      check();
      f.emit({ type: 'Abort', code: 'eval_conflict_error', message: OBJECT_CONFLICT });
    })],
  });
}

/** Shadow entry at key, or a reset local. */
function shadowAt(p: Planner, shadow: Local, key: Operand): Local {
  const f = p.f;
  const t = f.newLocal();
  f.emit({ type: 'ResetLocal', target: t });
  f.emit({ type: 'Block', blocks: [f.block(() => f.emit({ type: 'Dot', source: local(shadow), key, target: t }))] });
  return t;
}

/** node.obj[key] as a container (an object, or a set when `kind` is set), created when missing. */
function getOrCreate(p: Planner, node: Node, key: Operand, kind: 'object' | 'set'): Node {
  const f = p.f;
  const t = f.newLocal();
  f.emit({ type: 'ResetLocal', target: t });
  f.emit({ type: 'Block', blocks: [f.block(() => f.emit({ type: 'Dot', source: local(node.obj), key, target: t }))] });
  let shadow: Local | undefined;
  if (node.shadow !== undefined) {
    shadow = shadowAt(p, node.shadow, key);
    const s = shadow;
    const marker = kind === 'set' ? SET_LEAF : undefined;
    // Anything but the same kind of entry there is a conflict.
    if (marker) {
      abortUnless(p, () => {
        f.emit({ type: 'IsDefined', source: s });
        f.emit({ type: 'NotEqual', a: local(s), b: p.strings.operand(marker) });
      });
    } else {
      for (const leaf of [VALUE_LEAF, SET_LEAF]) {
        abortUnless(p, () => {
          f.emit({ type: 'IsDefined', source: s });
          f.emit({ type: 'Equal', a: local(s), b: p.strings.operand(leaf) });
        });
      }
    }
    f.emit({
      type: 'Block',
      blocks: [f.block(() => {
        f.emit({ type: 'IsUndefined', source: s });
        if (marker) {
          f.emit({ type: 'AssignVar', source: p.strings.operand(marker), target: s });
        } else {
          f.emit({ type: 'MakeObject', target: s });
        }
        f.emit({ type: 'ObjectInsert', key, value: local(s), object: node.shadow! });
      })],
    });
  }
  f.emit({
    type: 'Block',
    blocks: [f.block(() => {
      f.emit({ type: 'IsUndefined', source: t });
      f.emit(kind === 'object' ? { type: 'MakeObject', target: t } : { type: 'MakeSet', target: t });
      f.emit({ type: 'ObjectInsert', key, value: local(t), object: node.obj });
    })],
  });
  return kind === 'object' && shadow !== undefined ? { obj: t, shadow } : { obj: t };
}

/** The container at node[k1]...[kn]. */
export function containerAt(p: Planner, node: Node, keys: Operand[]): Node {
  let n = node;
  for (const k of keys) n = getOrCreate(p, n, k, 'object');
  return n;
}

/** The set at node[key], created when missing. */
export function setLeaf(p: Planner, node: Node, key: Operand): Local {
  return getOrCreate(p, node, key, 'set').obj;
}

/** Places value at node[key]; a different value (or a container) there aborts. */
export function valueLeaf(p: Planner, node: Node, key: Operand, value: Operand): void {
  const f = p.f;
  if (node.shadow !== undefined) {
    const s = shadowAt(p, node.shadow, key);
    abortUnless(p, () => {
      f.emit({ type: 'IsDefined', source: s });
      f.emit({ type: 'NotEqual', a: local(s), b: p.strings.operand(VALUE_LEAF) });
    });
    f.emit({ type: 'ObjectInsert', key, value: p.strings.operand(VALUE_LEAF), object: node.shadow });
  }
  f.emit({ type: 'ObjectInsertOnce', key, value, object: node.obj, message: OBJECT_CONFLICT });
}
