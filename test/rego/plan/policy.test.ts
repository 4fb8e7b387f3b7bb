import { describe, expect, it } from 'vitest';
import { planProgram, printPolicy } from '../../../src/rego/plan/index.js';
import type { Block, Stmt } from '../../../src/rego/plan/ir.js';
import { programOf } from './support.js';

function allStmts(blocks: Block[]): Stmt[] {
  const out: Stmt[] = [];
  const walk = (b: Block): void => {
    for (const s of b.stmts) {
      out.push(s);
      if (s.type === 'Block') s.blocks.forEach(walk);
      if (s.type === 'Scan' || s.type === 'Not' || s.type === 'With') walk(s.block);
    }
  };
  blocks.forEach(walk);
  return out;
}

describe('planner: policy structure', () => {
  const policy = planProgram(programOf([`package t
p := [12, 1.5, 123456789012345678901234567890]
s := {x | x := input[_]} & {1}
k := object.keys(input)
`], ['t/p', 't/s', 't/k'], [{ name: 'q', query: 'x := data.t.p', vars: ['x'] }]));

  it('names plans by entrypoint path and funcs like OPA', () => {
    expect(policy.plans.map((p) => p.name)).toEqual(['t/p', 't/s', 't/k', 'q']);
    expect(policy.funcs.map((f) => f.name).sort()).toEqual(['g0.data.t.k', 'g0.data.t.p', 'g0.data.t.s']);
    const p = policy.funcs.find((f) => f.name === 'g0.data.t.p')!;
    expect(p.params).toEqual([0, 1]);
    expect(p.path).toEqual(['data', 't', 'p']);
  });

  it('declares called builtins with arity and set results', () => {
    const byName = new Map(policy.static.builtins.map((b) => [b.name, b]));
    expect(byName.get('and')).toEqual({ name: 'and', arity: 2, returnsSet: true });
    expect(byName.get('object.keys')).toEqual({ name: 'object.keys', arity: 1, returnsSet: true });
    const calls = policy.funcs.flatMap((f) => allStmts(f.blocks)).filter((s) => s.type === 'Call').map((s) => (s as { func: string }).func);
    expect(calls).toEqual(expect.arrayContaining(['and', 'object.keys']));
  });

  it('makes integers that fit in i64 with MakeNumberInt, others from their text', () => {
    const stmts = allStmts(policy.funcs.find((f) => f.name === 'g0.data.t.p')!.blocks);
    expect(stmts).toContainEqual(expect.objectContaining({ type: 'MakeNumberInt', value: 12n }));
    const refs = stmts.filter((s) => s.type === 'MakeNumberRef').map((s) => policy.static.strings[(s as { index: number }).index]);
    expect(refs).toEqual(['1.5', '123456789012345678901234567890']);
  });

  it('prints a readable dump', () => {
    const text = printPolicy(policy);
    expect(text).toContain('plan t/p');
    expect(text).toContain('func g0.data.t.p ($0, $1) -> $');
    expect(text).toContain('builtin and/2 (returns set)');
    expect(text).toMatch(/Call \$\d+ = g0\.data\.t\.p\(\)/);
    expect(text).toMatch(/ObjectInsert \$\d+\["result"\] = \$\d+/);
    expect(text).toContain('MakeNumberRef');
    expect(text).toMatch(/^ {2}block\n {4}Call/m);
  });
});

describe('planner: early exits', () => {
  it('a complete rule with a constant value stops at the first solution', () => {
    const policy = planProgram(programOf([`package t
allow if { some x in input; x > 1 }
v := x if { some x in input; x > 1 }
`], ['t/allow', 't/v']));
    const stmts = (name: string) => allStmts(policy.funcs.find((f) => f.name === name)!.blocks);
    const allow = stmts('g0.data.t.allow');
    const assign = allow.findIndex((s) => s.type === 'AssignVarOnce');
    expect(allow[assign + 1]).toMatchObject({ type: 'Break' });
    // A value that varies per solution must see every solution (conflicts).
    expect(stmts('g0.data.t.v').some((s) => s.type === 'Break')).toBe(false);
  });
});
