import { beforeEach, describe, expect, it } from 'vitest';
import { loadRuntime, type Runtime } from './harness.js';
import { NATIVE_BUILTINS } from '../../../src/rego/wasm/runtime-abi.js';

let rt: Runtime;
beforeEach(() => { rt = loadRuntime(); });

const S = (...xs: unknown[]): Set<unknown> => new Set(xs);

/** Calls native builtin `name` (Rego name) on JS/Set arguments and shows the result in Rego syntax. */
function call(name: string, ...args: unknown[]): string {
  const exp = NATIVE_BUILTINS[name];
  if (!exp) throw new Error(`${name} is not native`);
  return rt.show(rt.call(exp, ...args.map((a) => rt.rego(a))));
}

/** Same with arguments given as number text (to get exact decimal and big-integer operands). */
function callNum(name: string, ...texts: string[]): string {
  const exp = NATIVE_BUILTINS[name]!;
  return rt.show(rt.call(exp, ...texts.map((t) => rt.num(t))));
}

function strictError(name: string, ...args: unknown[]): string {
  rt.call('hooker_set_strict', 1);
  try {
    call(name, ...args);
  } catch (e) {
    return (e as Error).message;
  } finally {
    rt.call('hooker_set_strict', 0);
  }
  throw new Error(`${name} did not fail`);
}

describe('NATIVE_BUILTINS', () => {
  it('names only functions the runtime exports', () => {
    for (const [name, exp] of Object.entries(NATIVE_BUILTINS)) {
      expect(typeof rt.exports[exp], `${name} -> ${exp}`).toBe('function');
    }
  });
});

describe('comparison builtins', () => {
  it('use the total order across types', () => {
    expect(call('lt', null, false)).toBe('true');
    expect(call('lt', true, 0)).toBe('true');
    expect(call('lt', 99, 'a')).toBe('true');
    expect(call('lt', 'z', [])).toBe('true');
    expect(call('lt', [1], {})).toBe('true');
    expect(call('lt', {}, S())).toBe('true');
    expect(call('gt', S(), { a: 1 })).toBe('true');
    expect(call('gte', 1, 1)).toBe('true');
    expect(call('lte', 2, 1)).toBe('false');
    expect(call('equal', { a: [1, 2] }, { a: [1, 2] })).toBe('true');
    expect(call('equal', [1], [1, 2])).toBe('false');
    expect(call('neq', 'a', 'b')).toBe('true');
    expect(call('neq', S(1, 2), S(2, 1))).toBe('false');
  });

  it('compare numbers by value across representations', () => {
    expect(callNum('equal', '1', '1.0')).toBe('true');
    expect(callNum('lt', '1', '1.5')).toBe('true');
    expect(callNum('lt', '-1.5', '-1')).toBe('true');
    expect(callNum('equal', '100', '1e2')).toBe('true');
    expect(callNum('lt', '9223372036854775807', '9223372036854775808')).toBe('true');
    expect(callNum('gt', '123456789012345678901234567890', '123456789012345678901234567889')).toBe('true');
    expect(callNum('lt', '-123456789012345678901234567890', '-9223372036854775808')).toBe('true');
    expect(callNum('equal', '0.10', '0.1')).toBe('true');
    expect(callNum('lt', '0.1', '0.10000000000000000001')).toBe('true');
  });
});

