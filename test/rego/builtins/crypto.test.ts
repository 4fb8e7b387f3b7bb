import { describe, expect, it } from 'vitest';
import { call, errorOf } from './helpers.js';
import { conformanceSuite } from './support/suite.js';

conformanceSuite([
  'cryptohmacequal',
  'cryptohmacmd5',
  'cryptohmacsha1',
  'cryptohmacsha256',
  'cryptohmacsha512',
  'cryptomd5',
  'cryptosha1',
  'cryptosha256',
  'cryptoparsersaprivatekeys',
  'cryptox509parseandverifycertificates',
  'cryptox509parsecertificaterequest',
  'cryptox509parsecertificates',
  'cryptox509parsekeypair',
  'cryptox509parsersaprivatekey',
]);

describe('crypto digests', () => {
  it('hashes the UTF-8 bytes of the string', () => {
    expect(call('crypto.sha256', '')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(call('crypto.sha1', 'abc')).toBe('a9993e364706816aba3e25717850c26c9cd0d89d');
    expect(call('crypto.md5', 'é')).not.toBe(call('crypto.md5', '\u00e9\u0000'));
  });

  it('keys HMACs with the second operand', () => {
    expect(call('crypto.hmac.sha256', 'foo', 'bar')).toBe('147933218aaabc0b8b10a2b3a5c34684c8d94341bcf10a4736dc7270f7741851');
    expect(call('crypto.hmac.equal', 'a', 'ab')).toBe(false);
  });

  it('rejects non-strings with operand errors', () => {
    expect(errorOf('crypto.md5', 1)).toBe('crypto.md5: operand 1 must be string but got number');
  });
});

describe('crypto.x509', () => {
  it('reports Go errors for bad input', () => {
    expect(errorOf('crypto.x509.parse_certificates', 'foobar')).toContain('illegal base64 data at input byte 4');
    expect(errorOf('crypto.x509.parse_certificates', Buffer.from('bad').toString('base64'))).toContain('x509: malformed certificate');
  });

  it('returns [false, []] when the chain does not verify', () => {
    expect(call('crypto.x509.parse_and_verify_certificates', 'not a cert')).toEqual([false, []]);
  });
});
