import { describe, expect, it } from 'vitest';
import { createHostBuiltins, lookupBuiltin } from '../../../src/rego/builtins/index.js';
import { RegoEvalError } from '../../../src/rego/errors.js';

/** Host builtins answer with JSON text in an ArrayBuffer (the SDK loads it as is). */
const wire = (out: unknown): unknown => (out instanceof ArrayBuffer ? JSON.parse(new TextDecoder().decode(out)) : out);

describe('createHostBuiltins', () => {
  it('exposes TS builtins under the hooker: prefix with wire-form values', () => {
    const { builtins } = createHostBuiltins({ strict: true });
    expect(builtins['count']).toBeUndefined();
    expect(wire(builtins['hooker:count']!({ '\u0000set': [1, 2, 3] }))).toBe(3);
    expect(wire(builtins['hooker:object.keys']!({ a: 1, b: 2 }))).toEqual({ '\u0000set': ['a', 'b'] });
  });

  it('writes integers beyond 2^53 with every digit', () => {
    const { builtins } = createHostBuiltins({ strict: true });
    const out = builtins['hooker:units.parse']!('10Ei');
    expect(new TextDecoder().decode(out as ArrayBuffer)).toBe('11529215046068469760');
  });

  it('checks operand types against the declaration', () => {
    const { builtins } = createHostBuiltins({ strict: true });
    expect(() => builtins['hooker:array.concat']!([1], { a: 1 })).toThrow(
      'eval_type_error: array.concat: operand 2 must be array but got object',
    );
    expect(() => builtins['hooker:count']!(1)).toThrow(
      'count: operand 1 must be one of {array, object, set, string} but got number',
    );
  });

  it('raises RegoEvalError when strict, undefined otherwise', () => {
    const strict = createHostBuiltins({ strict: true }).builtins['hooker:div']!;
    const lax = createHostBuiltins({ strict: false }).builtins['hooker:div']!;
    let err: unknown;
    try {
      strict(1, 0);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(RegoEvalError);
    expect((err as RegoEvalError).code).toBe('eval_builtin_error');
    expect((err as RegoEvalError).message).toBe('eval_builtin_error: div: divide by zero');
    expect(lax(1, 0)).toBeUndefined();
    expect(wire(lax(1, 2))).toBe(0.5);
  });

  it('fixes the clock per evaluation', () => {
    let t = 1000n;
    const host = createHostBuiltins({ strict: true, now: () => t++ });
    const now = host.builtins['hooker:time.now_ns'];
    if (!now) return expect(lookupBuiltin('time.now_ns')?.impl).toBeUndefined();
    const a = wire(now());
    expect(wire(now())).toBe(a);
    host.beginEvaluation();
    expect(wire(now())).not.toBe(a);
  });
});

describe('catalog', () => {
  it('declares operators and part B builtins with arity', () => {
    expect(lookupBuiltin('plus')?.args).toHaveLength(2);
    expect(lookupBuiltin('plus')?.infix).toBe('+');
    expect(lookupBuiltin('internal.member_3')?.args).toHaveLength(3);
    expect(lookupBuiltin('io.jwt.verify_rs256')?.args).toHaveLength(2);
    expect(lookupBuiltin('time.now_ns')?.nondeterministic).toBe(true);
  });

  it('keeps declared types when an implementation is attached', () => {
    expect(lookupBuiltin('count')?.impl).toBeTypeOf('function');
    expect(lookupBuiltin('count')?.args).toHaveLength(1);
  });
});
