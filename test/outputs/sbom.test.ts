// BOM and findings uploads: Dependency-Track, Nexus IQ (peers checking their
// REST APIs) and AWS Security Hub (the AWS SDK v3 client against a peer that
// checks SigV4 credentials and ASFF's required fields).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { build, deliver, startPeer, type Peer, type PeerAnswer, type PeerRequest } from './peer.js';
import { dependencytrackAction } from '../../src/actions/outputs/dependencytrack.js';
import { nexusiqAction, nexusAppName } from '../../src/actions/outputs/nexusiq.js';
import { awssecurityhubAction } from '../../src/actions/outputs/awssecurityhub.js';

const cyclonedx = { bomFormat: 'CycloneDX', specVersion: '1.4', version: 1, components: [{ type: 'library', name: 'openssl', version: '1.1.1' }] };

describe('dependencytrack (BOM upload)', () => {
  let peer: Peer;
  beforeAll(async () => {
    peer = await startPeer((req) => {
      if (req.headers['x-api-key'] !== 'odt_key0123456789') return { status: 401, body: 'Unauthorized' };
      if (req.method !== 'PUT' || req.path !== '/api/v1/bom') return { status: 405, body: '' };
      const b = req.json() as { projectName?: string; projectVersion?: string; autoCreate?: boolean; bom?: string };
      if (!b.bom || !b.projectName) return { status: 400, body: [{ message: 'must not be null', messageTemplate: '{javax.validation.constraints.NotNull.message}', path: 'bom' }] };
      const decoded = JSON.parse(Buffer.from(b.bom, 'base64').toString()) as { bomFormat?: string };
      if (decoded.bomFormat !== 'CycloneDX') return { status: 400, body: 'The uploaded BOM is invalid' };
      return { status: 200, body: { token: '66c1a2b4-8d2e-4b8e-9c3a-0f1e2d3c4b5a' } };
    });
  });
  afterAll(() => peer.close());

  it('uploads the CycloneDX result to project:version from the title, auto-creating the project', async () => {
    const r = await deliver(build(dependencytrackAction, { url: peer.url, 'dependency-track-api-key': 'odt_key0123456789' }), { title: 'shop-api:1.4.2', body: JSON.stringify(cyclonedx) });
    expect(r).toMatchObject({ ok: true });
    expect(r.detail).toContain('66c1a2b4');
    const b = peer.requests.at(-1)!.json() as { projectName: string; projectVersion: string; autoCreate: boolean; bom: string };
    expect([b.projectName, b.projectVersion, b.autoCreate]).toEqual(['shop-api', '1.4.2', true]);
    expect(JSON.parse(Buffer.from(b.bom, 'base64').toString())).toEqual(cyclonedx);
  });

  it('a title without a version or a result that is no BOM fails without retrying', async () => {
    const a = build(dependencytrackAction, { url: peer.url, 'dependency-track-api-key': 'odt_key0123456789' });
    expect(await deliver(a, { title: 'shop-api', body: JSON.stringify(cyclonedx) })).toMatchObject({ ok: false, retryable: false });
    expect(await deliver(a, { title: 'a:1', body: 'plain text' })).toMatchObject({ ok: false, retryable: false });
  });
});

describe('nexusIq (third-party scan)', () => {
  let peer: Peer;
  const apps = [{ id: 'app-1', publicId: 'existing_app', name: 'existing_app', organizationId: 'org-7' }];
  const scans: Array<{ app: string; bom: string }> = [];
  beforeAll(async () => {
    peer = await startPeer((req) => {
      if (req.headers.authorization !== `Basic ${Buffer.from('admin:iq-pass-1234').toString('base64')}`) return { status: 401, body: 'Unauthorized' };
      if (req.method === 'GET' && req.path === '/api/v2/applications/organization/org-7') return { status: 200, body: { applications: apps } };
      if (req.method === 'POST' && req.path === '/api/v2/applications') {
        const a = req.json() as { publicId: string; name: string; organizationId: string };
        if (/[.:/]/.test(a.publicId)) return { status: 400, body: 'Application public id contains invalid characters' };
        const created = { id: `app-${apps.length + 1}`, ...a };
        apps.push(created);
        return { status: 200, body: created };
      }
      const m = /^\/api\/v2\/scan\/applications\/([^/]+)\/sources\/cyclone$/.exec(req.path);
      if (req.method === 'POST' && m) {
        if (req.headers['content-type'] !== 'application/xml') return { status: 415, body: '' };
        scans.push({ app: m[1]!, bom: req.body });
        return { status: 202, body: { statusUrl: `api/v2/scan/applications/${m[1]}/status/abc` } };
      }
      return { status: 404, body: '' };
    });
  });
  afterAll(() => peer.close());
  const xml = '<?xml version="1.0" encoding="UTF-8"?>\n<bom xmlns="http://cyclonedx.org/schema/bom/1.1" version="1"><components/></bom>';

  it('creates the application when missing (name sanitised as Postee does), then submits the BOM', async () => {
    const a = build(nexusiqAction, { url: peer.url, user: 'admin', password: 'iq-pass-1234', 'organization-id': 'org-7' });
    const r = await deliver(a, { title: 'registry.io/shop:1.0', body: xml });
    expect(r).toMatchObject({ ok: true, changed: ['application registry_io_shop_1_0 created', 'BOM submitted for registry_io_shop_1_0'] });
    expect(scans.at(-1)).toEqual({ app: 'app-2', bom: xml });
    const again = await deliver(a, { title: 'existing.app', body: xml });
    expect(again).toMatchObject({ ok: true, changed: ['BOM submitted for existing_app'] });
    expect(scans.at(-1)!.app).toBe('app-1');
    expect(nexusAppName('a.b:c/d')).toBe('a_b_c_d');
  });
});

