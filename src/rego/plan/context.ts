// With-contexts. Code under `with data.x as v` (where x holds rules) or
// `with f as g` must see the replacement also inside the rules it calls, so
// (as OPA's planner does) every rule reached from there is planned again
// for that context: funcs are named per context ("g1.data.pkg.p").

import type { Term } from '../syntax/ast.js';

/** What a call to a replaced function or builtin does instead. */
export type Mock =
  /** Call another function (full ref "data.pkg.g") or builtin (name). */
  | { kind: 'func'; target: string }
  /** Return a constant value. */
  | { kind: 'value'; value: Term };

export interface PlanContext {
  id: number;
  /** Paths below data whose value is read from the (replaced) base document instead of rules. */
  dataOverrides: string[][];
  /** Replaced callees by name ("data.pkg.f" or a builtin name). */
  mocks: Map<string, Mock>;
}

function isPrefix(prefix: string[], path: string[]): boolean {
  return prefix.length <= path.length && prefix.every((s, i) => path[i] === s);
}

/** Whether the document at `path` is replaced (it or one of its ancestors is overridden). */
export function isOverridden(ctx: PlanContext, path: string[]): boolean {
  return ctx.dataOverrides.some((o) => isPrefix(o, path));
}

function mockKey(m: Mock): string {
  return m.kind === 'func' ? `f:${m.target}` : `v:${JSON.stringify(m.value, (k, v) => (k === 'loc' ? undefined : v))}`;
}

function contextKey(overrides: string[][], mocks: Map<string, Mock>): string {
  const o = overrides.map((p) => JSON.stringify(p)).sort();
  const m = [...mocks.entries()].map(([k, v]) => `${k}=${mockKey(v)}`).sort();
  return JSON.stringify([o, m]);
}

export class ContextTable {
  private readonly byKey = new Map<string, PlanContext>();
  readonly root: PlanContext;

  constructor() {
    this.root = this.get([], new Map());
  }

  get(dataOverrides: string[][], mocks: Map<string, Mock>): PlanContext {
    const key = contextKey(dataOverrides, mocks);
    let ctx = this.byKey.get(key);
    if (!ctx) {
      ctx = { id: this.byKey.size, dataOverrides, mocks };
      this.byKey.set(key, ctx);
    }
    return ctx;
  }

  /** `base` extended with more overrides and mocks (later ones replace earlier mocks of the same callee). */
  extend(base: PlanContext, overrides: string[][], mocks: Map<string, Mock>): PlanContext {
    if (overrides.length === 0 && mocks.size === 0) return base;
    const o = [...base.dataOverrides];
    for (const p of overrides) if (!o.some((q) => JSON.stringify(q) === JSON.stringify(p))) o.push(p);
    const m = new Map(base.mocks);
    for (const [k, v] of mocks) m.set(k, v);
    return this.get(o, m);
  }
}
