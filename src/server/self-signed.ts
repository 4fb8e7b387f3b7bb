// A self-signed certificate for HOOKER_HTTPS when the user gives none, built
// with node:crypto alone (an ECDSA P-256 key and a minimal X.509 v3
// certificate for localhost).

import { generateKeyPairSync, sign, randomBytes, type KeyObject } from 'node:crypto';

function len(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v >>= 8) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}
const tlv = (tag: number, body: Buffer) => Buffer.concat([Buffer.from([tag]), len(body.length), body]);
const seq = (...items: Buffer[]) => tlv(0x30, Buffer.concat(items));
const set = (...items: Buffer[]) => tlv(0x31, Buffer.concat(items));

function oid(text: string): Buffer {
  const parts = text.split('.').map(Number);
  const out = [40 * parts[0]! + parts[1]!];
  for (const p of parts.slice(2)) {
    const stack = [p & 0x7f];
    for (let v = p >> 7; v > 0; v >>= 7) stack.unshift((v & 0x7f) | 0x80);
    out.push(...stack);
  }
  return tlv(0x06, Buffer.from(out));
}

/** A non-negative INTEGER in DER: minimal (no leading 0x00 unless the next
 *  byte has its top bit set, which would otherwise read as negative).
 *  OpenSSL refuses the non-minimal form ("illegal padding"), so a random
 *  serial that happens to start with 0x00 must be trimmed, not kept. */
export function derUnsignedInteger(bytes: Uint8Array): Buffer {
  let i = 0;
  while (i < bytes.length - 1 && bytes[i] === 0) i++;
  const body = Buffer.from(bytes.subarray(i));
  if (body.length === 0) return tlv(0x02, Buffer.from([0]));
  return tlv(0x02, body[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), body]) : body);
}

function utcTime(d: Date): Buffer {
  const p = (n: number) => String(n).padStart(2, '0');
  const s = `${p(d.getUTCFullYear() % 100)}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}Z`;
  return tlv(0x17, Buffer.from(s, 'ascii'));
}

function name(cn: string): Buffer {
  return seq(set(seq(oid('2.5.4.3'), tlv(0x0c, Buffer.from(cn, 'utf8')))));
}

export interface SelfSigned {
  certPem: string;
  keyPem: string;
}

export function createSelfSignedCertificate(opts: { commonName?: string; days?: number; hosts?: string[]; serial?: Uint8Array } = {}): SelfSigned {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const cn = opts.commonName ?? 'hooker';
  const now = new Date(Date.now() - 60_000);
  const until = new Date(now.getTime() + (opts.days ?? 825) * 86_400_000);
  // RFC 5280: a positive serial of at most 20 octets; the encoder keeps it minimal.
  const serial = opts.serial ?? randomBytes(16);
  const ecdsaSha256 = seq(oid('1.2.840.10045.4.3.2'));
  const san = (opts.hosts ?? ['localhost', '127.0.0.1']).map((h) =>
    /^\d+\.\d+\.\d+\.\d+$/.test(h) ? tlv(0x87, Buffer.from(h.split('.').map(Number))) : tlv(0x82, Buffer.from(h, 'ascii')));
  const extensions = tlv(0xa3, seq(seq(oid('2.5.29.17'), tlv(0x04, seq(...san)))));
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  const tbs = seq(
    tlv(0xa0, tlv(0x02, Buffer.from([2]))),
    derUnsignedInteger(serial),
    ecdsaSha256,
    name(cn),
    seq(utcTime(now), utcTime(until)),
    name(cn),
    spki,
    extensions,
  );
  const signature = sign('sha256', tbs, privateKey as KeyObject);
  const cert = seq(tbs, ecdsaSha256, tlv(0x03, Buffer.concat([Buffer.from([0]), signature])));
  const b64 = cert.toString('base64').replace(/(.{64})/g, '$1\n').trimEnd();
  return {
    certPem: `-----BEGIN CERTIFICATE-----\n${b64}\n-----END CERTIFICATE-----\n`,
    keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
  };
}
