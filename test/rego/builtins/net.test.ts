import { describe, expect, it } from 'vitest';
import { call, errorOf, set } from './helpers.js';

describe('net.cidr_*', () => {
  it('tests containment and intersection', () => {
    expect(call('net.cidr_contains', '10.0.0.0/8', '10.1.0.0/24')).toBe(true);
    expect(call('net.cidr_contains', '172.17.0.0/24', '172.17.0.0/16')).toBe(false);
    expect(call('net.cidr_contains', '10.0.0.0/8', '10.1.2.3')).toBe(true);
    expect(call('net.cidr_contains', '2001:4860:4860::8888/32', '2001:4860:4860:1234::8888/40')).toBe(true);
    expect(call('net.cidr_contains', '2001:4860::/32', 'fd1e:5bfe:8af3:9ddc::/64')).toBe(false);
    expect(call('net.cidr_intersects', '192.168.1.0/25', '192.168.1.64/25')).toBe(true);
    expect(call('net.cidr_intersects', '192.168.1.0/24', '192.168.2.0/24')).toBe(false);
    expect(errorOf('net.cidr_contains', 'not-a-cidr', '192.168.1.67')).not.toBe('');
  });

  it('validates and expands', () => {
    expect(call('net.cidr_is_valid', '2002::1234:abcd:ffff:c0a8:101/64')).toBe(true);
    expect(call('net.cidr_is_valid', '192.168.1.2')).toBe(false);
    expect(call('net.cidr_expand', '192.168.1.1/30')).toEqual(set('192.168.1.0', '192.168.1.1', '192.168.1.2', '192.168.1.3'));
    expect(errorOf('net.cidr_expand', '192.168.1.1/33')).toBe('net.cidr_expand: invalid CIDR address: 192.168.1.1/33');
  });

  it('merges prefixes', () => {
    expect(call('net.cidr_merge', ['192.0.2.112/30', '192.0.2.116/31', '192.0.2.118/31'])).toEqual(set('192.0.2.112/29'));
    expect(call('net.cidr_merge', ['192.0.2.112/31', '192.0.2.116/31', '192.0.2.118/31'])).toEqual(
      set('192.0.2.112/31', '192.0.2.116/30'),
    );
    expect(call('net.cidr_merge', ['192.0.128.0', '192.0.129.0'])).toEqual(set('192.0.128.0/23'));
    expect(call('net.cidr_merge', ['::/0', 'fe80::1/128'])).toEqual(set('::/0'));
    expect(call('net.cidr_merge', ['192.0.2.112', '192.0.2.116/31', '192.0.2.118/31'])).toEqual(set('192.0.2.0/24'));
    expect(call('net.cidr_merge', ['fe80::/120', '192.0.2.0/24', '192.0.3.0/24', '192.0.4.0/25', '192.0.4.128/25'])).toEqual(
      set('192.0.2.0/23', '192.0.4.0/24', 'fe80::/120'),
    );
    expect(call('net.cidr_merge', ['2601:600:8a80:207e:a57d:7567:e2c9:e7b3/64'])).toEqual(set('2601:600:8a80:207e::/64'));
    expect(errorOf('net.cidr_merge', ['2601:600:8a80:207e:a57d:7567:e2c9:e7b3'])).toBe(
      'net.cidr_merge: IPv6 invalid: needs prefix length',
    );
  });

  it('lists matches by key', () => {
    expect(call('net.cidr_contains_matches', ['1.1.2.0/24', '1.1.1.0/24'], ['1.1.1.1', '1.1.2.1'])).toEqual(set([0, 1], [1, 0]));
    expect(call('net.cidr_contains_matches', { k1: '1.1.1.1/24', k2: ['1.1.1.2/24', 1] }, '1.1.1.128')).toEqual(
      set(['k1', '1.1.1.128'], ['k2', '1.1.1.128']),
    );
    expect(errorOf('net.cidr_contains_matches', ['1.1.2.0/24'], ['1.1.1.1', []])).toBe(
      'net.cidr_contains_matches: operand 2: element must be string or non-empty array',
    );
  });
});
