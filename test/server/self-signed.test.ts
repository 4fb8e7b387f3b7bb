// The generated certificate must parse in OpenSSL for every serial the
// random source can produce: a serial beginning with 0x00 once produced
// non-minimal DER that OpenSSL refuses ("illegal padding"), about 1 start in 512.
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { createServer } from 'node:tls';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createSelfSignedCertificate, derUnsignedInteger } from '../../src/server/self-signed.js';

describe('self-signed certificate', () => {
  it('encodes serials with leading zero bytes or the top bit set as minimal DER that OpenSSL parses', () => {
    const edge = [
      [0x00, 0x01], [0x00, 0x00, 0x7f], [0x00, 0x80], [0x80, 0x00], [0xff, 0xff], [0x00, 0x00, 0x00, 0x00],
      [0x7f, ...new Array(15).fill(0xff)], [0x00, ...new Array(15).fill(0x11)],
    ];
    for (const bytes of edge) {
      const pair = createSelfSignedCertificate({ serial: Uint8Array.from(bytes) });
      const cert = new X509Certificate(pair.certPem);
      const expected = BigInt('0x' + Buffer.from(bytes).toString('hex'));
      expect(BigInt('0x' + cert.serialNumber)).toBe(expected);
      expect(cert.checkPrivateKey(createPrivateKey(pair.keyPem))).toBe(true);
      expect(cert.verify(cert.publicKey)).toBe(true);
    }
  });

  it('derUnsignedInteger is minimal for any 1..20 byte input', () => {
    fc.assert(fc.property(fc.uint8Array({ minLength: 1, maxLength: 20 }), (bytes) => {
      const der = derUnsignedInteger(bytes);
      expect(der[0]).toBe(0x02);
      const body = der.subarray(2);
      expect(der[1]).toBe(body.length);
      // minimal: a leading 0x00 only when the next byte has its top bit set
      if (body.length > 1 && body[0] === 0) expect(body[1]! & 0x80).toBe(0x80);
      expect(body[0]! & 0x80).toBe(0); // never negative
      expect(BigInt('0x' + body.toString('hex'))).toBe(BigInt('0x' + Buffer.from(bytes).toString('hex')));
    }), { numRuns: 2000 });
  });

  it('serves TLS with a freshly generated pair (names localhost and 127.0.0.1)', async () => {
    const pair = createSelfSignedCertificate();
    const cert = new X509Certificate(pair.certPem);
    expect(cert.subjectAltName).toContain('DNS:localhost');
    expect(cert.subjectAltName).toContain('IP Address:127.0.0.1');
    const server = createServer({ cert: pair.certPem, key: pair.keyPem });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    server.close();
  });
});
