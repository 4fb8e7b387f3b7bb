// io.jwt.*: decoding, signature verification, constrained decode+verify and
// signing, following OPA's topdown/tokens.go behaviour and error texts.

import {
  constants,
  createHmac,
  createPrivateKey,
  createPublicKey,
  createSecretKey,
  sign as cryptoSign,
  timingSafeEqual,
  verify as cryptoVerify,
  X509Certificate,
  type KeyObject,
} from 'node:crypto';
import { implementAll } from './define.js';
import { base64UrlDecodeLenient, base64UrlEncodeNoPad } from './go-base64.js';
import { pemDecode } from './go-pem.js';
import { objArg, strArg } from './operands.js';
import { BuiltinError, type RegoValue } from './types.js';
import { fromJson, isPlainObject, objectEntries, quoteString, toJson, type PlainObject } from './value.js';

interface Token {
  header: string;
  payload: string;
  signature: string;
}

interface Algorithm {
  hash: 'sha256' | 'sha384' | 'sha512' | null;
  kind: 'rsa' | 'pss' | 'ecdsa' | 'eddsa' | 'hmac';
}

const ALGORITHMS: Record<string, Algorithm> = {
  RS256: { hash: 'sha256', kind: 'rsa' },
  RS384: { hash: 'sha384', kind: 'rsa' },
  RS512: { hash: 'sha512', kind: 'rsa' },
  PS256: { hash: 'sha256', kind: 'pss' },
  PS384: { hash: 'sha384', kind: 'pss' },
  PS512: { hash: 'sha512', kind: 'pss' },
  ES256: { hash: 'sha256', kind: 'ecdsa' },
  ES384: { hash: 'sha384', kind: 'ecdsa' },
  ES512: { hash: 'sha512', kind: 'ecdsa' },
  EdDSA: { hash: null, kind: 'eddsa' },
  HS256: { hash: 'sha256', kind: 'hmac' },
  HS384: { hash: 'sha384', kind: 'hmac' },
  HS512: { hash: 'sha512', kind: 'hmac' },
};

/** Headers this implementation understands, for the `crit` check (RFC 7515 4.1.11). */
const SUPPORTED_HEADERS = new Set(['alg', 'cty', 'crit', 'enc', 'jku', 'jwk', 'kid', 'typ', 'x5c', 'x5t', 'x5t#S256', 'x5u', 'zip']);

function splitToken(s: string): Token {
  if (!s.includes('.')) throw new BuiltinError('encoded JWT had no period separators');
  const parts = s.split('.');
  if (parts.length !== 3) throw new BuiltinError(`encoded JWT must have 3 sections, found ${parts.length}`);
  return { header: parts[0]!, payload: parts[1]!, signature: parts[2]! };
}

function b64urlText(s: string, what: string): string {
  try {
    return base64UrlDecodeLenient(s).toString('utf8');
  } catch (e) {
    throw new BuiltinError(`JWT ${what} had invalid encoding: ${(e as Error).message}`);
  }
}

function b64urlBytes(s: string, what: string): Buffer {
  try {
    return base64UrlDecodeLenient(s);
  } catch (e) {
    throw new BuiltinError(`JWT ${what} had invalid encoding: ${(e as Error).message}`);
  }
}

function jsonObject(text: string): PlainObject {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new BuiltinError(`invalid JSON: ${(e as Error).message}`);
  }
  const r = fromJson(v);
  if (!isPlainObject(r)) throw new BuiltinError('decoded JSON type was not an Object');
  return r;
}

function decodeHeader(t: Token): PlainObject {
  const text = b64urlText(t.header, 'header');
  let header: PlainObject;
  try {
    header = jsonObject(text);
  } catch (e) {
    throw new BuiltinError(`bad JWT header: ${(e as Error).message}`);
  }
  if (header.enc !== undefined) throw new BuiltinError('JWT is a JWE object, which is not supported');
  return header;
}

