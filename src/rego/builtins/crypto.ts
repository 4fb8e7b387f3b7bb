// crypto.*: digests, HMACs, X.509 certificates/requests/key pairs and
// private keys, with the input conventions OPA uses (PEM text, or base64 of
// PEM or DER) and Go's error texts.

import { createHash, createHmac, createPrivateKey, createPublicKey, timingSafeEqual, X509Certificate, type KeyObject } from 'node:crypto';
import { implementAll } from './define.js';
import { goBase64Decode } from './go-base64.js';
import { pemDecode, pemDecodeAll } from './go-pem.js';
import { objArg, strArg } from './operands.js';
import { BuiltinError, RegoSet, type RegoValue } from './types.js';
import { fromJson, objectGet } from './value.js';
import {
  EXT_KEY_USAGE_NAMES,
  parseCertificateDer,
  parseCertificateRequestDer,
  parseCertificatesDer,
  X509Error,
} from './x509-parse.js';

type Obj = { [k: string]: RegoValue };

const digest = (alg: string) => (args: RegoValue[]) => createHash(alg).update(strArg(args, 0), 'utf8').digest('hex');
const hmac = (alg: string) => (args: RegoValue[]) =>
  createHmac(alg, Buffer.from(strArg(args, 1), 'utf8')).update(strArg(args, 0), 'utf8').digest('hex');

