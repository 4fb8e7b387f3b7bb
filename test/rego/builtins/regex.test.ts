import { describe, expect, it } from 'vitest';
import { call, errorOf } from './helpers.js';

describe('regex', () => {
  it('matches unanchored RE2 patterns', () => {
    expect(call('regex.match', '^[a-z]+\\[[0-9]+\\]$', 'foo[1]')).toBe(true);
    expect(call('regex.match', '', 'x')).toBe(true);
    expect(call('regex.match', '^$', 'something')).toBe(false);
    expect(errorOf('regex.match', '$^[[[', 'x')).toMatch(/^regex\.match: error parsing regexp: /);
  });

  it('validates patterns', () => {
    expect(call('regex.is_valid', '++')).toBe(false);
    expect(call('regex.is_valid', '.+')).toBe(true);
  });

  it('finds matches', () => {
    expect(call('regex.find_n', 'a.', 'paranormal', -1)).toEqual(['ar', 'an', 'al']);
    expect(call('regex.find_n', 'a.', 'paranormal', 2)).toEqual(['ar', 'an']);
    expect(call('regex.find_n', '^a.', 'abacadaeaf', -1)).toEqual(['ab']);
    expect(call('regex.find_n', '.$', 'abacadaeaf', -1)).toEqual(['f']);
    expect(call('regex.find_all_string_submatch_n', 'a(x*)b', '-ab-axb-', -1)).toEqual([
      ['ab', ''],
      ['axb', 'x'],
    ]);
    expect(call('regex.find_all_string_submatch_n', '[^aouiye]([aouiye])([^aouiye])?', 'somestri', -1)).toEqual([
      ['som', 'o', 'm'],
      ['ri', 'i', ''],
    ]);
  });

  it('splits and replaces like Go', () => {
    expect(call('regex.split', 'a', 'banana')).toEqual(['b', 'n', 'n', '']);
    expect(call('regex.split', 'z+', 'pizza')).toEqual(['pi', 'a']);
    expect(call('regex.replace', '-wy-wxxy-', 'w(x*)y', '0')).toBe('-0-0-');
    expect(call('regex.replace', 'foo', '(foo)', '$1$1')).toBe('foofoo');
    expect(call('regex.replace', 'foo bar', '[a-z]', '_')).toBe('___ ___');
    expect(call('regex.replace', 'foo barx', '[a-z]{2}', '_')).toBe('_o __');
    expect(call('regex.replace', 'abc', 'x*', '-')).toBe('-a-b-c-');
  });

  it('matches templates', () => {
    expect(call('regex.template_match', 'urn:foo:{.*}', 'urn:foo:bar:baz', '{', '}')).toBe(true);
    expect(call('regex.template_match', 'urn:foo:<[0-9]+>', 'urn:foo:bar', '<', '>')).toBe(false);
  });
});

describe('glob', () => {
  it('matches with delimiters', () => {
    expect(call('glob.match', '*.github.com', ['.'], 'api.github.com')).toBe(true);
    expect(call('glob.match', '*.github.com', ['.'], 'api.not-github.com')).toBe(false);
    expect(call('glob.match', '*', [], 'foo.bar')).toBe(false);
    expect(call('glob.match', '*', null, 'foo.bar')).toBe(true);
    expect(call('glob.match', '**.com', ['.'], 'a.b.com')).toBe(true);
    expect(call('glob.match', '?at', ['f'], 'fat')).toBe(false);
  });

  it('supports classes and alternatives', () => {
    expect(call('glob.match', '[!abc]at', [], 'fat')).toBe(true);
    expect(call('glob.match', '[a-c]at', [], 'fat')).toBe(false);
    expect(call('glob.match', '{cat,bat,[fr]at}', [], 'rat')).toBe(true);
    expect(call('glob.match', '{cat,bat,[fr]at}', [], 'at')).toBe(false);
  });

  it('quotes meta characters', () => {
    expect(call('glob.quote_meta', '*.github.com')).toBe('\\*.github.com');
  });

  it('intersects simple patterns', () => {
    expect(call('regex.globs_match', '[a-z]+', '[0-9]*')).toBe(false);
    expect(call('regex.globs_match', 'b.*', 'bar')).toBe(true);
    expect(call('regex.globs_match', '[a-z]+\\[[0-9]+\\]', 'foo\\[1\\]')).toBe(true);
    expect(call('regex.globs_match', '[a-z]+\\[[0-9]+\\]', 'foo["bar"]')).toBe(false);
    expect(errorOf('regex.globs_match', 'pqrs]', '[a-b]+')).toBe(
      "regex.globs_match: input:pqrs], pos:5, set-close ']' with no preceding '[': the input provided is invalid",
    );
  });
});