describe('arithmetic', () => {
  it('adds, subtracts and multiplies integers exactly', () => {
    expect(call('plus', 1, 2)).toBe('3');
    expect(call('plus', 49649733057, 1)).toBe('49649733058');
    expect(call('minus', 1, 4)).toBe('-3');
    expect(call('mul', -6, 7)).toBe('-42');
    expect(callNum('plus', '9223372036854775807', '1')).toBe('9223372036854775808');
    expect(callNum('minus', '-9223372036854775808', '1')).toBe('-9223372036854775809');
    expect(callNum('mul', '4294967296', '4294967296')).toBe('18446744073709551616');
    expect(callNum('mul', '123456789012345678901234567890', '-10')).toBe('-1234567890123456789012345678900');
    expect(callNum('minus', '123456789012345678901234567890', '123456789012345678901234567890')).toBe('0');
    expect(callNum('plus', '18446744073709551616', '-18446744073709551615')).toBe('1');
  });

  it('uses floats for decimals and prints integral results as integers', () => {
    // the digits may differ from Go's shortest form, the value may not
    expect(JSON.parse(call('plus', 0.1, 0.2))).toBe(0.1 + 0.2);
    expect(call('plus', 0.25, 0.5)).toBe('0.75');
    expect(call('plus', 1.5, 1.5)).toBe('3');
    expect(call('mul', 2.5, 2)).toBe('5');
    expect(call('minus', 1, 0.5)).toBe('0.5');
    expect(JSON.parse(call('mul', 1e100, 1))).toBe(1e100);
  });

  it('divides', () => {
    expect(call('div', 6, 3)).toBe('2');
    expect(call('div', 6, 4)).toBe('1.5');
    expect(call('div', 1, 3)).toBe(String(1 / 3));
    expect(call('div', 1, 0)).toBe('undefined');
    expect(strictError('div', 1, 0)).toBe('eval_builtin_error: div: divide by zero');
    expect(strictError('div', 1, 0.0)).toContain('divide by zero');
  });

  it('takes remainders of integers only', () => {
    expect(call('rem', 7, 3)).toBe('1');
    expect(call('rem', -7, 3)).toBe('-1');
    expect(call('rem', 7, -1)).toBe('0');
    expect(callNum('rem', '4.0', '3')).toBe('1');
    expect(call('rem', 7, 0)).toBe('undefined');
    expect(strictError('rem', 7, 0)).toBe('eval_builtin_error: rem: modulo by zero');
    expect(strictError('rem', 1.1, 1)).toBe('eval_builtin_error: rem: modulo on floating-point number');
  });

  it('reports operand types', () => {
    expect(call('plus', 'a', 1)).toBe('undefined');
    expect(strictError('plus', 'a', 1)).toBe('eval_type_error: plus: operand 1 must be number but got string');
    expect(strictError('mul', 1, [])).toBe('eval_type_error: mul: operand 2 must be number but got array');
    expect(strictError('minus', S(1), 1)).toBe('eval_type_error: minus: operand 2 must be set but got number');
    expect(strictError('minus', 1, S(1))).toBe('eval_type_error: minus: operand 2 must be number but got set');
    expect(strictError('minus', 'x', 1)).toBe('eval_type_error: minus: operand 1 must be one of {number, set} but got string');
  });

  it('rounds like OPA', () => {
    expect(call('abs', -10)).toBe('10');
    expect(call('abs', -1.5)).toBe('1.5');
    expect(callNum('abs', '-9223372036854775808')).toBe('9223372036854775808');
    expect(callNum('abs', '-123456789012345678901234567890')).toBe('123456789012345678901234567890');
    expect(call('round', 2.5)).toBe('3');
    expect(call('round', -2.5)).toBe('-3');
    expect(call('round', 2.4)).toBe('2');
    expect(call('round', 0.49999999999999994)).toBe('0');
    expect(call('ceil', 1.01)).toBe('2');
    expect(call('ceil', -1.99999)).toBe('-1');
    expect(call('ceil', 2222.2222222222)).toBe('2223');
    expect(call('floor', -1.001)).toBe('-2');
    expect(call('floor', 99.99999)).toBe('99');
    expect(call('floor', 7)).toBe('7');
    expect(strictError('round', 'x')).toBe('eval_type_error: round: operand 1 must be number but got string');
  });
});

