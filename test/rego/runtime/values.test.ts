import { beforeEach, describe, expect, it } from 'vitest';
import { loadRuntime, runtimeModule, type Runtime } from './harness.js';
import { RUNTIME_FNS } from '../../../src/rego/wasm/runtime-abi.js';

let rt: Runtime;
beforeEach(() => { rt = loadRuntime(); });

const S = (...xs: unknown[]): Set<unknown> => new Set(xs);

describe('RUNTIME_FNS', () => {
  it('are all exported with the declared signatures', () => {
    const exported = new Set(WebAssembly.Module.exports(runtimeModule()).filter((e) => e.kind === 'function').map((e) => e.name));
    for (const [name, sig] of Object.entries(RUNTIME_FNS)) {
      expect(exported.has(name), name).toBe(true);
      expect((rt.exports[name] as unknown as { length: number }).length, name).toBe(sig.params.length);
    }
    // i64 parameters take BigInt
    expect(() => rt.call('hooker_int', 1)).toThrow(TypeError);
  });
});

describe('ordering', () => {
  it('orders by type, then within the type, as OPA does', () => {
    const sorted = [
      null, false, true, -1e30, -1, 0, 0.5, 1, 2, 1e30, '', 'A', 'a', 'ab', 'b', 'é',
      [], [1], [1, 2], [2], {}, { a: 1 }, { a: 2 }, { a: 2, b: 0 }, { b: 0 }, S(), S(1), S(1, 2), S(2),
    ];
    const vals = sorted.map((x) => rt.rego(x));
    for (let i = 0; i < vals.length; i++) {
      for (let j = 0; j < vals.length; j++) {
        const want = Math.sign(i - j);
        expect(rt.call('hooker_compare', vals[i]!, vals[j]!), `${rt.show(vals[i]!)} vs ${rt.show(vals[j]!)}`).toBe(want);
        expect(rt.call('hooker_equal', vals[i]!, vals[j]!)).toBe(i === j ? 1 : 0);
      }
    }
  });

  it('compares numbers across representations', () => {
    const eq = (a: number, b: number): number => rt.call('hooker_equal', a, b);
    expect(eq(rt.int(1), rt.num('1.0'))).toBe(1);
    expect(eq(rt.num('1e2'), rt.int(100))).toBe(1);
    expect(eq(rt.num('12345678901234567890'), rt.num('1.234567890123456789e19'))).toBe(1);
    expect(eq(rt.num('12345678901234567890'), rt.num('12345678901234567891'))).toBe(0);
    const f = rt.call('native_div', rt.int(1), rt.int(4)); // a float computed at run time
    expect(eq(f, rt.num('0.25'))).toBe(1);
    expect(rt.call('hooker_compare', rt.int(9007199254740993n), rt.call('native_mul', rt.num('9007199254740992.0'), rt.int(1)))).toBe(1);
  });
});

