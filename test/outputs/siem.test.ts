// SIEM and log outputs: Splunk HEC, Elasticsearch/OpenSearch bulk, Loki push
// (peers that check what each checks), and syslog over UDP, TCP and TLS
// (real sockets parsing RFC 5424 and octet framing).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSocket } from 'node:dgram';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createTcpServer, type AddressInfo, type Server } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build, deliver, startPeer, type Peer } from './peer.js';
import { splunkAction } from '../../src/actions/outputs/splunk.js';
import { elasticsearchAction } from '../../src/actions/outputs/elasticsearch.js';
import { lokiAction } from '../../src/actions/outputs/loki.js';
import { syslogAction } from '../../src/actions/outputs/syslog.js';

const trivy = JSON.parse(readFileSync(new URL('../../../shared/fixtures/postee-trivy-input.json', import.meta.url), 'utf8'));
const tracee = JSON.parse(readFileSync(new URL('../../../shared/fixtures/tracee-trc1-finding.json', import.meta.url), 'utf8'));

describe('splunk (HTTP Event Collector)', () => {
  let peer: Peer;
  beforeAll(async () => {
    peer = await startPeer((req) => {
      if (req.path !== '/services/collector/event' || req.method !== 'POST') return { status: 404, body: { text: 'The requested URL was not found on this server.', code: 404 } };
      if (!req.headers.authorization) return { status: 401, body: { text: 'Token is required', code: 2 } };
      if (req.headers.authorization !== 'Splunk hec-token-0001') return { status: 403, body: { text: 'Invalid token', code: 4 } };
      let e: { event?: unknown; sourcetype?: string };
      try { e = req.json() as typeof e; } catch { return { status: 400, body: { text: 'Invalid data format', code: 6, 'invalid-event-number': 0 } }; }
      if (e.event === undefined) return { status: 400, body: { text: 'Event field is required', code: 12, 'invalid-event-number': 0 } };
      return { status: 200, body: { text: 'Success', code: 0 } };
    });
  });
  afterAll(() => peer.close());

  it('sends the JSON result as a _json event', async () => {
    const r = await deliver(build(splunkAction, { url: peer.url + '/', token: 'hec-token-0001', 'size-limit': 1_000_000 }), { title: 't', body: JSON.stringify(tracee) });
    expect(r.ok).toBe(true);
    expect(peer.requests.at(-1)!.json()).toEqual({ sourcetype: '_json', event: tracee });
  });

  it('keeps an event within size-limit (default 10000) by dropping its largest lists, then refuses', async () => {
    const r = await deliver(build(splunkAction, { url: peer.url, token: 'hec-token-0001' }), { body: JSON.stringify({ image: 'a', vulnerabilities: Array.from({ length: 1000 }, (_, i) => ({ id: `CVE-${i}` })), small: [1] }) });
    expect(r.ok).toBe(true);
    const sent = peer.requests.at(-1)!;
    expect(Buffer.byteLength(sent.body)).toBeLessThanOrEqual(10_000);
    expect((sent.json() as { event: Record<string, unknown> }).event).toEqual({ image: 'a', vulnerabilities: [], small: [1], hooker_dropped_fields: ['vulnerabilities'] });
    const big = await deliver(build(splunkAction, { url: peer.url, token: 'hec-token-0001', 'size-limit': 100 }), { body: JSON.stringify({ text: 'x'.repeat(500) }) });
    expect(big).toMatchObject({ ok: false, retryable: false });
  });

  it('an invalid token is dead at once with HEC\'s text', async () => {
    const r = await deliver(build(splunkAction, { url: peer.url, token: 'wrong-token' }), { body: '{}' });
    expect(r).toMatchObject({ ok: false, retryable: false });
    expect(r.detail).toContain('Invalid token');
  });
});

