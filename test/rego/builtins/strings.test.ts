import { describe, expect, it } from 'vitest';
import { RegoObject } from '../../../src/rego/builtins/types.js';
import { call, errorOf, set } from './helpers.js';

describe('strings', () => {
  it('concats arrays and sets', () => {
    expect(call('concat', '/', ['', 'foo', 'bar'])).toBe('/foo/bar');
    expect(call('concat', ',', set('b', 'a'))).toBe('a,b');
  });

  it('indexes by code point', () => {
    expect(call('indexof', 'abcabcabcdefgh', 'cde')).toBe(8);
    expect(call('indexof', 'μx', 'x')).toBe(1);
    expect(call('indexof', '🍧🍨🧁🍰🍮', '🍮')).toBe(4);
    expect(call('indexof', 'abc', 'x')).toBe(-1);
    expect(call('indexof_n', '😇😀😇😀😇😀', '😀')).toEqual([1, 3, 5]);
  });

  it('takes substrings', () => {
    expect(call('substring', 'aåäö', 2, -1)).toBe('äö');
    expect(call('substring', 'abcdefgh', 2, 10000)).toBe('cdefgh');
    expect(call('substring', 'aaa', 4, -1)).toBe('');
    expect(errorOf('substring', 'aaa', -1, -1)).toBe('substring: negative offset');
  });

  it('formats integers', () => {
    expect(call('format_int', 15.5, 16)).toBe('f');
    expect(call('format_int', -5, 2)).toBe('-101');
    expect(errorOf('format_int', 4.1, 199)).toBe('format_int: operand 2 must be one of {2, 8, 10, 16}');
  });

  it('splits, replaces and counts like Go', () => {
    expect(call('split', 'test', '')).toEqual(['t', 'e', 's', 't']);
    expect(call('split', '', '')).toEqual([]);
    expect(call('split', '', '.')).toEqual(['']);
    expect(call('replace', 'foo...bar', '..', ',,')).toBe('foo,,.bar');
    expect(call('strings.count', 'cheese', 'e')).toBe(3);
    expect(call('strings.count', 'five!', '')).toBe(6);
  });

  it('trims by cutset, prefix, suffix and space', () => {
    expect(call('trim', '...foo.bar...', '.fr')).toBe('oo.ba');
    expect(call('trim_left', '¡¡¡foo, bar!!!', '!¡')).toBe('foo, bar!!!');
    expect(call('trim_right', '¡¡¡foo, bar!!!', '!¡')).toBe('¡¡¡foo, bar');
    expect(call('trim_prefix', '¡¡¡foo, bar!!!', '¡¡¡foo')).toBe(', bar!!!');
    expect(call('trim_suffix', '¡¡¡foo, bar!!!', ', bar!!!')).toBe('¡¡¡foo');
    expect(call('trim_space', ' \t\n foo, bar \n\t\r\n')).toBe('foo, bar');
  });

  it('changes case rune by rune', () => {
    expect(call('upper', 'AbCdEf')).toBe('ABCDEF');
    expect(call('upper', 'straße')).toBe('STRAßE');
    expect(call('lower', 'AbCdEf')).toBe('abcdef');
  });

  it('reverses code points', () => {
    expect(call('strings.reverse', '1😀𝛾')).toBe('𝛾😀1');
    expect(errorOf('strings.reverse', 1)).toContain('reverse: operand 1 must be string but got number');
  });

  it('matches any prefix or suffix', () => {
    expect(call('strings.any_prefix_match', ['a/b', 'c'], set('a/'))).toBe(true);
    expect(call('strings.any_suffix_match', 'foo.bar', ['.baz', '.bar'])).toBe(true);
    expect(call('strings.any_prefix_match', 'foo', 'bar')).toBe(false);
    expect(errorOf('strings.any_prefix_match', [1], 'a')).toBe(
      'strings.any_prefix_match: operand 1 must be array of strings but got array containing number',
    );
    expect(errorOf('strings.any_prefix_match', 'a', 1)).toBe(
      'strings.any_prefix_match: operand 2 must be one of {string, set, array} but got number',
    );
  });

  it('replaces many patterns at once', () => {
    expect(call('strings.replace_n', { old1: 'new1', old2: 'new2' }, 'old1 and old2')).toBe('new1 and new2');
    expect(call('strings.replace_n', { a: 'b', b: 'a' }, 'ab')).toBe('ba');
    expect(errorOf('strings.replace_n', new RegoObject([[2, 'x']]), 'foo')).toBe(
      'strings.replace_n: operand 1 non-string key found in pattern object',
    );
    expect(errorOf('strings.replace_n', { foo: 1 }, 'foo')).toBe(
      'strings.replace_n: operand 1 non-string value found in pattern object',
    );
  });
});
