// providers.aws.sign_req: AWS Signature Version 4 (header-based, single
// chunk) as OPA implements it, so signatures match OPA's byte for byte.

import { createHash, createHmac } from 'node:crypto';
import { implementAll } from './define.js';
import { numArg, objArg, typeError } from './operands.js';
import type { RegoValue } from './types.js';
import { makeObject, objectEntries, objectGet, toJson, type PlainObject } from './value.js';
import { RegoObject } from './types.js';

/** Commonly rewritten by proxies, so OPA leaves them out of the signature. */
const IGNORED_HEADERS = new Set(['authorization', 'user-agent', 'x-amzn-trace-id']);

const REQUIRED_CONFIG = ['aws_access_key', 'aws_secret_access_key', 'aws_service', 'aws_region'];

const quotedSet = (keys: string[]): string => `{${[...keys].sort().map((k) => JSON.stringify(k)).join(', ')}}`;

function requireStrings(o: PlainObject | RegoObject, keys: string[], operand: number, what: string): Record<string, string> {
  const missing = keys.filter((k) => objectGet(o, k) === undefined);
  if (missing.length) throw typeError(`operand ${operand} missing required ${what} parameters(s): ${quotedSet(missing)}`);
  const invalid = keys.filter((k) => typeof objectGet(o, k) !== 'string');
  if (invalid.length) throw typeError(`operand ${operand} invalid values for required ${what} parameters(s): ${quotedSet(invalid)}`);
  return Object.fromEntries(keys.map((k) => [k, objectGet(o, k) as string]));
}

const sha256Hex = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
const hmac = (key: Buffer | string, data: string) => createHmac('sha256', key).update(data, 'utf8').digest();

/** Go's url.URL.EscapedPath for the path of `u` (WHATWG already percent-encodes it). */
function escapedPath(raw: string, u: URL): string {
  // An absent path stays empty in Go (WHATWG normalises it to "/").
  const afterScheme = raw.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i, '');
  if (afterScheme === '' || afterScheme.startsWith('?') || afterScheme.startsWith('#')) return '';
  return u.pathname;
}

function signReq(args: RegoValue[]): RegoValue {
  const req = objArg(args, 0);
  const { method, url } = requireStrings(req, ['method', 'url'], 1, 'request');
  const cfgObj = objArg(args, 1);
  const cfg = requireStrings(cfgObj, REQUIRED_CONFIG, 2, 'AWS config');
  const sessionToken = objectGet(cfgObj, 'aws_session_token');
  const dps = objectGet(cfgObj, 'disable_payload_signing');
  if (dps !== undefined && typeof dps !== 'boolean') throw typeError("operand 2 invalid value for 'disable_payload_signing' in AWS config");
  const ns = numArg(args, 2);
  if (!Number.isInteger(ns) || ns < 0) throw typeError('operand 3 could not convert time_ns value into a unix timestamp');

  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw typeError('operand 1 invalid url');
  }
  const rawBody = objectGet(req, 'raw_body');
  const body = objectGet(req, 'body');
  const payload =
    typeof rawBody === 'string' ? Buffer.from(rawBody, 'utf8') : body !== undefined ? Buffer.from(JSON.stringify(toJson(body)), 'utf8') : Buffer.alloc(0);
  const contentSha = dps === true ? 'UNSIGNED-PAYLOAD' : sha256Hex(payload);

  const when = new Date(Math.floor(ns / 1e6)).toISOString();
  const date = when.slice(0, 10).replace(/-/g, '');
  const stamp = `${date}T${when.slice(11, 19).replace(/:/g, '')}Z`;

  const awsHeaders: Record<string, string> = { host: parsed.host, 'x-amz-date': stamp, 'x-amz-content-sha256': contentSha };
  if (typeof sessionToken === 'string' && sessionToken !== '') awsHeaders['x-amz-security-token'] = sessionToken;

  const reqHeaders = objectGet(req, 'headers');
  const headerEntries = reqHeaders && typeof reqHeaders === 'object' && !Array.isArray(reqHeaders) ? objectEntries(reqHeaders as PlainObject) : [];
  const toSign = new Map<string, string>(Object.entries(awsHeaders));
  for (const [k, v] of headerEntries) {
    if (typeof k !== 'string') continue;
    const lk = k.toLowerCase();
    if (!IGNORED_HEADERS.has(lk)) toSign.set(lk, typeof v === 'string' ? v : JSON.stringify(toJson(v)));
  }
  const keys = [...toSign.keys()].sort();
  const signedHeaders = keys.join(';');
  const canonical = [
    method,
    escapedPath(url, parsed),
    parsed.search.replace(/^\?/, ''),
    ...keys.map((k) => `${k}:${toSign.get(k)}`),
    '',
    signedHeaders,
    contentSha,
  ].join('\n');
  const scope = `${date}/${cfg.aws_region}/${cfg.aws_service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', stamp, scope, sha256Hex(canonical)].join('\n');
  let key = hmac(`AWS4${cfg.aws_secret_access_key}`, date);
  for (const part of [cfg.aws_region!, cfg.aws_service!, 'aws4_request']) key = hmac(key, part);
  const signature = createHmac('sha256', key).update(stringToSign, 'utf8').digest('hex');
  const auth = `AWS4-HMAC-SHA256 Credential=${cfg.aws_access_key}/${scope},SignedHeaders=${signedHeaders},Signature=${signature}`;

  const headersOut: Array<[RegoValue, RegoValue]> = [...headerEntries];
  headersOut.push(['Authorization', auth]);
  for (const [k, v] of Object.entries(awsHeaders)) headersOut.push([k, v]);
  const out = makeObject([...objectEntries(req).filter(([k]) => k !== 'headers'), ['headers', makeObject(headersOut)]]);
  return out;
}

implementAll({ 'providers.aws.sign_req': signReq });

