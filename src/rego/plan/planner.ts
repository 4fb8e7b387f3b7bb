// Shared state of one planProgram run: static tables, with-contexts, the
// funcs planned so far (and those still to plan), and the function
// currently being built.

import type { CompiledProgram, RuleSet } from '../compile/types.js';
import { RegoCompileError } from '../errors.js';
import type { Location } from '../syntax/ast.js';
import { FuncBuilder } from './builder.js';
import { ContextTable, type PlanContext } from './context.js';
import type { Func } from './ir.js';
import { BuiltinTable, StringTable } from './strings.js';

interface PendingFunc { name: string; ruleSet: RuleSet; ctx: PlanContext }

export class Planner {
  readonly strings = new StringTable();
  readonly builtins = new BuiltinTable();
  readonly contexts = new ContextTable();
  readonly funcs: Func[] = [];
  private readonly funcNames = new Map<string, string>();
  private readonly usedNames = new Set<string>();
  private readonly pending: PendingFunc[] = [];
  ctx: PlanContext;
  /** The function or plan being built; set by whoever starts building one. */
  f: FuncBuilder = new FuncBuilder({ stmts: [] });

  constructor(readonly program: CompiledProgram) {
    this.ctx = this.contexts.root;
  }

  /** Name of the func implementing `ruleSet` in the current context; queued for planning on first use. */
  funcFor(ruleSet: RuleSet): string {
    const key = `${this.ctx.id}|${ruleSet.path.join('\u0000')}`;
    let name = this.funcNames.get(key);
    if (!name) {
      const base = `g${this.ctx.id}.data.${ruleSet.path.join('.')}`;
      // Path segments may contain dots ("a.b" + "c" vs "a" + "b.c"): keep names unique.
      name = base;
      for (let n = 1; this.usedNames.has(name); n++) name = `${base}#${n}`;
      this.usedNames.add(name);
      this.funcNames.set(key, name);
      this.pending.push({ name, ruleSet, ctx: this.ctx });
    }
    return name;
  }

  nextPending(): PendingFunc | undefined {
    return this.pending.shift();
  }

  ruleSet(path: string[]): RuleSet | undefined {
    return this.program.ruleSets.get(path.join('.'));
  }

  /** Runs fn with `ctx` as the current context. */
  inContext<T>(ctx: PlanContext, fn: () => T): T {
    const prev = this.ctx;
    this.ctx = ctx;
    try {
      return fn();
    } finally {
      this.ctx = prev;
    }
  }

  fail(message: string, loc?: Location): never {
    throw new RegoCompileError([{ code: 'rego_compile_error', message, ...(loc ? { loc } : {}) }]);
  }
}
