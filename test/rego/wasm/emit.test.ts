// The emitter on hand-written IR: each program is linked into the real
// runtime and run in the bare @open-policy-agent/opa-wasm SDK.
import { describe, expect, it } from 'vitest';
import { loadPolicy as loadSdkPolicy } from '@open-policy-agent/opa-wasm';
import type { Block, Func, Plan, Policy, Stmt } from '../../../src/rego/plan/ir.js';
import { emitWasm } from '../../../src/rego/wasm/emit.js';
import { runtimeWasm } from '../../../src/rego/wasm/runtime.js';

const str = (index: number) => ({ type: 'string_index' as const, index });
const loc = (local: number) => ({ type: 'local' as const, local });
const block = (...stmts: Stmt[]): Block => ({ stmts });

/** A plan whose result is {"result": <local r>} after running `stmts`. */
function resultPlan(name: string, r: number, ...stmts: Stmt[]): Plan {
  return {
    name,
    blocks: [block(
      ...stmts,
      { type: 'MakeObject', target: 90 },
      { type: 'ObjectInsert', key: str(0), value: loc(r), object: 90 },
      { type: 'ResultSetAdd', value: 90 },
    )],
  };
}

function policy(plans: Plan[], strings: string[], funcs: Func[] = [], builtins: Policy['static']['builtins'] = []): Policy {
  return { static: { strings: ['result', ...strings], builtins }, plans, funcs };
}

type Sdk = { evaluate(input: unknown, ep?: string | number): Array<{ result: unknown }>; setData(d: unknown): void };

async function load(p: Policy, custom: Record<string, (...a: unknown[]) => unknown> = {}): Promise<Sdk> {
  const wasm = emitWasm(p, runtimeWasm());
  return (await loadSdkPolicy(wasm, undefined, custom)) as unknown as Sdk;
}

describe('emitter', () => {
  it('reads input and data and reports entrypoints', async () => {
    const p = policy([
      resultPlan('t/in', 2, { type: 'Dot', source: loc(0), key: str(1), target: 2 }),
      resultPlan('t/data', 2, { type: 'Dot', source: loc(1), key: str(1), target: 2 }),
    ], ['x']);
    const sdk = await load(p);
    expect(sdk.evaluate({ x: [1, 'two'] }, 't/in')).toEqual([{ result: [1, 'two'] }]);
    expect(sdk.evaluate({ y: 1 }, 't/in')).toEqual([]);
    sdk.setData({ x: { deep: true } });
    expect(sdk.evaluate({}, 't/data')).toEqual([{ result: { deep: true } }]);
  });

  it('scans collections and breaks out of failing blocks', async () => {
    // result = [v | v := input[_]; v != 2]
    const p = policy([resultPlan('t/scan', 3,
      { type: 'MakeArray', capacity: 0, target: 3 },
      { type: 'Scan', source: 0, key: 4, value: 5, block: block(
        { type: 'MakeNumberInt', value: 2n, target: 6 },
        { type: 'NotEqual', a: loc(5), b: loc(6) },
        { type: 'ArrayAppend', array: 3, value: loc(5) },
      ) },
    )], []);
    const sdk = await load(p);
    expect(sdk.evaluate([1, 2, 3, 2, 4], 0)).toEqual([{ result: [1, 3, 4] }]);
    expect(sdk.evaluate({ b: 2, a: 1, c: 3 }, 0)).toEqual([{ result: [1, 3] }]);
    expect(sdk.evaluate('not a collection', 0)).toEqual([{ result: [] }]);
  });

  it('negates blocks and restores locals after with', async () => {
    // result = "yes" if not input.flag, else undefined; then with input.flag as false
    const p = policy([
      resultPlan('t/not', 3,
        { type: 'Not', block: block({ type: 'Dot', source: loc(0), key: str(1), target: 2 }, { type: 'Equal', a: loc(2), b: { type: 'bool', value: true } }) },
        { type: 'AssignVar', source: str(2), target: 3 },
      ),
      resultPlan('t/with', 3,
        { type: 'With', local: 0, path: [1], value: { type: 'bool', value: false }, block: block(
          { type: 'Dot', source: loc(0), key: str(1), target: 2 },
          { type: 'Equal', a: loc(2), b: { type: 'bool', value: false } },
        ) },
        { type: 'Dot', source: loc(0), key: str(1), target: 3 },
      ),
    ], ['flag', 'yes']);
    const sdk = await load(p);
    expect(sdk.evaluate({ flag: true }, 't/not')).toEqual([]);
    expect(sdk.evaluate({ flag: false }, 't/not')).toEqual([{ result: 'yes' }]);
    expect(sdk.evaluate({}, 't/not')).toEqual([{ result: 'yes' }]);
    // inside the with block input.flag is false; afterwards the original value is back
    expect(sdk.evaluate({ flag: true }, 't/with')).toEqual([{ result: true }]);
  });

  it('calls planned functions and aborts on conflicts', async () => {
    const f: Func = {
      name: 'g0.data.t.twice', path: ['data', 't', 'twice'], params: [0, 1, 2], result: 3,
      blocks: [block({ type: 'MakeArray', capacity: 2, target: 3 }, { type: 'ArrayAppend', array: 3, value: loc(2) }, { type: 'ArrayAppend', array: 3, value: loc(2) }, { type: 'ReturnLocal', source: 3 })],
    };
    const p = policy([
      resultPlan('t/call', 3, { type: 'Dot', source: loc(0), key: str(1), target: 2 }, { type: 'Call', func: f.name, args: [loc(0), loc(1), loc(2)].slice(2), result: 3 }),
      resultPlan('t/conflict', 3,
        { type: 'AssignVarOnce', source: str(1), target: 3, message: 'complete rules must not produce multiple outputs' },
        { type: 'AssignVarOnce', source: str(2), target: 3, message: 'complete rules must not produce multiple outputs' },
      ),
    ], ['x', 'y'], [f]);
    const sdk = await load(p);
    expect(sdk.evaluate({ x: 'a' }, 't/call')).toEqual([{ result: ['a', 'a'] }]);
    expect(() => sdk.evaluate({}, 't/conflict')).toThrow(/eval_conflict_error: complete rules must not produce multiple outputs/);
  });

  it('calls host builtins under a prefixed name with sets tagged', async () => {
    const p = policy([resultPlan('t/host', 4,
      { type: 'MakeSet', target: 2 },
      { type: 'SetAdd', value: str(1), set: 2 },
      { type: 'SetAdd', value: str(2), set: 2 },
      { type: 'Call', func: 'test.echo', args: [loc(2)], result: 4 },
    )], ['b', 'a'], [], [{ name: 'test.echo', arity: 1 }]);
    const seen: unknown[] = [];
    const sdk = await load(p, { 'hooker:test.echo': (x: unknown) => { seen.push(x); return x; } });
    expect(sdk.evaluate({}, 0)).toEqual([{ result: ['a', 'b'] }]);
    expect(seen).toEqual([{ '\u0000set': ['a', 'b'] }]);
  });
});