function decode(args: RegoValue[]): RegoValue {
  let s = strArg(args, 0);
  for (;;) {
    const t = splitToken(s);
    const header = decodeHeader(t);
    const payload = b64urlText(t.payload, 'payload');
    // A nested token is the (quoted, as jwt.io writes it) payload of its wrapper.
    if (header.cty === 'JWT') {
      s = payload.replace(/^["']+|["']+$/g, '');
      continue;
    }
    const sig = b64urlBytes(t.signature, 'signature');
    return [header, jsonObject(payload), sig.toString('hex')];
  }
}

// ---------------------------------------------------------------- keys

interface VerificationKey {
  alg: string;
  kid: string;
  key: KeyObject;
}

function keysFromJwk(text: string): VerificationKey[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
    if (typeof parsed !== 'object' || parsed === null) throw new Error('not an object');
    const set = parsed as { keys?: unknown };
    const list = Array.isArray(set.keys) ? (set.keys as Record<string, unknown>[]) : [parsed as Record<string, unknown>];
    return list.map((jwk) => ({
      alg: typeof jwk.alg === 'string' ? jwk.alg : '',
      kid: typeof jwk.kid === 'string' ? jwk.kid : '',
      key: jwk.kty === 'oct' ? createSecretFromJwk(jwk) : createPublicKey({ key: jwk as never, format: 'jwk' }),
    }));
  } catch (e) {
    throw new BuiltinError(`failed to parse a JWK key (set): ${(e as Error).message}`);
  }
}

function createSecretFromJwk(jwk: Record<string, unknown>): KeyObject {
  if (typeof jwk.k !== 'string') throw new Error('missing k');
  return createSecretKey(Buffer.from(jwk.k, 'base64url'));
}

const createHmacKey = (b: Buffer): KeyObject => createSecretKey(b);

/** OPA's getKeysFromCertOrJWK: a PEM certificate or public key, else a JWK or JWK set. */
function keysFromCertOrJwk(text: string): VerificationKey[] {
  const { block, rest } = pemDecode(text);
  if (block) {
    if (rest.length > 0) throw new BuiltinError('extra data after a PEM certificate block');
    if (block.type === 'CERTIFICATE') {
      try {
        return [{ alg: '', kid: '', key: new X509Certificate(block.bytes).publicKey }];
      } catch (e) {
        throw new BuiltinError(`failed to parse a PEM certificate: ${(e as Error).message}`);
      }
    }
    if (block.type === 'PUBLIC KEY') {
      try {
        return [{ alg: '', kid: '', key: createPublicKey({ key: block.bytes, format: 'der', type: 'spki' }) }];
      } catch (e) {
        throw new BuiltinError(`failed to parse a PEM public key: ${(e as Error).message}`);
      }
    }
    throw new BuiltinError('failed to extract a Key from the PEM certificate');
  }
  return keysFromJwk(text);
}

function verifySignature(alg: Algorithm, key: KeyObject, signed: Buffer, sig: Buffer): boolean {
  try {
    switch (alg.kind) {
      case 'rsa':
        return key.asymmetricKeyType === 'rsa' && cryptoVerify(alg.hash, signed, key, sig);
      case 'pss':
        return (
          (key.asymmetricKeyType === 'rsa' || key.asymmetricKeyType === 'rsa-pss') &&
          cryptoVerify(alg.hash, signed, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_AUTO }, sig)
        );
      case 'ecdsa':
        return key.asymmetricKeyType === 'ec' && cryptoVerify(alg.hash, signed, { key, dsaEncoding: 'ieee-p1363' }, sig);
      case 'eddsa':
        return key.asymmetricKeyType === 'ed25519' && cryptoVerify(null, signed, key, sig);
      case 'hmac': {
        if (key.type !== 'secret') return false;
        const mac = createHmac(alg.hash!, key.export()).update(signed).digest();
        return mac.length === sig.length && timingSafeEqual(mac, sig);
      }
    }
  } catch {
    return false;
  }
}

function signedPart(t: Token): Buffer {
  return Buffer.from(`${t.header}.${t.payload}`, 'latin1');
}

function verifyWith(algName: string) {
  const alg = ALGORITHMS[algName]!;
  return (args: RegoValue[]): boolean => {
    const t = splitToken(strArg(args, 0));
    const keyText = strArg(args, 1);
    if (alg.kind === 'hmac') {
      const sig = b64urlBytes(t.signature, 'signature');
      return verifySignature(alg, createHmacKey(Buffer.from(keyText, 'utf8')), signedPart(t), sig);
    }
    const keys = keysFromCertOrJwk(keyText);
    const sig = b64urlBytes(t.signature, 'signature');
    const header = decodeHeader(t);
    const kid = typeof header.kid === 'string' ? header.kid : '';
    if (kid) {
      const k = keys.find((x) => x.kid === kid);
      if (k) return verifySignature(alg, k.key, signedPart(t), sig);
    }
    return keys.some((k) => verifySignature(alg, k.key, signedPart(t), sig));
  };
}

// ---------------------------------------------------------------- decode_verify

interface Constraints {
  keys?: VerificationKey[];
  secret?: string;
  alg?: string;
  iss?: string;
  aud?: string;
  timeSec: number;
}

