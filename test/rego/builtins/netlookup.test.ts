import { describe, expect, it } from 'vitest';
import { call, errorOf, set } from './helpers.js';
import { conformanceSuite } from './support/suite.js';

conformanceSuite(['netlookupipaddr']);

describe('net.lookup_ip_addr', () => {
  it('answers literals and localhost without DNS', () => {
    expect(call('net.lookup_ip_addr', '2001:db8:0:0:0:0:0:1')).toEqual(set('2001:db8::1'));
    expect(call('net.lookup_ip_addr', '::ffff:10.0.0.1')).toEqual(set('10.0.0.1'));
    expect(call('net.lookup_ip_addr', 'LOCALHOST')).toEqual(set('127.0.0.1', '::1'));
  });

  it('fails for any other name', () => {
    expect(errorOf('net.lookup_ip_addr', 'example.com')).toBe('net.lookup_ip_addr: lookup example.com: no such host');
  });
});