describe('aggregates', () => {
  it('counts', () => {
    expect(call('count', 'héllo😀')).toBe('6');
    expect(call('count', [1, 2, 3])).toBe('3');
    expect(call('count', { a: 1 })).toBe('1');
    expect(call('count', S(1, 1, 2))).toBe('2');
    expect(call('count', null)).toBe('undefined');
    expect(strictError('count', 1)).toBe('eval_type_error: count: operand 1 must be one of {array, object, set, string} but got number');
  });

  it('sums and multiplies collections', () => {
    expect(call('sum', [1, 2, 3.5])).toBe('6.5');
    expect(call('sum', S(1, 2, 3))).toBe('6');
    expect(call('sum', [])).toBe('0');
    expect(call('product', [2, 3, 4])).toBe('24');
    expect(call('product', [])).toBe('1');
    expect(call('sum', ['1', 1])).toBe('undefined');
    expect(strictError('sum', [1, 'a'])).toBe('eval_type_error: sum: operand 1 must be array of numbers but got array containing string');
    expect(strictError('product', S('a'))).toBe('eval_type_error: product: operand 1 must be set of numbers but got set containing string');
    expect(strictError('sum', 1)).toBe('eval_type_error: sum: operand 1 must be one of {set, array} but got number');
  });

  it('sums big integers exactly', () => {
    const arr = rt.call('hooker_array', 2);
    rt.call('hooker_array_append', arr, rt.num('9223372036854775807'));
    rt.call('hooker_array_append', arr, rt.num('9223372036854775807'));
    expect(rt.show(rt.call('native_sum', arr))).toBe('18446744073709551614');
  });

  it('finds max and min by the total order', () => {
    expect(call('max', [1, 3, 2])).toBe('3');
    expect(call('min', S(3, 1, 2))).toBe('1');
    expect(call('max', [1, 'a', null])).toBe('"a"');
    expect(call('min', [1, 'a', null])).toBe('null');
    expect(call('max', [])).toBe('undefined');
    expect(strictError('max', 'abc')).toBe('eval_type_error: max: operand 1 must be one of {set, array} but got string');
  });
});

describe('sets', () => {
  it('intersects, unions and subtracts', () => {
    expect(call('and', S(1, 2, 3), S(2, 3, 4))).toBe('{2, 3}');
    expect(call('and', S(1), S(2))).toBe('set()');
    expect(call('or', S(3, 1), S(2, 1))).toBe('{1, 2, 3}');
    expect(call('minus', S(1, 2, 3), S(2))).toBe('{1, 3}');
    expect(call('minus', S([1], 'a'), S('a'))).toBe('{[1]}');
    expect(strictError('and', S(1), [1])).toBe('eval_type_error: and: operand 2 must be set but got array');
    expect(strictError('or', 1, S())).toBe('eval_type_error: or: operand 1 must be set but got number');
  });
});

describe('types', () => {
  const values: Array<[unknown, string]> = [[null, 'null'], [true, 'boolean'], [1.5, 'number'], ['s', 'string'], [[1], 'array'], [{ a: 1 }, 'object'], [S(1), 'set']];
  it('names types', () => {
    for (const [v, name] of values) expect(call('type_name', v)).toBe(JSON.stringify(name));
  });
  it('tests types, false for the others', () => {
    const preds = ['is_null', 'is_boolean', 'is_number', 'is_string', 'is_array', 'is_object', 'is_set'];
    const order = ['null', 'boolean', 'number', 'string', 'array', 'object', 'set'];
    for (const [v, name] of values) {
      for (const p of preds) expect(call(p, v), `${p}(${name})`).toBe(String(order[preds.indexOf(p)] === name));
    }
  });
});

describe('membership', () => {
  it('x in collection', () => {
    expect(call('internal.member_2', 2, [1, 2])).toBe('true');
    expect(call('internal.member_2', 2.0, S(1, 2))).toBe('true');
    expect(call('internal.member_2', 'a', { a: 1 })).toBe('false');
    expect(call('internal.member_2', 1, { a: 1 })).toBe('true');
    expect(call('internal.member_2', 'a', 'abc')).toBe('false');
  });
  it('k, v in collection', () => {
    expect(call('internal.member_3', 1, 'b', ['a', 'b'])).toBe('true');
    expect(call('internal.member_3', 0, 'b', ['a', 'b'])).toBe('false');
    expect(call('internal.member_3', 5, 'b', ['a', 'b'])).toBe('false');
    expect(call('internal.member_3', 'a', 1, { a: 1 })).toBe('true');
    expect(call('internal.member_3', 'a', 2, { a: 1 })).toBe('false');
  });
});