describe('elasticsearch / opensearch (bulk API)', () => {
  let peer: Peer;
  const docs: Array<{ index: string; id: string; doc: Record<string, unknown> }> = [];
  beforeAll(async () => {
    peer = await startPeer((req) => {
      if (req.headers.authorization !== `Basic ${Buffer.from('elastic:changeme-123').toString('base64')}`) return { status: 401, body: { error: { type: 'security_exception', reason: 'missing authentication credentials' }, status: 401 } };
      if (!req.path.startsWith('/_bulk')) return { status: 404, body: {} };
      if (req.headers['content-type'] !== 'application/x-ndjson') return { status: 406, body: { error: 'Content-Type header [application/json] is not supported', status: 406 } };
      if (!req.body.endsWith('\n')) return { status: 400, body: { error: { type: 'illegal_argument_exception', reason: 'The bulk request must be terminated by a newline [\\n]' }, status: 400 } };
      const lines = req.body.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, any>);
      const items = [];
      for (let i = 0; i < lines.length; i += 2) {
        const meta = lines[i]!.index as { _index: string; _id: string };
        const doc = lines[i + 1]!;
        if (doc.reject) items.push({ index: { _index: meta._index, _id: meta._id, status: 400, error: { type: 'mapper_parsing_exception', reason: 'failed to parse field [reject]' } } });
        else { docs.push({ index: meta._index, id: meta._id, doc }); items.push({ index: { _index: meta._index, _id: meta._id, status: 201, result: 'created' } }); }
      }
      return { status: 200, body: { took: 3, errors: items.some((it) => it.index.status >= 300), items } };
    });
  });
  afterAll(() => peer.close());

  it('indexes the result with @timestamp into a daily index, the delivery id as _id', async () => {
    const r = await deliver(build(elasticsearchAction, { url: peer.url, user: 'elastic', password: 'changeme-123', index: 'hooker-%Y.%m.%d' }), { title: 't', body: JSON.stringify(trivy) });
    expect(r.ok).toBe(true);
    const d = docs.at(-1)!;
    expect(d.index).toMatch(/^hooker-\d{4}\.\d{2}\.\d{2}$/);
    expect(d.id).toBe('d-1');
    expect(d.doc).toMatchObject({ ArtifactName: trivy.ArtifactName, hooker: { route: 'route-1', event_id: 'e-1' } });
    expect(typeof d.doc['@timestamp']).toBe('string');
  });

  it('a document the bulk API refuses (200 with errors) fails with its reason', async () => {
    const r = await deliver(build(elasticsearchAction, { url: peer.url, user: 'elastic', password: 'changeme-123' }), { body: JSON.stringify({ reject: true }) });
    expect(r).toMatchObject({ ok: false, retryable: false });
    expect(r.detail).toContain('mapper_parsing_exception: failed to parse field [reject]');
  });

  it('type opensearch is the same output', () => {
    expect(elasticsearchAction.aliases).toContain('opensearch');
  });
});

describe('loki (push API)', () => {
  let peer: Peer;
  beforeAll(async () => {
    peer = await startPeer((req) => {
      if (req.path !== '/loki/api/v1/push') return { status: 404, body: '404 page not found\n' };
      if (req.headers['x-scope-orgid'] !== 'team-a') return { status: 401, body: 'no org id\n' };
      const p = req.json() as { streams?: Array<{ stream: Record<string, string>; values: string[][] }> };
      const s = p.streams?.[0];
      if (!s || Object.keys(s.stream).length === 0) return { status: 400, body: 'error at least one label pair is required per stream\n' };
      if (!s.values.every((v) => /^\d{19}$/.test(v[0]!) && typeof v[1] === 'string')) return { status: 400, body: 'error parsing timestamp\n' };
      return { status: 204 };
    });
  });
  afterAll(() => peer.close());

  it('pushes one line with the labels and a nanosecond timestamp', async () => {
    const r = await deliver(build(lokiAction, { url: peer.url, tenant: 'team-a', labels: { app: 'security' } }), { title: 't', body: JSON.stringify(tracee) });
    expect(r.ok).toBe(true);
    const s = (peer.requests.at(-1)!.json() as { streams: Array<{ stream: Record<string, string>; values: string[][] }> }).streams[0]!;
    expect(s.stream).toEqual({ source: 'hooker', app: 'security', route: 'route-1' });
    expect(JSON.parse(s.values[0]![1]!)).toEqual(tracee);
  });

  it('a label name Loki refuses is a config error', () => {
    expect(lokiAction.parse({ name: 'l', url: 'http://x', labels: { 'bad-name': 'v' } }, {}).problems[0]!.path).toBe('labels.bad-name');
  });
});