function hmacEqual(args: RegoValue[]): boolean {
  const a = Buffer.from(strArg(args, 0), 'utf8');
  const b = Buffer.from(strArg(args, 1), 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

function builtinError(e: unknown): never {
  if (e instanceof BuiltinError) throw e;
  if (e instanceof X509Error) throw new BuiltinError(e.message);
  throw new BuiltinError(e instanceof Error ? e.message : String(e));
}

/** OPA's getRequestBytes: PEM text as is, anything else is base64. */
function requestBytes(s: string): Buffer {
  return s.startsWith('-----BEGIN') ? Buffer.from(s, 'utf8') : goBase64Decode(s, 'std');
}

/** Certificates from PEM text, base64 PEM or base64 DER (OPA's getX509CertsFromString). */
interface ParsedCert {
  der: Buffer;
  value: Obj;
}

function certsFromPem(pem: string): ParsedCert[] {
  const blocks = pemDecodeAll(pem).filter((b) => b.type === 'CERTIFICATE');
  if (blocks.length === 0) throw new BuiltinError('failed to find any PEM certificates');
  return blocks.map((b) => ({ der: b.bytes, value: parseCertificateDer(b.bytes) }));
}

function certsFromString(s: string): ParsedCert[] {
  if (s.startsWith('-----BEGIN')) return certsFromPem(s);
  const raw = goBase64Decode(s, 'std');
  if (raw.subarray(0, 10).toString('latin1') === '-----BEGIN') return certsFromPem(raw.toString('utf8'));
  const values = parseCertificatesDer(raw);
  // Re-slice the DER of each certificate for verification.
  const out: ParsedCert[] = [];
  for (const value of values) out.push({ der: Buffer.from(value.Raw as string, 'base64'), value });
  return out;
}

function parseCertificates(args: RegoValue[]): RegoValue {
  try {
    return certsFromString(strArg(args, 0)).map((c) => c.value);
  } catch (e) {
    builtinError(e);
  }
}

interface VerifyOptions {
  dnsName?: string;
  currentTime: Date;
  keyUsages: number[];
}

function isCA(c: ParsedCert): boolean {
  return c.value.BasicConstraintsValid === true && c.value.IsCA === true;
}

function within(c: ParsedCert, t: Date): boolean {
  return new Date(c.value.NotBefore as string) <= t && t <= new Date(c.value.NotAfter as string);
}

function issuedBy(child: ParsedCert, parent: ParsedCert): boolean {
  if (child.value.RawIssuer !== parent.value.RawSubject) return false;
  try {
    return new X509Certificate(child.der).verify(new X509Certificate(parent.der).publicKey);
  } catch {
    return false;
  }
}

function usagesOk(leaf: ParsedCert, wanted: number[]): boolean {
  const eku = (leaf.value.ExtKeyUsage as number[] | null) ?? [];
  if (eku.length === 0 || eku.includes(0) || wanted.includes(0)) return true;
  return wanted.some((w) => eku.includes(w));
}

function dnsOk(leaf: ParsedCert, name: string): boolean {
  const names = (leaf.value.DNSNames as string[] | null) ?? [];
  const want = name.toLowerCase();
  return names.some((n) => {
    const pat = n.toLowerCase();
    if (pat === want) return true;
    return pat.startsWith('*.') && want.endsWith(pat.slice(1)) && !want.slice(0, -pat.length + 1).includes('.');
  });
}

/**
 * First cert is the root, the last is the leaf, the rest intermediates
 * (as OPA's verifyX509CertificateChain); returns the chain leaf → root.
 */
function verifyChain(certs: ParsedCert[], opts: VerifyOptions): ParsedCert[] | undefined {
  if (certs.length < 2) return undefined;
  const root = certs[0]!;
  const intermediates = certs.slice(1, -1);
  const leaf = certs[certs.length - 1]!;
  if (!within(leaf, opts.currentTime) || !usagesOk(leaf, opts.keyUsages)) return undefined;
  if (opts.dnsName !== undefined && !dnsOk(leaf, opts.dnsName)) return undefined;
  const search = (cur: ParsedCert, chain: ParsedCert[]): ParsedCert[] | undefined => {
    if (chain.length > 10) return undefined;
    if (issuedBy(cur, root) && within(root, opts.currentTime)) return [...chain, root];
    for (const ic of intermediates) {
      if (chain.includes(ic) || !isCA(ic) || !within(ic, opts.currentTime) || !issuedBy(cur, ic)) continue;
      const found = search(ic, [...chain, ic]);
      if (found) return found;
    }
    return undefined;
  };
  if (leaf.value.Raw === root.value.Raw) return [leaf];
  return search(leaf, [leaf]);
}

function parseAndVerify(input: string, opts: VerifyOptions): RegoValue {
  const invalid: RegoValue = [false, []];
  let certs: ParsedCert[];
  try {
    certs = certsFromString(input);
  } catch {
    return invalid;
  }
  const chain = verifyChain(certs, opts);
  return chain ? [true, chain.map((c) => c.value)] : invalid;
}

function verifyOptions(o: RegoValue | undefined, nowNs: bigint): VerifyOptions {
  const opts: VerifyOptions = { currentTime: new Date(Number(nowNs / 1_000_000n)), keyUsages: [1] };
  if (o === undefined || typeof o !== 'object' || o === null || Array.isArray(o) || o instanceof RegoSet) return opts;
  const get = (k: string) => objectGet(o, k);
  const dns = get('DNSName');
  if (dns !== undefined) {
    if (typeof dns !== 'string') throw new BuiltinError("'DNSName' should be a string");
    opts.dnsName = dns;
  }
  const t = get('CurrentTime');
  if (t !== undefined) {
    if (typeof t !== 'number') throw new BuiltinError("'CurrentTime' should be a number");
    opts.currentTime = new Date(t / 1e6);
  }
  const ku = get('KeyUsages');
  if (ku !== undefined) {
    const items = Array.isArray(ku) ? ku : ku instanceof RegoSet ? ku.items : undefined;
    if (!items) throw new BuiltinError("'KeyUsages' should be an Array of Strings");
    opts.keyUsages = items.map((x) => {
      const i = typeof x === 'string' ? EXT_KEY_USAGE_NAMES.indexOf(x) : -1;
      if (i < 0) throw new BuiltinError(`invalid entries for 'KeyUsages' found: ${String(x)}`);
      return i;
    });
  }
  return opts;
}

function parseCertificateRequest(args: RegoValue[]): RegoValue {
  const input = strArg(args, 0);
  try {
    // As OPA (crypto.go): only text starting with the CSR PEM header is read
    // as is; anything else must be standard base64 (of PEM or DER), and its
    // decoding error is the builtin's error.
    const bytes = input.startsWith('-----BEGIN CERTIFICATE REQUEST-----') ? Buffer.from(input, 'utf8') : goBase64Decode(input, 'std');
    const text = bytes.toString('utf8');
    const { block } = pemDecode(text);
    if (block && block.type !== 'CERTIFICATE REQUEST') throw new BuiltinError('invalid PEM-encoded certificate signing request');
    return parseCertificateRequestDer(block ? block.bytes : bytes);
  } catch (e) {
    builtinError(e);
  }
}

function jwkOf(key: KeyObject): RegoValue {
  return fromJson(key.export({ format: 'jwk' }));
}

function privateKeyFromBlock(der: Buffer, type: string): KeyObject {
  if (type === 'RSA PRIVATE KEY') return createPrivateKey({ key: der, format: 'der', type: 'pkcs1' });
  if (type === 'EC PRIVATE KEY') return createPrivateKey({ key: der, format: 'der', type: 'sec1' });
  return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
}

function parseRsaPrivateKey(args: RegoValue[]): RegoValue {
  try {
    const raw = requestBytes(strArg(args, 0));
    const { block } = pemDecode(raw.toString('utf8'));
    if (!block) throw new BuiltinError('failed to parse PEM block containing the key');
    const key = privateKeyFromBlock(block.bytes, block.type);
    if (key.asymmetricKeyType !== 'rsa') throw new BuiltinError('x509: failed to parse private key (use ParsePKCS8PrivateKey instead for this key format)');
    return jwkOf(key);
  } catch (e) {
    builtinError(e);
  }
}

function parsePrivateKeys(args: RegoValue[]): RegoValue {
  const input = strArg(args, 0);
  if (input === '') return null;
  let raw: Buffer;
  try {
    raw = requestBytes(input);
  } catch (e) {
    builtinError(e);
  }
  const keys: RegoValue[] = [];
  for (const block of pemDecodeAll(raw.toString('utf8'))) {
    try {
      keys.push(jwkOf(privateKeyFromBlock(block.bytes, block.type)));
    } catch (e) {
      builtinError(e);
    }
  }
  return keys;
}

/** tls.X509KeyPair: certificate chain plus a private key that matches the leaf's public key. */
function parseKeypair(args: RegoValue[]): RegoValue {
  let certText = strArg(args, 0);
  let keyText = strArg(args, 1);
  try {
    if (!certText.startsWith('-----BEGIN')) certText = goBase64Decode(certText, 'std').toString('utf8');
    if (!keyText.startsWith('-----BEGIN')) keyText = goBase64Decode(keyText, 'std').toString('utf8');
    const certBlocks = pemDecodeAll(certText).filter((b) => b.type === 'CERTIFICATE');
    if (certBlocks.length === 0) throw new BuiltinError('tls: failed to find any PEM data in certificate input');
    const keyBlock = pemDecodeAll(keyText).find((b) => b.type === 'PRIVATE KEY' || b.type.endsWith(' PRIVATE KEY'));
    if (!keyBlock) throw new BuiltinError('tls: failed to find any PEM data in key input');
    const key = privateKeyFromBlock(keyBlock.bytes, keyBlock.type);
    const leaf = parseCertificateDer(certBlocks[0]!.bytes);
    const certPub = new X509Certificate(certBlocks[0]!.bytes).publicKey.export({ format: 'der', type: 'spki' });
    const keyPub = createPublicKey(key).export({ format: 'der', type: 'spki' });
    if (!certPub.equals(keyPub)) throw new BuiltinError('tls: private key does not match public key');
    return {
      Certificate: certBlocks.map((b) => b.bytes.toString('base64')),
      PrivateKey: jwkOf(key),
      SupportedSignatureAlgorithms: null,
      OCSPStaple: null,
      SignedCertificateTimestamps: null,
      Leaf: leaf,
    };
  } catch (e) {
    builtinError(e);
  }
}

implementAll({
  'crypto.md5': digest('md5'),
  'crypto.sha1': digest('sha1'),
  'crypto.sha256': digest('sha256'),
  'crypto.hmac.md5': hmac('md5'),
  'crypto.hmac.sha1': hmac('sha1'),
  'crypto.hmac.sha256': hmac('sha256'),
  'crypto.hmac.sha512': hmac('sha512'),
  'crypto.hmac.equal': hmacEqual,
  'crypto.x509.parse_certificates': parseCertificates,
  'crypto.x509.parse_and_verify_certificates': (args, ctx) => parseAndVerify(strArg(args, 0), verifyOptions(undefined, ctx.nowNs)),
  'crypto.x509.parse_and_verify_certificates_with_options': (args, ctx) =>
    parseAndVerify(strArg(args, 0), verifyOptions(objArg(args, 1), ctx.nowNs)),
  'crypto.x509.parse_certificate_request': parseCertificateRequest,
  'crypto.x509.parse_keypair': parseKeypair,
  'crypto.x509.parse_rsa_private_key': parseRsaPrivateKey,
  'crypto.parse_private_keys': parsePrivateKeys,
});