describe('arrays', () => {
  it('concatenates and slices', () => {
    expect(call('array.concat', [1], [2, 3])).toBe('[1, 2, 3]');
    expect(strictError('array.concat', [1], {})).toBe('eval_type_error: array.concat: operand 2 must be array but got object');
    expect(call('array.slice', [1, 2, 3, 4], 1, 3)).toBe('[2, 3]');
    expect(call('array.slice', [1, 2, 3, 4], -1, 10)).toBe('[1, 2, 3, 4]');
    expect(call('array.slice', [1, 2, 3, 4], 3, 1)).toBe('[]');
    expect(strictError('array.slice', [1], 0.5, 1)).toBe('eval_type_error: array.slice: operand 2 must be integer number but got floating-point number');
  });
});

describe('strings', () => {
  it('joins', () => {
    expect(call('concat', ', ', ['a', 'b', 'c'])).toBe('"a, b, c"');
    expect(call('concat', '-', S('b', 'a'))).toBe('"a-b"');
    expect(call('concat', '-', [])).toBe('""');
    expect(strictError('concat', '-', ['a', 1])).toBe('eval_type_error: concat: operand 2 must be array of strings but got array containing number');
    expect(strictError('concat', 1, ['a'])).toBe('eval_type_error: concat: operand 1 must be string but got number');
  });
  it('matches prefixes, suffixes and substrings', () => {
    expect(call('startswith', 'foobar', 'foo')).toBe('true');
    expect(call('startswith', 'fo', 'foo')).toBe('false');
    expect(call('endswith', 'foobar', 'bar')).toBe('true');
    expect(call('endswith', 'foobar', 'foo')).toBe('false');
    expect(call('contains', 'foobar', 'oba')).toBe('true');
    expect(call('contains', 'foobar', '')).toBe('true');
    expect(call('contains', 'foobar', 'baz')).toBe('false');
    expect(strictError('contains', 'a', 1)).toBe('eval_type_error: contains: operand 2 must be string but got number');
  });
  it('changes case', () => {
    expect(call('lower', 'AbC Ünï ΣΑ ЖЁ')).toBe('"abc ünï σα жё"');
    expect(call('upper', 'abc ünï σα жё')).toBe('"ABC ÜNÏ ΣΑ ЖЁ"');
    expect(strictError('upper', 1)).toBe('eval_type_error: upper: operand 1 must be string but got number');
  });
});

describe('object.get', () => {
  it('gets keys and paths with a default', () => {
    expect(call('object.get', { a: 1 }, 'a', 0)).toBe('1');
    expect(call('object.get', { a: 1 }, 'b', 0)).toBe('0');
    expect(call('object.get', { a: { b: [5, 6] } }, ['a', 'b', 1], 0)).toBe('6');
    expect(call('object.get', { a: { b: [5, 6] } }, ['a', 'c'], 'd')).toBe('"d"');
    expect(call('object.get', { a: 1 }, [], 0)).toBe('{"a": 1}');
    expect(strictError('object.get', 'x', 'a', 0)).toBe('eval_type_error: object.get: operand 1 must be object but got string');
  });
});

describe('bits', () => {
  it('computes on integers', () => {
    expect(call('bits.and', 12, 10)).toBe('8');
    expect(call('bits.or', 12, 10)).toBe('14');
    expect(call('bits.xor', 12, 10)).toBe('6');
    expect(call('bits.negate', 5)).toBe('-6');
    expect(call('bits.lsh', 1, 3)).toBe('8');
    expect(call('bits.lsh', 1, 64)).toBe('18446744073709551616');
    expect(call('bits.rsh', -8, 1)).toBe('-4');
    expect(strictError('bits.negate', 1.5)).toBe('eval_type_error: bits.negate: operand 1 must be integer number but got floating-point number');
    expect(strictError('bits.lsh', 1, -1)).toBe('eval_type_error: bits.lsh: operand 2 must be an unsigned integer number but got a negative integer');
    expect(call('bits.lsh', 1, -1)).toBe('undefined');
  });
});
