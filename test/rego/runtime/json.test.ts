import { beforeEach, describe, expect, it } from 'vitest';
import { loadRuntime, type Runtime } from './harness.js';

let rt: Runtime;
beforeEach(() => { rt = loadRuntime(); });

const roundTrip = (text: string): string => {
  const v = rt.parse(text);
  if (v === 0) throw new Error(`invalid: ${text}`);
  return rt.dump(v);
};

describe('opa_json_parse / opa_json_dump', () => {
  it('round-trips values, with object keys in sorted order', () => {
    expect(roundTrip('{"b":1,"a":[true,false,null],"c":{"z":"y","x":{}}}')).toBe('{"a":[true,false,null],"b":1,"c":{"x":{},"z":"y"}}');
    expect(roundTrip(' [ 1 , [ ] , { } , "" ] ')).toBe('[1,[],{},""]');
  });

  it('keeps every digit of numbers', () => {
    for (const n of ['0', '-1', '9223372036854775807', '-9223372036854775808', '9223372036854775808',
      '123456789012345678901234567890', '-123456789012345678901234567890', '1.5', '1.0', '1e3', '1E-7', '-0.000001', '3.14159265358979323846264338327950288']) {
      expect(roundTrip(n)).toBe(n);
    }
    expect(roundTrip('-0')).toBe('0');
  });

  it('decodes escapes and unicode and encodes what JSON requires', () => {
    const text = '"a\\"b\\\\c\\/d\\b\\f\\n\\r\\t\\u00e9\\u20ac\\ud83d\\ude00 é😀\\u0001"';
    const v = rt.parse(text);
    expect(JSON.parse(rt.dump(v))).toBe(JSON.parse(text));
    expect(rt.dump(v)).toBe('"a\\"b\\\\c/d\\b\\f\\n\\r\\té€😀 é😀\\u0001"');
    expect(rt.js(rt.call('hooker_len', v))).toBe([...JSON.parse(text) as string].length);
  });

  it('replaces lone surrogates with U+FFFD', () => {
    expect(JSON.parse(roundTrip('"x\\ud800y"'))).toBe('x\ufffdy');
    expect(JSON.parse(roundTrip('"\\udc00"'))).toBe('\ufffd');
  });

  it('rejects invalid JSON with 0', () => {
    for (const bad of ['', ' ', '{', '[1,]', '[1 2]', '{"a" 1}', '{a:1}', '01', '1.', '.5', '-', '1e', 'tru', 'nul', '"abc', '"\\x"', '"\\u12"', '"a\nb"', '[1]x', '{"a":1,}', "'a'"]) {
      expect(rt.parse(bad), JSON.stringify(bad)).toBe(0);
    }
  });

  it('takes the last of duplicate keys, as JSON.parse does', () => {
    expect(roundTrip('{"a":1,"b":2,"a":3}')).toBe('{"a":3,"b":2}');
  });

  it('handles deep nesting', () => {
    const depth = 2000;
    const text = '['.repeat(depth) + '{"k":"v"}' + ']'.repeat(depth);
    expect(roundTrip(text)).toBe(text);
    const obj = '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
    expect(roundTrip(obj)).toBe(obj);
  });

  it('sorts large objects', () => {
    const o: Record<string, number> = {};
    for (let i = 0; i < 5000; i++) o[`k${(i * 7919) % 5000}`] = i;
    const dumped = JSON.parse(roundTrip(JSON.stringify(o))) as Record<string, number>;
    expect(dumped).toEqual(o);
    const keys = Object.keys(dumped);
    expect(keys).toEqual([...keys].sort());
  });

  it('dumps sets as arrays and non-string keys as their JSON text', () => {
    const s = rt.call('hooker_set');
    for (const x of [3, 1, 2, 1]) rt.call('hooker_set_add', s, rt.int(x));
    expect(rt.dump(s)).toBe('[1,2,3]');
    const o = rt.call('hooker_object');
    rt.call('hooker_object_insert', o, rt.int(1), rt.str('one'));
    rt.call('hooker_object_insert', o, rt.value([1, 'x']), rt.str('arr'));
    rt.call('hooker_object_insert', o, rt.str('s'), rt.str('str'));
    expect(rt.dump(o)).toBe('{"1":"one","s":"str","[1,\\"x\\"]":"arr"}');
  });
});

