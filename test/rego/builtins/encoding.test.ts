import { describe, expect, it } from 'vitest';
import { call, errorOf, set } from './helpers.js';

describe('base64 and hex', () => {
  it('encodes and decodes', () => {
    expect(call('base64.encode', 'subjects?_d')).toBe('c3ViamVjdHM/X2Q=');
    expect(call('base64.decode', 'aGVsbG8=')).toBe('hello');
    expect(call('base64.is_valid', "{'not':'base64'}")).toBe(false);
    expect(call('base64url.encode', 'there')).toBe('dGhlcmU=');
    expect(call('base64url.encode_no_pad', 'there')).toBe('dGhlcmU');
    expect(call('base64url.decode', 'aGVsbG8')).toBe('hello');
    expect(call('hex.encode', 'lorem ipsum')).toBe('6c6f72656d20697073756d');
    expect(call('hex.decode', '6869')).toBe('hi');
    expect(errorOf('hex.decode', 'fghijkl')).toContain("invalid byte: U+0067 'g'");
    expect(errorOf('base64.decode', 'a$==')).toContain('illegal base64 data at input byte 1');
  });
});

describe('urlquery', () => {
  it('escapes like Go', () => {
    expect(call('urlquery.encode', 'a=b+1')).toBe('a%3Db%2B1');
    expect(call('urlquery.decode', 'a%3Db%2B1')).toBe('a=b+1');
    expect(call('urlquery.encode_object', { a: ['b+1', 'c+2'], c: 'd' })).toBe('a=b%2B1&a=c%2B2&c=d');
    expect(call('urlquery.encode_object', { a: set('b+1') })).toBe('a=b%2B1');
    expect(call('urlquery.decode_object', 'a=value_a1&b&a=value_a2')).toEqual({ a: ['value_a1', 'value_a2'], b: [''] });
    expect(call('urlquery.decode_object', '')).toEqual({});
  });
});

describe('json and yaml', () => {
  it('marshals like Go', () => {
    expect(call('json.marshal', [{ foo: set(3, 1, 2) }])).toBe('[{"foo":[1,2,3]}]');
    expect(call('json.marshal', { b: '<&>', a: 1e6 * 2 })).toBe('{"a":2000000,"b":"\\u003c\\u0026\\u003e"}');
    expect(call('json.marshal_with_options', [1, 2], { indent: '  ' })).toBe('[\n  1,\n  2\n]');
    expect(call('json.marshal_with_options', [1], { pretty: false, prefix: 'NO!' })).toBe('[1]');
    expect(call('json.marshal_with_options', { foo: 'bar', bar: 'baz' }, { prefix: 'JSON => ' })).toBe(
      'JSON => {\nJSON => \t"bar": "baz",\nJSON => \t"foo": "bar"\nJSON => }',
    );
    expect(call('json.marshal_with_options', [], { indent: '    ', prefix: '---' })).toBe('---[]');
    expect(errorOf('json.marshal_with_options', [], { bogus: true })).toBe(
      'json.marshal_with_options: object contained unknown key "bogus"',
    );
  });

  it('unmarshals and validates', () => {
    expect(call('json.unmarshal', '{"a":[1,true,null]}')).toEqual({ a: [1, true, null] });
    expect(call('json.is_valid', '{')).toBe(false);
    expect(call('json.is_valid', 1)).toBe(false);
    expect(call('yaml.unmarshal', 'foo:\n  - qux: bar\n  - baz: 2\n')).toEqual({ foo: [{ qux: 'bar' }, { baz: 2 }] });
    expect(call('yaml.unmarshal', call('yaml.marshal', [{ foo: set(1, 2, 3) }])!)).toEqual([{ foo: [1, 2, 3] }]);
    expect(call('yaml.is_valid', 'foo:\n  - baz: {')).toBe(false);
    expect(errorOf('yaml.unmarshal', '[1,2,3')).toContain('yaml: line 1: did not find');
  });
});
