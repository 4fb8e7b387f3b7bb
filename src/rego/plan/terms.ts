// Terms to operands: scalars, composites (built once all their parts are
// planned, so parts that iterate build one value per solution),
// comprehensions, refs and calls in term position.

import type { ArrayComprehension, Body, NumberTerm, ObjectComprehension, SetComprehension, Term } from '../syntax/ast.js';
import { local, type Iter, type OperandIter } from './builder.js';
import type { Operand } from './ir.js';
import type { Planner } from './planner.js';
import { planRef } from './refs.js';
import { planQuery } from './body.js';
import { planCallTerm } from './calls.js';

const I64_MIN = -(2n ** 63n);
const I64_MAX = 2n ** 63n - 1n;

export function planNumber(p: Planner, t: NumberTerm): Operand {
  const target = p.f.newLocal();
  if (/^-?\d+$/.test(t.value)) {
    const v = BigInt(t.value);
    if (v >= I64_MIN && v <= I64_MAX) {
      p.f.emit({ type: 'MakeNumberInt', value: v, target });
      return local(target);
    }
  }
  p.f.emit({ type: 'MakeNumberRef', index: p.strings.intern(t.value), target });
  return local(target);
}

export function planTerm(p: Planner, t: Term, iter: OperandIter): void {
  switch (t.type) {
    case 'null': {
      const target = p.f.newLocal();
      p.f.emit({ type: 'MakeNull', target });
      return iter(local(target));
    }
    case 'boolean': return iter({ type: 'bool', value: t.value });
    case 'number': return iter(planNumber(p, t));
    case 'string': return iter(p.strings.operand(t.value));
    case 'var': {
      const l = p.f.vars.lookup(t.name);
      if (l === undefined) {
        if (t.name === 'input') {
          p.f.emit({ type: 'IsDefined', source: 0 });
          return iter(local(0));
        }
        if (t.name === 'data') return planRef(p, { type: 'ref', terms: [t], loc: t.loc }, iter);
        return p.fail(`var ${t.name} is unsafe`, t.loc);
      }
      return iter(local(l));
    }
    case 'ref': return planRef(p, t, iter);
    case 'array': return planTerms(p, t.items, (ops) => {
      const target = p.f.newLocal();
      p.f.emit({ type: 'MakeArray', capacity: ops.length, target });
      for (const value of ops) p.f.emit({ type: 'ArrayAppend', array: target, value });
      iter(local(target));
    });
    case 'set': return planTerms(p, t.items, (ops) => {
      const target = p.f.newLocal();
      p.f.emit({ type: 'MakeSet', target });
      for (const value of ops) p.f.emit({ type: 'SetAdd', set: target, value });
      iter(local(target));
    });
    case 'object': return planTerms(p, t.items.flat(), (ops) => {
      const target = p.f.newLocal();
      p.f.emit({ type: 'MakeObject', target });
      for (let i = 0; i < ops.length; i += 2) {
        p.f.emit({ type: 'ObjectInsert', key: ops[i]!, value: ops[i + 1]!, object: target });
      }
      iter(local(target));
    });
    case 'arraycomp': return iter(planArrayComprehension(p, t));
    case 'setcomp': return iter(planSetComprehension(p, t));
    case 'objectcomp': return iter(planObjectComprehension(p, t));
    case 'call': return planCallTerm(p, t, iter);
    case 'template': return p.fail('internal error: template string reached the planner', t.loc);
  }
}

/** Plans terms left to right; iter gets one operand per term for each combined solution. */
export function planTerms(p: Planner, terms: Term[], iter: (ops: Operand[]) => void): void {
  const ops: Operand[] = [];
  const rec = (i: number): void => {
    if (i === terms.length) return iter([...ops]);
    planTerm(p, terms[i]!, (op) => {
      ops[i] = op;
      rec(i + 1);
    });
  };
  rec(0);
}

/**
 * Runs `body` in its own block and var frame, calling `each` once per
 * solution; the block is emitted into the current one (its failure does
 * not affect the code after it).
 */
function planClosedBody(p: Planner, body: Body, each: Iter): void {
  const block = p.f.block(() => p.f.vars.scoped(() => planQuery(p, body, each)));
  p.f.emit({ type: 'Block', blocks: [block] });
}

function planArrayComprehension(p: Planner, t: ArrayComprehension): Operand {
  const target = p.f.newLocal();
  p.f.emit({ type: 'MakeArray', capacity: 0, target });
  planClosedBody(p, t.body, () => planTerm(p, t.head, (value) => {
    p.f.emit({ type: 'ArrayAppend', array: target, value });
  }));
  return local(target);
}

function planSetComprehension(p: Planner, t: SetComprehension): Operand {
  const target = p.f.newLocal();
  p.f.emit({ type: 'MakeSet', target });
  planClosedBody(p, t.body, () => planTerm(p, t.head, (value) => {
    p.f.emit({ type: 'SetAdd', set: target, value });
  }));
  return local(target);
}

function planObjectComprehension(p: Planner, t: ObjectComprehension): Operand {
  const target = p.f.newLocal();
  p.f.emit({ type: 'MakeObject', target });
  planClosedBody(p, t.body, () => planTerms(p, [t.key, t.value], ([key, value]) => {
    p.f.emit({ type: 'ObjectInsertOnce', key: key!, value: value!, object: target, message: 'object keys must be unique' });
  }));
  return local(target);
}