describe('opa_value_parse', () => {
  it('accepts JSON like opa_json_parse', () => {
    const [p, n] = rt.text('{"b":[1.5,"x"],"a":null}');
    const v = rt.call('opa_value_parse', p, n);
    expect(rt.dump(v)).toBe('{"a":null,"b":[1.5,"x"]}');
    const [q, m] = rt.text('{');
    expect(rt.call('opa_value_parse', q, m)).toBe(0);
  });
});

describe('opa_value_dump', () => {
  it('writes Rego syntax', () => {
    const s = rt.call('hooker_set');
    expect(rt.dumpRego(s)).toBe('set()');
    rt.call('hooker_set_add', s, rt.str('b'));
    rt.call('hooker_set_add', s, rt.str('a'));
    const o = rt.call('hooker_object');
    rt.call('hooker_object_insert', o, rt.int(1), s);
    rt.call('hooker_object_insert', o, rt.str('k'), rt.value([null, true]));
    expect(rt.dumpRego(o)).toBe('{1: {"a", "b"}, "k": [null, true]}');
  });
});

describe('tagged mode (TypeScript builtin calls)', () => {
  it('writes sets and objects with non-string keys in tagged form, only while inside a builtin call', () => {
    const s = rt.call('hooker_set');
    rt.call('hooker_set_add', s, rt.int(2));
    const o = rt.call('hooker_object');
    rt.call('hooker_object_insert', o, rt.int(1), s);
    const plain = rt.call('hooker_object');
    rt.call('hooker_object_insert', plain, rt.str('a'), s);
    rt.call('hooker_builtin_enter');
    expect(rt.dump(o)).toBe('{"\\u0000obj":[[1,{"\\u0000set":[2]}]]}');
    expect(rt.dump(plain)).toBe('{"a":{"\\u0000set":[2]}}');
    rt.call('hooker_builtin_enter');
    rt.call('hooker_builtin_exit');
    expect(rt.dump(s)).toBe('{"\\u0000set":[2]}');
    rt.call('hooker_builtin_exit');
    expect(rt.dump(o)).toBe('{"1":[2]}');
  });

  it('parses the tagged forms back, only while inside a builtin call', () => {
    const text = '{"\\u0000obj":[[1,{"\\u0000set":[3,1,3]}],["a",{"\\u0000set":[]}]]}';
    rt.call('hooker_builtin_enter');
    const v = rt.parse(text);
    expect(rt.call('hooker_type', v)).toBe(6);
    const inner = rt.call('hooker_dot', v, rt.int(1));
    expect(rt.call('hooker_type', inner)).toBe(7);
    expect(rt.dump(v)).toBe('{"\\u0000obj":[[1,{"\\u0000set":[1,3]}],["a",{"\\u0000set":[]}]]}');
    rt.call('hooker_builtin_exit');
    expect(rt.dumpRego(v)).toBe('{1: {1, 3}, "a": set()}');
    const untagged = rt.parse(text);
    expect(rt.js(untagged)).toEqual({ '\u0000obj': [[1, { '\u0000set': [3, 1, 3] }], ['a', { '\u0000set': [] }]] });
  });

  it('round-trips arbitrary values through tagged JSON', () => {
    const build = rt.call('hooker_object');
    const key = rt.call('hooker_set');
    rt.call('hooker_set_add', key, rt.value({ x: [1, 2.5] }));
    rt.call('hooker_object_insert', build, key, rt.value('v'));
    rt.call('hooker_object_insert', build, rt.num('12345678901234567890123'), rt.value(null));
    rt.call('hooker_builtin_enter');
    const back = rt.parse(rt.dump(build));
    rt.call('hooker_builtin_exit');
    expect(back).not.toBe(0);
    expect(rt.call('hooker_equal', back, build)).toBe(1);
    expect(rt.dumpRego(back)).toBe('{12345678901234567890123: null, {{"x": [1, 2.5]}}: "v"}');
  });
});