function parseConstraints(o: PlainObject, nowNs: bigint): Constraints {
  const c: Constraints = { timeSec: Number(nowNs) / 1e9 };
  const str = (k: string, v: RegoValue): string => {
    if (typeof v !== 'string') throw new BuiltinError(`${k} constraint: must be a string`);
    return v;
  };
  for (const [k, v] of objectEntries(o)) {
    switch (k) {
      case 'cert':
        c.keys = keysFromCertOrJwk(str(k, v));
        break;
      case 'secret':
        c.secret = str(k, v);
        break;
      case 'alg':
        c.alg = str(k, v);
        break;
      case 'iss':
        c.iss = str(k, v);
        break;
      case 'aud':
        c.aud = str(k, v);
        break;
      case 'time':
        if (typeof v !== 'number') throw new BuiltinError('time constraint: must be a number');
        c.timeSec = v / 1e9;
        break;
      default:
        throw new BuiltinError(`unknown token validation constraint: ${String(k)}`);
    }
  }
  const n = (c.keys ? 1 : 0) + (c.secret ? 1 : 0);
  if (n > 1) throw new BuiltinError('duplicate key constraints');
  if (n < 1) throw new BuiltinError('no key constraint');
  return c;
}

function constraintsVerify(c: Constraints, kid: string, algName: string, t: Token, sig: Buffer): boolean {
  const alg = ALGORITHMS[algName];
  if (c.keys) {
    if (kid) {
      const k = c.keys.find((x) => x.kid === kid);
      if (k) return !!alg && verifySignature(alg, k.key, signedPart(t), sig);
    }
    for (const k of c.keys) {
      if (k.alg !== '' && k.alg !== algName) continue;
      if (!alg) return false;
      if (verifySignature(alg, k.key, signedPart(t), sig)) return true;
    }
    return false;
  }
  if (!alg || alg.kind !== 'hmac') return false;
  return verifySignature(alg, createHmacKey(Buffer.from(c.secret!, 'utf8')), signedPart(t), sig);
}

function decodeVerify(args: RegoValue[], nowNs: bigint): RegoValue {
  const unverified: RegoValue = [false, {}, {}];
  const c = parseConstraints(objArg(args, 1) as PlainObject, nowNs);
  let s = strArg(args, 0);
  let header: PlainObject;
  let payload: PlainObject;
  for (;;) {
    const t = splitToken(s);
    header = decodeHeader(t);
    const alg = typeof header.alg === 'string' ? header.alg : '';
    const crit = Array.isArray(header.crit) ? header.crit : [];
    if (alg === '' || crit.some((p) => typeof p !== 'string' || !SUPPORTED_HEADERS.has(p))) return unverified;
    if (c.alg !== undefined && c.alg !== alg) return unverified;
    const sig = b64urlBytes(t.signature, 'signature');
    const kid = typeof header.kid === 'string' ? header.kid : '';
    if (!constraintsVerify(c, kid, alg, t, sig)) return unverified;
    const p = b64urlText(t.payload, 'payload');
    if (typeof header.cty === 'string' && header.cty.toUpperCase() === 'JWT') {
      s = p;
      continue;
    }
    payload = jsonObject(p);
    break;
  }
  if (c.iss !== undefined) {
    if (payload.iss !== c.iss) return unverified;
  }
  const aud = payload.aud;
  if (aud !== undefined) {
    const ok = typeof aud === 'string' ? aud === c.aud : Array.isArray(aud) && aud.some((a) => typeof a === 'string' && a === c.aud);
    if (!ok) return unverified;
  } else if (c.aud !== undefined && c.aud !== '') return unverified;
  if (payload.exp !== undefined) {
    if (typeof payload.exp !== 'number') throw new BuiltinError('exp value must be a number');
    if (c.timeSec >= payload.exp) return unverified;
  }
  if (payload.nbf !== undefined) {
    if (typeof payload.nbf !== 'number') throw new BuiltinError('nbf value must be a number');
    if (c.timeSec < payload.nbf) return unverified;
  }
  return [true, header, payload];
}

// ---------------------------------------------------------------- signing

