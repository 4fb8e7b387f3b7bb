import { describe, expect, it } from 'vitest';
import { call, errorOf, set } from './helpers.js';

describe('types and casts', () => {
  it('names types', () => {
    expect(call('type_name', set())).toBe('set');
    expect(call('type_name', {})).toBe('object');
    expect(call('is_number', 1)).toBe(true);
    expect(call('is_string', 1)).toBe(false);
  });

  it('converts to numbers', () => {
    expect(call('to_number', '3')).toBe(3);
    expect(call('to_number', '-1.5e2')).toBe(-150);
    expect(call('to_number', true)).toBe(1);
    expect(call('to_number', null)).toBe(0);
    expect(errorOf('to_number', 'broken')).toContain('invalid syntax');
    expect(errorOf('to_number', 'Infinity')).not.toBe('');
  });
});

describe('units', () => {
  it('parses quantities exactly', () => {
    expect(call('units.parse', '500m')).toBe(0.5);
    expect(call('units.parse', '0.0000005M')).toBe(0.5);
    expect(call('units.parse', '1.1Ki')).toBe(1126.4);
    expect(call('units.parse', '-3.5E2m')).toBe(-0.35);
    expect(call('units.parse', '"100TI"')).toBe(109951162777600);
    expect(call('units.parse', '5E')).toBe(5e18);
    expect(errorOf('units.parse', 'G')).toBe('units.parse: no amount provided');
    expect(errorOf('units.parse', '0.0.0')).toBe('units.parse: could not parse amount to a number');
    expect(errorOf('units.parse', '100 k')).toBe('units.parse: spaces not allowed in resource strings');
  });

  it('parses byte sizes', () => {
    expect(call('units.parse_bytes', '1.1KiB')).toBe(1126);
    expect(call('units.parse_bytes', '10KB')).toBe(10000);
    expect(call('units.parse_bytes', '1e-2KB')).toBe(10);
    expect(call('units.parse_bytes', '3.2E2MiB')).toBe(335544320);
    expect(call('units.parse_bytes', '.0')).toBe(0);
  });
});

describe('bits', () => {
  it('operates on integers', () => {
    expect(call('bits.and', 7, 9)).toBe(1);
    expect(call('bits.negate', 42)).toBe(-43);
    expect(call('bits.lsh', 1, 3)).toBe(8);
    expect(call('bits.rsh', 8, 3)).toBe(1);
    expect(errorOf('bits.rsh', 7, -1)).toBe(
      'bits.rsh: operand 2 must be an unsigned integer number but got a negative integer',
    );
    expect(errorOf('bits.negate', 7.2)).toBe('bits.negate: operand 1 must be integer number but got floating-point number');
  });
});

describe('semver', () => {
  it('compares versions', () => {
    expect(call('semver.compare', '1.0.0', '2.0.0')).toBe(-1);
    expect(call('semver.compare', '1.0.0-alpha', '1.0.0')).toBe(-1);
    expect(call('semver.compare', '1.0.0-alpha.10', '1.0.0-alpha.9')).toBe(1);
    expect(call('semver.compare', '1.0.0+b1', '1.0.0+b2')).toBe(0);
    expect(errorOf('semver.compare', '1.0.0', '1')).toBe('semver.compare: operand 2: string "1" is not a valid SemVer');
    expect(call('semver.is_valid', 1)).toBe(false);
    expect(call('semver.is_valid', 'v1.0.0')).toBe(false);
  });
});

describe('uuid', () => {
  it('parses versions and v2 fields', () => {
    expect(call('uuid.parse', '{00000000-0000-4000-8000-000000000000}')).toEqual({ variant: 'RFC4122', version: 4 });
    expect(call('uuid.parse', '6bea8ef2d3d33cd184e09bab06a52ece')).toEqual({ variant: 'RFC4122', version: 3 });
    expect(call('uuid.parse', 'urn:uuid:000003e8-48b9-21ee-b200-325096b39f47')).toEqual({
      clocksequence: 12800,
      domain: 'Person',
      id: 1000,
      macvariables: 'local:unicast',
      nodeid: '32-50-96-b3-9f-47',
      time: 1693566990121469600,
      variant: 'RFC4122',
      version: 2,
    });
    expect(call('uuid.parse', 'nope')).toBeUndefined();
  });
});
