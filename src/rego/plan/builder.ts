// Statement emission for one IR function or plan: fresh locals and the
// block that statements are currently appended to.

import type { Block, Local, Operand, Stmt } from './ir.js';
import { VarScope } from './scope.js';

/** Local 0 holds input, local 1 holds data, in every func and plan. */
export const INPUT_LOCAL: Local = 0;
export const DATA_LOCAL: Local = 1;

export class FuncBuilder {
  private nextLocal: number;
  /** Blocks being built, innermost last (the emitter nests wasm blocks the same way). */
  private readonly open: Block[];
  readonly vars = new VarScope();

  constructor(readonly root: Block, firstFree = 2) {
    this.open = [root];
    this.nextLocal = firstFree;
  }

  get curr(): Block {
    return this.open[this.open.length - 1]!;
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
    this.open.push(b);
    try {
      fn();
    } finally {
      this.open.pop();
    }
    return b;
  }

  /** A Break that leaves `target` (a block still being built) from the current block. */
  breakOut(target: Block): void {
    const at = this.open.lastIndexOf(target);
    if (at < 0) throw new Error('internal error: break target is not an enclosing block');
    this.emit({ type: 'Break', index: this.open.length - 1 - at });
  }

  /**
   * Emits a block running `plan`, stopping at its first solution; returns a
   * local that is defined (true) after it iff there was a solution.
   */
  exists(plan: (onSolution: () => void) => void): Local {
    const found = this.newLocal();
    this.emit({ type: 'ResetLocal', target: found });
    const outer: Block = this.block(() => {
      const target = this.curr;
      plan(() => {
        this.emit({ type: 'AssignVar', source: { type: 'bool', value: true }, target: found });
        this.breakOut(target);
      });
    });
    this.emit({ type: 'Block', blocks: [outer] });
    return found;
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