/** Go's json.Marshal of a Rego value: sorted keys, <>& escaped. */
function marshal(v: unknown): string {
  if (v === null || typeof v !== 'object') return typeof v === 'string' ? quoteString(v) : JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(marshal).join(',')}]`;
  const o = v as Record<string, unknown>;
  const keys = Object.keys(o).sort();
  return `{${keys.map((k) => `${quoteString(k)}:${marshal(o[k])}`).join(',')}}`;
}

function signingKey(jwkText: string): { key: KeyObject; alg?: string } {
  let jwk: Record<string, unknown>;
  try {
    const parsed = JSON.parse(jwkText) as Record<string, unknown>;
    jwk = Array.isArray(parsed.keys) ? (parsed.keys[0] as Record<string, unknown>) : parsed;
  } catch (e) {
    throw new BuiltinError(`failed to parse a JWK key (set): ${(e as Error).message}`);
  }
  if (jwk === undefined) throw new BuiltinError('no keys found in JWK set');
  try {
    if (jwk.kty === 'oct') return { key: createSecretFromJwk(jwk) };
    if ('d' in jwk) return { key: createPrivateKey({ key: jwk as never, format: 'jwk' }) };
    return { key: createPublicKey({ key: jwk as never, format: 'jwk' }) };
  } catch (e) {
    throw new BuiltinError(`failed to parse a JWK key (set): ${(e as Error).message}`);
  }
}

// OPA reads the header with jwx's jwsbb, which parses with fastjson: a bare
// number-like token ("e", "1-2") is valid JSON there (numbers are parsed
// lazily), any value that is not an object has no "alg", and a parse failure
// is reported as fastjson words it.
const FASTJSON_NUMBER = /^[-+]?(?:[0-9.eE+-]+|inf|nan)$/i;

type HeaderRead = { ok: true; value: unknown } | { ok: false; error: string };

function readHeader(text: string): HeaderRead {
  const trimmed = text.replace(/^[ \t\r\n]+/, '');
  if (trimmed === '') return { ok: false, error: 'cannot parse JSON: cannot parse empty string; unparsed tail: ""' };
  try {
    return { ok: true, value: JSON.parse(trimmed) };
  } catch {
    if (FASTJSON_NUMBER.test(trimmed.trimEnd())) return { ok: true, value: 0 };
    return { ok: false, error: 'cannot parse JSON' };
  }
}

function fastjsonType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  return typeof v === 'object' ? 'object' : typeof v;
}

/** The header's "alg" (HeaderGetString), or OPA's "missing or invalid 'alg' header: ..." error. */
function headerAlg(headerText: string): { alg: string; header: Record<string, unknown> } {
  const read = readHeader(headerText);
  if (!read.ok) throw new BuiltinError(`missing or invalid 'alg' header: ${read.error}`);
  const header = isPlainObject(read.value as RegoValue) ? (read.value as Record<string, unknown>) : {};
  const alg = header.alg;
  if (alg === undefined) throw new BuiltinError('missing or invalid \'alg\' header: jwsbb: header "alg" not found');
  if (typeof alg !== 'string') throw new BuiltinError(`missing or invalid 'alg' header: value doesn't contain string; it contains ${fastjsonType(alg)}`);
  return { alg, header };
}

function encodeSignRaw(headerText: string, payloadText: string, jwkText: string): string {
  // OPA's order (tokens.go commonBuiltinJWTEncodeSign): the key first, then
  // the header's alg, then the payload check.
  const { key } = signingKey(jwkText);
  const { alg: algName, header } = headerAlg(headerText);
  const alg = ALGORITHMS[algName];
  if (!alg) throw new BuiltinError(`unknown JWS algorithm: ${algName}`);
  // HeaderGetString("typ") failing (absent or not a string) counts as JWT.
  const typ = header.typ;
  if (typeof typ !== 'string' || typ === 'JWT') {
    try {
      JSON.parse(payloadText);
    } catch {
      throw new BuiltinError('type is JWT but payload is not JSON');
    }
  }
  const input = `${base64UrlEncodeNoPad(headerText)}.${base64UrlEncodeNoPad(payloadText)}`;
  const data = Buffer.from(input, 'latin1');
  let sig: Buffer;
  try {
    switch (alg.kind) {
      case 'hmac':
        if (key.type !== 'secret') throw new Error('invalid key type for HMAC');
        sig = createHmac(alg.hash!, key.export()).update(data).digest();
        break;
      case 'rsa':
        sig = cryptoSign(alg.hash, data, key);
        break;
      case 'pss':
        sig = cryptoSign(alg.hash, data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST });
        break;
      case 'ecdsa':
        sig = cryptoSign(alg.hash, data, { key, dsaEncoding: 'ieee-p1363' });
        break;
      case 'eddsa':
        sig = cryptoSign(null, data, key);
        break;
    }
  } catch (e) {
    throw new BuiltinError(`failed to sign payload: ${(e as Error).message}`);
  }
  return `${input}.${base64UrlEncodeNoPad(sig)}`;
}

const verifiers = Object.fromEntries(
  Object.keys(ALGORITHMS).map((a) => [`io.jwt.verify_${a.toLowerCase()}`, verifyWith(a)]),
);

implementAll({
  'io.jwt.decode': decode,
  'io.jwt.decode_verify': (args, ctx) => decodeVerify(args, ctx.nowNs),
  'io.jwt.encode_sign': (args) =>
    encodeSignRaw(marshal(toJson(objArg(args, 0))), marshal(toJson(objArg(args, 1))), marshal(toJson(objArg(args, 2)))),
  'io.jwt.encode_sign_raw': (args) => encodeSignRaw(strArg(args, 0), strArg(args, 1), strArg(args, 2)),
  ...verifiers,
});