describe('awssecurityhub (BatchImportFindings via the AWS SDK v3)', () => {
  let peer: Peer;
  const imported: Array<Record<string, unknown>> = [];
  const REQUIRED = ['SchemaVersion', 'Id', 'ProductArn', 'GeneratorId', 'AwsAccountId', 'CreatedAt', 'UpdatedAt', 'Title', 'Description', 'Resources'];
  const securityHub = (req: PeerRequest): PeerAnswer => {
      const auth = String(req.headers.authorization ?? '');
      if (!/^AWS4-HMAC-SHA256 Credential=AKIDHOOKERTEST\/\d{8}\/eu-west-1\/securityhub\/aws4_request, SignedHeaders=\S+, Signature=[0-9a-f]{64}$/.test(auth)) {
        return { status: 403, headers: { 'x-amzn-errortype': 'UnrecognizedClientException' }, body: { message: 'The security token included in the request is invalid.' } };
      }
      if (req.method !== 'POST' || req.path !== '/findings/import') return { status: 404, body: { message: 'not found' } };
      const { Findings } = req.json() as { Findings: Array<Record<string, unknown>> };
      if (!Array.isArray(Findings) || Findings.length > 100) return { status: 400, headers: { 'x-amzn-errortype': 'InvalidInputException' }, body: { Message: 'Findings must have 1 to 100 items' } };
      const failed = Findings.filter((f) => REQUIRED.some((k) => f[k] === undefined));
      imported.push(...Findings.filter((f) => !failed.includes(f)));
      return { status: 200, body: { FailedCount: failed.length, SuccessCount: Findings.length - failed.length, FailedFindings: failed.map((f) => ({ Id: f.Id ?? '?', ErrorCode: 'InvalidInput', ErrorMessage: 'Finding does not adhere to the AWS Security Finding Format.' })) } };
  };
  beforeAll(async () => { peer = await startPeer(securityHub); });
  afterAll(() => peer.close());
  const config = () => ({ region: 'eu-west-1', 'account-id': '123456789012', 'access-key-id': 'AKIDHOOKERTEST', 'secret-access-key': 'sh-secret-key-0001', endpoint: peer.url });

  it('turns a message into one ASFF finding and imports it, signed with the given credentials', async () => {
    const r = await deliver(build(awssecurityhubAction, config()), { title: 'CVE-2021-36159 in alpine:3.10', body: '<p>critical</p>' });
    expect(r).toMatchObject({ ok: true, detail: 'Security Hub imported 1 finding(s)' });
    expect(imported.at(-1)).toMatchObject({
      SchemaVersion: '2018-10-08', AwsAccountId: '123456789012', ProductArn: 'arn:aws:securityhub:eu-west-1:123456789012:product/123456789012/default',
      Title: 'CVE-2021-36159 in alpine:3.10', Description: 'critical', Severity: { Label: 'HIGH' },
    });
  });

  it('imports ASFF from the template in batches of 100, and reports findings Security Hub refuses', async () => {
    const base = imported.at(-1)!;
    const findings = Array.from({ length: 150 }, (_, i) => ({ ...base, Id: `f-${i}` }));
    const before = imported.length;
    const r = await deliver(build(awssecurityhubAction, config()), { title: 't', body: JSON.stringify({ Findings: findings }) });
    expect(r).toMatchObject({ ok: true, detail: 'Security Hub imported 150 finding(s)' });
    expect(imported.length - before).toBe(150);
    const bad = await deliver(build(awssecurityhubAction, config()), { body: JSON.stringify([{ SchemaVersion: '2018-10-08', Id: 'broken' }]) });
    expect(bad).toMatchObject({ ok: false, retryable: false });
    expect(bad.detail).toContain('broken: InvalidInput');
  });

  it('throttling (429) and service errors (5xx) are retried', async () => {
    const answers = [
      { status: 429, headers: { 'x-amzn-errortype': 'TooManyRequestsException' }, body: { message: 'Rate exceeded' } },
      { status: 500, headers: { 'x-amzn-errortype': 'InternalException' }, body: { message: 'Internal error' } },
    ];
    for (const a of answers) {
      peer.handle(() => a);
      expect(await deliver(build(awssecurityhubAction, config()), { title: 't', body: 'x' })).toMatchObject({ ok: false, retryable: true });
    }
    peer.handle(securityHub);
  });

  it('wrong credentials are dead at once, and the secret key never shows', async () => {
    const r = await deliver(build(awssecurityhubAction, { ...config(), 'access-key-id': 'AKIDWRONG' }), { title: 't', body: 'x' });
    expect(r).toMatchObject({ ok: false, retryable: false });
    expect(r.detail).toContain('403');
    expect(JSON.stringify(r)).not.toContain('sh-secret-key-0001');
  });
});
