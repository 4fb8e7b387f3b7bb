import { describe, expect, it } from 'vitest';
import { call, set } from './helpers.js';

const sprintf = (f: string, ...args: unknown[]) => call('sprintf', f, args as never);

describe('sprintf', () => {
  it('formats integers', () => {
    expect(sprintf('hi %02d', 5)).toBe('hi 05');
    expect(sprintf('hi %02X.%02X', 127, 1)).toBe('hi 7F.01');
    expect(sprintf('%x %o %b %#x', 255, 8, 5, 255)).toBe('ff 10 101 0xff');
    expect(sprintf('%5d|%-5d|%+d', 42, 42, 42)).toBe('   42|42   |+42');
  });

  it('formats floats like Go', () => {
    expect(sprintf('%.2f', 3.14159)).toBe('3.14');
    expect(sprintf('%f', 1.5)).toBe('1.500000');
    expect(sprintf('%v', 3.14)).toBe('3.14');
    expect(sprintf('%v', 1234567.5)).toBe('1.2345675e+06');
    expect(sprintf('%e', 1234.5)).toBe('1.234500e+03');
    expect(sprintf('%g', 0.00001)).toBe('1e-05');
  });

  it('prints Rego values as OPA does', () => {
    expect(sprintf('hi %s', true)).toBe('hi true');
    expect(sprintf('hi %v', ['there', 5, 3.14])).toBe('hi ["there", 5, 3.14]');
    expect(sprintf('%v', set(2, 1))).toBe('{1, 2}');
    expect(sprintf('%v', { a: null })).toBe('{"a": null}');
    expect(sprintf('%s', 'x')).toBe('x');
    expect(sprintf('%q', 'a"b')).toBe('"a\\"b"');
  });

  it('reports verb mismatches the Go way', () => {
    expect(sprintf('%d', 'x')).toBe('%!d(string=x)');
    expect(sprintf('%s', 5)).toBe('%!s(int64=5)');
    expect(sprintf('%d %d', 1)).toBe('1 %!d(MISSING)');
    expect(sprintf('%d', 1, 'a')).toBe('1%!(EXTRA string=a)');
    expect(sprintf('100%%')).toBe('100%');
  });
});