describe('constructors and access', () => {
  it('builds arrays, objects and sets', () => {
    const arr = rt.call('hooker_array', 0);
    for (let i = 0; i < 100; i++) rt.call('hooker_array_append', arr, rt.int(i));
    expect(rt.call('hooker_coll_size', arr)).toBe(100);
    expect(rt.js(rt.call('hooker_coll_value', arr, 42))).toBe(42);
    expect(rt.js(rt.call('hooker_coll_key', arr, 42))).toBe(42);

    const obj = rt.call('hooker_object');
    for (const k of ['c', 'a', 'b']) rt.call('hooker_object_insert', obj, rt.str(k), rt.str(k.toUpperCase()));
    rt.call('hooker_object_insert', obj, rt.str('a'), rt.int(1));
    expect(rt.dump(obj)).toBe('{"a":1,"b":"B","c":"C"}');
    expect(rt.js(rt.call('hooker_coll_key', obj, 1))).toBe('b');
    expect(rt.js(rt.call('hooker_coll_value', obj, 1))).toBe('B');

    const set = rt.call('hooker_set');
    for (const x of [5, 3, 5, 4]) rt.call('hooker_set_add', set, rt.int(x));
    expect(rt.dump(set)).toBe('[3,4,5]');
    expect(rt.call('hooker_coll_size', set)).toBe(3);
    expect(rt.js(rt.call('hooker_coll_key', set, 0))).toBe(3);
    expect(rt.call('hooker_coll_size', rt.str('abc'))).toBe(-1);
    expect(rt.call('hooker_coll_size', rt.call('hooker_null'))).toBe(-1);
  });

  it('insert_once reports conflicts', () => {
    const obj = rt.call('hooker_object');
    expect(rt.call('hooker_object_insert_once', obj, rt.str('k'), rt.int(1))).toBe(0);
    expect(rt.call('hooker_object_insert_once', obj, rt.str('k'), rt.num('1.0'))).toBe(0);
    expect(rt.call('hooker_object_insert_once', obj, rt.str('k'), rt.int(2))).toBe(1);
    expect(rt.dump(obj)).toBe('{"k":1}');
  });

  it('dot looks up arrays, objects and sets', () => {
    const doc = rt.rego({ a: [10, 20], s: S('x'), 1: 'one' });
    const a = rt.call('hooker_dot', doc, rt.str('a'));
    expect(rt.js(rt.call('hooker_dot', a, rt.int(1)))).toBe(20);
    expect(rt.js(rt.call('hooker_dot', a, rt.num('1.0')))).toBe(20);
    expect(rt.call('hooker_dot', a, rt.num('0.5'))).toBe(0);
    expect(rt.call('hooker_dot', a, rt.int(2))).toBe(0);
    expect(rt.call('hooker_dot', a, rt.int(-1))).toBe(0);
    expect(rt.call('hooker_dot', a, rt.str('0'))).toBe(0);
    const s = rt.call('hooker_dot', doc, rt.str('s'));
    expect(rt.js(rt.call('hooker_dot', s, rt.str('x')))).toBe('x');
    expect(rt.call('hooker_dot', s, rt.str('y'))).toBe(0);
    expect(rt.js(rt.call('hooker_dot', doc, rt.str('1')))).toBe('one');
    expect(rt.call('hooker_dot', doc, rt.int(1))).toBe(0);
    expect(rt.call('hooker_dot', rt.str('abc'), rt.int(0))).toBe(0);
    expect(rt.call('hooker_dot', 0, rt.int(0))).toBe(0);
  });

  it('len counts code points and elements', () => {
    expect(rt.js(rt.call('hooker_len', rt.str('aé😀')))).toBe(3);
    expect(rt.js(rt.call('hooker_len', rt.rego([1, 2])))).toBe(2);
    expect(rt.js(rt.call('hooker_len', rt.rego({ a: 1 })))).toBe(1);
    expect(rt.js(rt.call('hooker_len', rt.rego(S(1, 2, 3))))).toBe(3);
    expect(rt.call('hooker_len', rt.int(5))).toBe(0);
  });

  it('reports types', () => {
    const tags = [null, true, 1, 's', [], {}, S()].map((x) => rt.call('hooker_type', rt.rego(x)));
    expect(tags).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(rt.call('hooker_type', rt.call('hooker_bool', 0))).toBe(2);
    expect(rt.dump(rt.call('hooker_bool', 7))).toBe('true');
  });

  it('references string constants without copying', () => {
    const [p, n] = rt.text('hello');
    const v = rt.call('hooker_string', p, n);
    new Uint8Array(rt.memory.buffer)[p] = 'j'.charCodeAt(0);
    expect(rt.js(v)).toBe('jello');
  });
});

describe('documents', () => {
  it('merges objects recursively and fails on conflicting leaves', () => {
    const m = rt.call('hooker_merge', rt.value({ a: { b: 1, c: 2 }, x: 1 }), rt.value({ a: { d: 3 }, y: 2 }));
    expect(rt.js(m)).toEqual({ a: { b: 1, c: 2, d: 3 }, x: 1, y: 2 });
    expect(rt.call('hooker_merge', rt.value({ a: 1 }), rt.value({ a: 1 }))).toBe(0);
    expect(rt.call('hooker_merge', rt.value({ a: { b: 1 } }), rt.value({ a: { b: 2 } }))).toBe(0);
    const only = rt.value({ a: 1 });
    expect(rt.call('hooker_merge', only, 0)).toBe(only);
  });

  it('upserts without mutating the document', () => {
    const doc = rt.value({ a: { b: 1 }, z: 0 });
    const out = rt.call('hooker_upsert', doc, rt.value(['a', 'c', 'd']), rt.int(5));
    expect(rt.js(out)).toEqual({ a: { b: 1, c: { d: 5 } }, z: 0 });
    expect(rt.js(doc)).toEqual({ a: { b: 1 }, z: 0 });
    const replaced = rt.call('hooker_upsert', doc, rt.value(['a', 'b', 'x']), rt.int(2));
    expect(rt.js(replaced)).toEqual({ a: { b: { x: 2 } }, z: 0 });
    expect(rt.js(rt.call('hooker_upsert', 0, rt.value(['k']), rt.str('v')))).toEqual({ k: 'v' });
    expect(rt.js(rt.call('hooker_upsert', doc, rt.value([]), rt.int(1)))).toBe(1);
  });

  it('turns arrays into sets', () => {
    const s = rt.call('hooker_to_set', rt.value([3, 1, 3, 'a']));
    expect(rt.call('hooker_type', s)).toBe(7);
    expect(rt.dumpRego(s)).toBe('{1, 3, "a"}');
    const str = rt.str('x');
    expect(rt.call('hooker_to_set', str)).toBe(str);
  });
});
