import { describe, expect, it } from 'vitest';
import { call, errorOf } from './helpers.js';
import { conformanceSuite } from './support/suite.js';

conformanceSuite([
  'jwtbuiltins',
  'jwtdecodeverify',
  'jwtencodesign',
  'jwtencodesignheadererrors',
  'jwtencodesignpayloaderrors',
  'jwtencodesignraw',
  'jwtverifyeddsa',
  'jwtverifyhs256',
  'jwtverifyhs384',
  'jwtverifyhs512',
  'jwtverifyrsa',
]);

const key = { kty: 'oct', k: Buffer.from('secret').toString('base64url') };

describe('io.jwt round trips', () => {
  it('signs with encode_sign and verifies with verify_hs256 and decode_verify', () => {
    const token = call('io.jwt.encode_sign', { alg: 'HS256', typ: 'JWT' }, { iss: 'me', exp: 2e9 }, key) as string;
    expect(call('io.jwt.verify_hs256', token, 'secret')).toBe(true);
    expect(call('io.jwt.verify_hs256', token, 'other')).toBe(false);
    expect(call('io.jwt.decode_verify', token, { secret: 'secret', iss: 'me', time: 1e18 })).toEqual([
      true,
      { alg: 'HS256', typ: 'JWT' },
      { iss: 'me', exp: 2e9 },
    ]);
    expect(call('io.jwt.decode_verify', token, { secret: 'secret', time: 3e18 })).toEqual([false, {}, {}]);
  });

  it('requires exactly one key constraint', () => {
    expect(errorOf('io.jwt.decode_verify', 'a.b.c', {})).toBe('io.jwt.decode_verify: no key constraint');
  });
});
