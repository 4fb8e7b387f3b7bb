import { describe, expect, it } from 'vitest';
import { call } from './helpers.js';
import { conformanceSuite } from './support/suite.js';

conformanceSuite(['providers-aws']);

describe('providers.aws.sign_req', () => {
  const cfg = { aws_access_key: 'AK', aws_secret_access_key: 'SK', aws_service: 'execute-api', aws_region: 'eu-west-1' };

  it('signs the path and query and leaves proxy-rewritten headers out', () => {
    const out = call('providers.aws.sign_req', { method: 'GET', url: 'https://h.example/a/b?x=1', headers: { 'User-Agent': 'u', 'X-Foo': 'y' } }, cfg, 1.7e18) as {
      headers: Record<string, string>;
    };
    expect(out.headers.Authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AK\/20231114\/eu-west-1\/execute-api\/aws4_request,SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-foo,Signature=[0-9a-f]{64}$/);
    expect(out.headers['User-Agent']).toBe('u');
    const other = call('providers.aws.sign_req', { method: 'GET', url: 'https://h.example/a/c?x=1', headers: { 'X-Foo': 'y' } }, cfg, 1.7e18) as {
      headers: Record<string, string>;
    };
    expect(other.headers.Authorization).not.toBe(out.headers.Authorization);
  });
});
