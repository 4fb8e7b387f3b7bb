// The pieces behind the HTTP hardening, unit by unit: the one-pass shape
// check, content types, timestamped signatures, secret masking.
import { describe, expect, it } from 'vitest';
import { checkJsonShape } from '../../src/server/json-shape.js';
import { bodyKindOf } from '../../src/server/content-type.js';
import { SignatureVerifier, signBody, signBodyTimestamped } from '../../src/server/auth.js';
import fc from 'fast-check';
import { isSecretName, REDACTED, redactSecrets } from '../../src/logging/redact.js';
import { mergeEvent } from '../../src/delivery/plan.js';

const limits = { maxDepth: 3, maxKeys: 4 };

describe('shape check', () => {
  it('names depth and key count with position and path, ignores brackets inside strings, and lets big numbers through', () => {
    expect(checkJsonShape('{"a":{"b":[1]}}', limits)).toBeUndefined();
    expect(checkJsonShape('{"a":{"b":[[1]]}}', limits)).toMatchObject({ reason: 'too_deep', position: 11, path: '$.a.b[0]' });
    expect(checkJsonShape('{"s":"[[[[{{{{\\\\\\"[[[["}', limits)).toBeUndefined();
    expect(checkJsonShape('{"a":1,"b":2,"c":3,"d":4,"e":5}', limits)).toMatchObject({ reason: 'too_many_keys', path: '$.e' });
    // Numbers a double cannot hold are kept exact by the parser (src/json/lossless.ts), not refused.
    expect(checkJsonShape('{"x y":[0, 9007199254740993]}', limits)).toBeUndefined();
    expect(checkJsonShape('[9007199254740992, -0.5e-3, 1E308, 1E309]', limits)).toBeUndefined();
    expect(checkJsonShape('['.repeat(1_000_000), { maxDepth: 512, maxKeys: 10 })?.reason).toBe('too_deep');
  });
});

describe('content types', () => {
  it('takes JSON media types with parameters and text/plain; refuses others and non-UTF-8 charsets', () => {
    expect(bodyKindOf('application/json; charset=utf-8')).toEqual({ kind: 'json' });
    expect(bodyKindOf('application/vnd.api+json')).toEqual({ kind: 'json' });
    expect(bodyKindOf('text/plain;charset=UTF-8')).toEqual({ kind: 'text' });
    expect(bodyKindOf('application/xml')).toEqual({ refused: 'content type "application/xml"' });
    expect(bodyKindOf('application/json; charset=utf-16')).toEqual({ refused: 'charset utf-16' });
    expect(bodyKindOf(undefined)).toEqual({ refused: 'no content type' });
  });
});

describe('timestamped signatures', () => {
  it('accept once inside the tolerance, refuse replays, stale times and plain ones when required', () => {
    let now = 1_700_000_000_000;
    const v = new SignatureVerifier({ secret: 's', header: 'x-sig', toleranceMs: 300_000, requireTimestamp: false, now: () => now });
    const body = Buffer.from('{"a":1}');
    const sig = signBodyTimestamped(body, 's', now / 1000);
    expect(v.verify(sig, body)).toEqual({ ok: true });
    expect(v.verify(sig, body)).toMatchObject({ ok: false, reason: 'replayed_signature' });
    expect(v.verify(signBodyTimestamped(body, 's', now / 1000 - 301), body)).toMatchObject({ ok: false, reason: 'stale_signature' });
    expect(v.verify(signBodyTimestamped(body, 'other', now / 1000), body)).toMatchObject({ ok: false, reason: 'bad_signature' });
    expect(v.verify(signBody(body, 's'), body)).toEqual({ ok: true });
    now += 600_000;
    expect(v.verify(sig, body)).toMatchObject({ ok: false, reason: 'stale_signature' });
    const strict = new SignatureVerifier({ secret: 's', header: 'x-sig', toleranceMs: 300_000, requireTimestamp: true });
    expect(strict.verify(signBody(body, 's'), body)).toMatchObject({ ok: false, reason: 'bad_signature' });
  });
});

describe('secret masking', () => {
  it('masks userinfo, secret query values and credentials, nothing else', () => {
    expect(redactSecrets('POST http://bob:pw@h:8/x?api_key=K1&region=eu&sig=S answered 500'))
      .toBe('POST http://bob:***@h:8/x?api_key=***&region=eu&sig=*** answered 500');
    expect(redactSecrets('GET https://ghp_token123@github.com/r?access_token=a.b&page=2')).toBe('GET https://***@github.com/r?access_token=***&page=2');
    expect(redactSecrets('Authorization: Bearer abcdef123456')).toBe('Authorization: Bearer ***');
    expect(redactSecrets('http://h/x?X-Amz-Signature=abc&X-Amz-Date=1&client_secret=z')).toBe('http://h/x?X-Amz-Signature=***&X-Amz-Date=1&client_secret=***');
    expect(redactSecrets('nothing secret at http://h/p?q=1')).toBe('nothing secret at http://h/p?q=1');
  });

  it('texts without @ or = (the short way) are masked as by the three patterns in turn', () => {
    // The three replacements as they ran on every text before the short way for texts without @ or =.
    const full = (text: string) => text
      .replace(/\b([a-z][a-z0-9+.-]*:\/\/)([^\s/?#@"'<>]+)@/gi, (_m, scheme: string, info: string) => {
        const colon = info.indexOf(':');
        return `${scheme}${colon >= 0 ? `${info.slice(0, colon)}:${REDACTED}` : REDACTED}@`;
      })
      .replace(/([?&;])([^=&\s#"'<>?]+)=([^&\s#"'<>]*)/g, (m, sep: string, name: string, value: string) => (value !== '' && isSecretName(name) ? `${sep}${name}=${REDACTED}` : m))
      .replace(/\b(bearer|basic|token)(\s+)[A-Za-z0-9._~+/=-]{6,}/gi, (_m, scheme: string, space: string) => `${scheme}${space}${REDACTED}`);
    const piece = fc.constantFrom('http://', 'u:p', '@', '=', '?', '&', ';', 'token', 'Bearer', 'BASIC', ' ', '\t', 'abcdef123', 'api_key', 'x', '/', 'answered 200', 'ütf');
    fc.assert(fc.property(fc.array(piece, { maxLength: 12 }).map((p) => p.join('')), (text) => {
      expect(redactSecrets(text)).toBe(full(text));
    }), { seed: 20261127, numRuns: 3000 });
  });
});

describe('enrichment', () => {
  it('an action answer cannot add or change the event\'s `hooker` key', () => {
    expect(mergeEvent({ a: 1 }, { b: 2, hooker: { scan: { passed: true } } })).toEqual({ a: 1, b: 2 });
    expect(mergeEvent({ a: 1, hooker: { scan: { passed: false } } }, { hooker: { scan: { passed: true } } })).toEqual({ a: 1, hooker: { scan: { passed: false } } });
  });
});
