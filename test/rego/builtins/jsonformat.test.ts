// Postee's `jsonformat` through the whole pipeline (Rego -> wasm -> host
// builtin), against the exact text Go's json.MarshalIndent(v, "", " ")
// writes: one-space indent, keys in UTF-8 byte order, HTML characters and
// U+2028/U+2029 escaped, Go's control-character escapes, sets as arrays.
import { describe, expect, it } from 'vitest';
import { compile, loadPolicy } from '../../../src/rego/index.js';

async function jsonformat(rego: string, input?: unknown): Promise<unknown> {
  const { wasm } = compile({ modules: [{ file: 'jf.rego', source: `package jf\nout := jsonformat(${rego})\n` }], entrypoints: ['jf/out'] });
  const policy = await loadPolicy(wasm, { strictBuiltinErrors: true });
  return policy.evaluate(input, 'jf/out')[0]?.['result'];
}

describe('jsonformat (Go json.MarshalIndent with one-space indent)', () => {
  it('indents with one space, sorts keys, writes sets as arrays and empty collections inline', async () => {
    expect(await jsonformat('{"z": 1, "B": 0, "nested": {"b": {}, "a": [], "s": {"y", "x"}}, "t": [true, null]}')).toBe(
      '{\n "B": 0,\n "nested": {\n  "a": [],\n  "b": {},\n  "s": [\n   "x",\n   "y"\n  ]\n },\n "t": [\n  true,\n  null\n ],\n "z": 1\n}',
    );
  });

  it('escapes <, >, &, U+2028, U+2029 and control characters as Go does; keeps DEL and non-ASCII', async () => {
    expect(await jsonformat('{"html": "<a href=\\"x\\">&</a>"}')).toBe('{\n "html": "\\u003ca href=\\"x\\"\\u003e\\u0026\\u003c/a\\u003e"\n}');
    expect(await jsonformat('input', { ctl: '\u0001\b\f\n\r\t\u001f\u007f\\', ls: '\u2028\u2029', uni: 'é😀' })).toBe(
      '{\n "ctl": "\\u0001\\b\\f\\n\\r\\t\\u001f\u007f\\\\",\n "ls": "\\u2028\\u2029",\n "uni": "é😀"\n}',
    );
  });

  it('orders keys by UTF-8 bytes (Go), not UTF-16 units (JavaScript)', async () => {
    expect(await jsonformat('input', { '😀': 1, '！': 2, é: 3, z: 4 })).toBe('{\n "z": 4,\n "é": 3,\n "！": 2,\n "😀": 1\n}');
  });

  it('prints integers in full and floats as Go\'s float64 encoder does', async () => {
    expect(await jsonformat('[2.5, -0.000001, 1e-7, 1.5e-10, 0.1 + 0.2, 1 / 3, 1e21, 123456789012, 12345678901234567890, -7]')).toBe(
      '[\n 2.5,\n -0.000001,\n 1e-7,\n 1.5e-10,\n 0.30000000000000004,\n 0.3333333333333333,\n 1000000000000000000000,\n 123456789012,\n 12345678901234567890,\n -7\n]',
    );
  });

  it('formats any JSON value an event can be (arrays and scalars too)', async () => {
    expect(await jsonformat('input', [{ b: 1, a: 2 }])).toBe('[\n {\n  "a": 2,\n  "b": 1\n }\n]');
    expect(await jsonformat('input', 'text & more')).toBe('"text \\u0026 more"');
    expect(await jsonformat('input', 0)).toBe('0');
  });
});
