// Statement emission for one IR function or plan: fresh locals and the
// block that statements are currently appended to.

import type { Block, Local, Operand, Stmt } from './ir.js';
import { VarScope } from './scope.js';

/** Local 0 holds input, local 1 holds data, in every func and plan. */
export const INPUT_LOCAL: Local = 0;
export const DATA_LOCAL: Local = 1;

export class FuncBuilder {
  private nextLocal: number;
  curr: Block;
  readonly vars = new VarScope();

  constructor(readonly root: Block, firstFree = 2) {
    this.curr = root;
    this.nextLocal = firstFree;
  }

  newLocal(): Local {
    return this.nextLocal++;
  }

  emit(s: Stmt): void {
    this.curr.stmts.push(s);
  }

  /** Runs fn with statements going to a new block, which is returned (not emitted). */
  block(fn: () => void): Block {
    const b: Block = { stmts: [] };
    const prev = this.curr;
    this.curr = b;
    try {
      fn();
    } finally {
      this.curr = prev;
    }
    return b;
  }

  /** The operand as a local (Scan, With and a few others need one). */
  toLocal(op: Operand): Local {
    if (op.type === 'local') return op.local;
    const l = this.newLocal();
    this.emit({ type: 'AssignVar', source: op, target: l });
    return l;
  }
}

export type Iter = () => void;
export type OperandIter = (op: Operand) => void;

export const local = (l: Local): Operand => ({ type: 'local', local: l });