const RFC5424 = /^<(\d+)>1 (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z) (\S+) (\S+) (\d+|-) (\S+) (-|\[.*?\]) (.*)$/s;

describe('syslog (RFC 5424)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hooker-syslog-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** Reads octet-counted frames from a stream. */
  function framesOf(buf: Buffer): string[] {
    const out: string[] = [];
    let rest = buf;
    while (rest.length) {
      const sp = rest.indexOf(0x20);
      const len = Number(rest.subarray(0, sp).toString());
      out.push(rest.subarray(sp + 1, sp + 1 + len).toString());
      rest = rest.subarray(sp + 1 + len);
    }
    return out;
  }

  it('UDP: one datagram, PRI = facility*8+severity (local0.warning = 132)', async () => {
    const sock = createSocket('udp4');
    const got = new Promise<string>((resolve) => sock.on('message', (m) => resolve(m.toString())));
    await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
    const r = await deliver(build(syslogAction, { host: '127.0.0.1', port: (sock.address() as AddressInfo).port, hostname: 'hooker-1' }), { title: 'TRC-1', body: JSON.stringify(tracee) });
    expect(r.ok).toBe(true);
    const m = RFC5424.exec(await got)!;
    sock.close();
    expect(m[1]).toBe('132');
    expect(m[3]).toBe('hooker-1');
    expect(m[4]).toBe('hooker');
    expect(m[6]).toBe('route-1');
    expect(JSON.parse(m[8]!)).toEqual(tracee);
  });

  it('TCP: octet-counting framing, facility and severity from config', async () => {
    const chunks: Buffer[] = [];
    const closed = new Promise<void>((resolve) => {
      const server: Server = createTcpServer((s) => { s.on('data', (b) => chunks.push(b)); s.on('end', () => { server.close(); resolve(); }); });
      server.listen(0, '127.0.0.1', async () => {
        const port = (server.address() as AddressInfo).port;
        const r = await deliver(build(syslogAction, { host: '127.0.0.1', port, protocol: 'tcp', facility: 'auth', severity: 'crit' }), { title: 'Alert', body: 'line one\nline two ünïcode' });
        expect(r.ok).toBe(true);
      });
    });
    await closed;
    const frames = framesOf(Buffer.concat(chunks));
    expect(frames).toHaveLength(1);
    const m = RFC5424.exec(frames[0]!)!;
    expect(m[1]).toBe(String(4 * 8 + 2));
    expect(m[8]).toBe('Alert: line one line two ünïcode');
  });

  it('TLS: the same framing over a verified TLS connection', async () => {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'k.pem'), '-out', join(dir, 'c.pem'), '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost'], { stdio: 'ignore' });
    const chunks: Buffer[] = [];
    const server = createTlsServer({ key: readFileSync(join(dir, 'k.pem')), cert: readFileSync(join(dir, 'c.pem')) }, (s) => { s.on('data', (b) => chunks.push(b)); });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    const ok = await deliver(build(syslogAction, { host: 'localhost', port, protocol: 'tls', 'ca-file': join(dir, 'c.pem') }), { title: 'T', body: 'over tls' });
    expect(ok.ok).toBe(true);
    const unverified = await deliver(build(syslogAction, { host: 'localhost', port, protocol: 'tls' }), { title: 'T', body: 'x' });
    expect(unverified).toMatchObject({ ok: false, retryable: true });
    await new Promise((r) => setTimeout(r, 100));
    server.close();
    expect(framesOf(Buffer.concat(chunks)).map((f) => RFC5424.exec(f)![8])).toEqual(['T: over tls']);
  });
});
