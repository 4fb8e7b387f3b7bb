// Rego variables in scope while planning one function or plan: a stack of
// frames mapping (compiled, unique) var names to IR locals. Frames are
// pushed for bodies whose bindings must not leak (negation, comprehensions,
// `every`, each rule body).

import type { Local } from './ir.js';

export class VarScope {
  private readonly frames: Array<Map<string, Local>> = [new Map()];

  lookup(name: string): Local | undefined {
    for (let i = this.frames.length - 1; i >= 0; i--) {
      const l = this.frames[i]!.get(name);
      if (l !== undefined) return l;
    }
    return undefined;
  }

  bind(name: string, local: Local): void {
    this.frames[this.frames.length - 1]!.set(name, local);
  }

  /** Runs fn in a new frame; bindings made by fn are dropped afterwards. */
  scoped<T>(fn: () => T): T {
    this.frames.push(new Map());
    try {
      return fn();
    } finally {
      this.frames.pop();
    }
  }
}
