// The scan API end to end over HTTP: Fastify with the plugin, a ScanService
// on a SQLite file, and the exec runner printing the shared fixture reports
// (`cat` stands in for a scanner).

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scanApiPlugin, scanApiTokensFromEnv } from '../../src/scan/api.js';
import { createScanSchema } from '../../src/scan/api-schemas.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { makeService, scanConfigFrom, type Harness } from './support/harness.js';

const FIXTURE_DIR = new URL('../../../shared/fixtures/', import.meta.url).pathname;
// Scan targets are http(s) URLs; the fake scanner serves the fixture named by the URL's last segment.
const FIXTURES = 'http://fixtures.test/';
const CONFIG = `
scanners:
  fixture:
    runner: exec
    command: [sh, -c, 'sleep 0.1; cat "$0/\${1##*/}"', ${JSON.stringify(FIXTURE_DIR.replace(/\/$/, ''))}, "{url}"]
    timeout: 10s
profiles:
  baseline: {ref: dev-sec/linux-baseline, description: DevSec Linux baseline}
thresholds:
  strict: {compliance: {min: 90}, failed: {critical: {max: 0}}}
  lenient: {'compliance.min': 50}
`;

describe('scan API', () => {
  let dir: string;
  let h: Harness;
  let app: FastifyInstance;
  let base: string;
  const { tokens } = scanApiTokensFromEnv({ HOOKER_SCAN_API_TOKENS: 'writer-token=scans:read+scans:write,reader-token=scans:read' });

  const call = async (method: string, path: string, token?: string, body?: unknown): Promise<{ status: number; json: any }> => {
    const res = await fetch(`${base}${path}`, {
      method, headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, json: await res.json() };
  };
  const until = async (id: string): Promise<any> => {
    for (let i = 0; i < 100; i++) {
      const r = await call('GET', `/api/v1/scans/${id}`, 'reader-token');
      if (!['queued', 'running'].includes(r.json.state)) return r.json;
      await new Promise((res) => setTimeout(res, 50));
    }
    throw new Error('scan did not finish');
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hooker-scan-api-'));
    h = makeService(scanConfigFrom(CONFIG), process.env, { db: SqliteStore.open(join(dir, 'hooker.db')) });
    await h.service.start();
    app = Fastify();
    await app.register(scanApiPlugin, { service: h.service, tokens });
    base = await app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => {
    await app?.close();
    await h?.service.stop();
    h?.db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('requires a bearer token with the right scope', async () => {
    const body = { scanner: 'fixture', target: { url: `${FIXTURES}inspec-json-output.json` } };
    expect((await call('POST', '/api/v1/scans', undefined, body)).status).toBe(401);
    expect((await call('POST', '/api/v1/scans', 'wrong', body)).status).toBe(401);
    const r = await call('POST', '/api/v1/scans', 'reader-token', body);
    expect(r).toMatchObject({ status: 403, json: { message: 'the token lacks the scans:write scope' } });
    expect((await call('GET', '/api/v1/profiles')).status).toBe(401);
  });

  it('validates every route and names the field', async () => {
    const bad = async (body: unknown): Promise<string> => {
      const r = await call('POST', '/api/v1/scans', 'writer-token', body);
      expect(r.status).toBe(400);
      return r.json.field as string;
    };
    expect(await bad({ target: { image: 'a:1' } })).toBe('scanner');
    expect(await bad({ scanner: 'fixture' })).toBe('target');
    expect(await bad({ scanner: 'fixture', target: {} })).toBe('target');
    expect(await bad({ scanner: 'fixture', target: { pod: { namespace: 'Bad_NS', name: 'web' } } })).toBe('target.pod.namespace');
    expect(await bad({ scanner: 'fixture', target: { pod: { namespace: 'ns' } } })).toBe('target.pod.name');
    expect(await bad({ scanner: 'fixture', target: { image: 'a:1' }, timeout_seconds: 0 })).toBe('timeout_seconds');
    expect(await bad({ scanner: 'nope', target: { image: 'a:1' } })).toBe('scanner');
    expect(await bad({ scanner: 'fixture', target: { image: 'a:1' }, threshold: 'missing' })).toBe('threshold');
    const p = await call('GET', '/api/v1/scans/not-an-id', 'reader-token');
    expect(p).toMatchObject({ status: 400, json: { field: 'params.id' } });
    expect((await call('GET', '/api/v1/scans/00000000-0000-0000-0000-000000000000', 'reader-token')).status).toBe(404);
  });

  it('queues a scan (202), reports its state with timestamps, and serves results with the threshold outcome', async () => {
    const r = await call('POST', '/api/v1/scans', 'writer-token', { scanner: 'fixture', target: { url: `${FIXTURES}inspec-json-output.json` }, threshold: 'strict', profile: 'baseline' });
    expect(r.status).toBe(202);
    expect(r.json).toMatchObject({ id: expect.any(String), state: 'queued', deduplicated: false });
    const early = await call('GET', `/api/v1/scans/${r.json.id}/results`, 'reader-token');
    expect([409, 200]).toContain(early.status);
    const done = await until(r.json.id);
    expect(done).toMatchObject({ state: 'failed', scanner: 'fixture', threshold: 'strict', profile: 'baseline', error: null });
    expect(Date.parse(done.finished_at)).toBeGreaterThanOrEqual(Date.parse(done.started_at));
    expect(Date.parse(done.started_at)).toBeGreaterThanOrEqual(Date.parse(done.created_at));
    const res = await call('GET', `/api/v1/scans/${r.json.id}/results`, 'reader-token');
    expect(res.status).toBe(200);
    expect(res.json.format).toBe('inspec');
    expect(res.json.findings).toHaveLength(4);
    expect(res.json.threshold).toMatchObject({ name: 'strict', passed: false, compliance: 75, broken: [{ limit: 'compliance.min', actual: 75, allowed: 90 }] });
    expect(res.json.report.profiles[0].name).toBe('long_commands');
  });

  it('marks a scan whose output is not a report as error with the reason', async () => {
    const r = await call('POST', '/api/v1/scans', 'writer-token', { scanner: 'fixture', target: { url: `${FIXTURES}README.md` } });
    const done = await until(r.json.id);
    expect(done).toMatchObject({ state: 'error', error: expect.stringContaining('not JSON') });
  });

  it('lists profiles and thresholds', async () => {
    expect((await call('GET', '/api/v1/profiles', 'reader-token')).json).toEqual({ profiles: [{ name: 'baseline', ref: 'dev-sec/linux-baseline', description: 'DevSec Linux baseline' }] });
    const t = await call('GET', '/api/v1/thresholds', 'reader-token');
    expect(t.json.thresholds.map((x: { name: string }) => x.name)).toEqual(['strict', 'lenient']);
    expect(t.json.thresholds[1].threshold).toEqual({ 'compliance.min': 50 });
  });

  it('chains: an http runner scans through this Hooker\'s API', async () => {
    const downstream = makeService(scanConfigFrom(`
scanners:
  upstream: {runner: http, url: "${base}", token: writer-token, scanner: fixture, poll-interval: 50ms, format: inspec}
thresholds:
  strict: {compliance: {min: 90}}
`), process.env);
    await downstream.service.start();
    try {
      const { id } = await downstream.service.submit({ scanner: 'upstream', target: { url: `${FIXTURES}inspec-json-output.json` }, threshold: 'strict' });
      expect(await downstream.service.waitFor(id, 10_000)).toMatchObject({ state: 'failed' });
      expect((await downstream.service.outcome(id))!.threshold!.broken).toEqual([{ limit: 'compliance.min', actual: 75, allowed: 90 }]);
      expect(downstream.logs.some((l) => /remote scan \S+ at http:\/\/127\.0\.0\.1/.test(l))).toBe(true);
    } finally {
      await downstream.service.stop();
      downstream.db.close();
    }
  });

  it('serves the OpenAPI document built from the validation schemas', async () => {
    const r = await call('GET', '/api/v1/openapi.json');
    expect(r.status).toBe(200);
    expect(r.json.openapi).toBe('3.1.0');
    expect(r.json.components.schemas.CreateScan).toEqual(JSON.parse(JSON.stringify(createScanSchema)));
    expect(Object.keys(r.json.paths).sort()).toEqual(['/api/v1/profiles', '/api/v1/scans', '/api/v1/scans/{id}', '/api/v1/scans/{id}/results', '/api/v1/thresholds']);
    expect(r.json.paths['/api/v1/scans'].post.security).toEqual([{ bearer: ['scans:write'] }]);
  });
});

describe('durable queue across restarts', () => {
  it('resumes queued and interrupted scans, and marks error those interrupted too often', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hooker-scan-restart-'));
    const path = join(dir, 'hooker.db');
    const target = (f: string) => ({ url: `${FIXTURES}${f}` });
    try {
      const lease = { owner: 'dead', until: Date.now() + 3_600_000 };
      const db1 = SqliteStore.open(path);
      const s1 = db1.scans;
      const a = (await s1.enqueue({ scanner: 'fixture', target: target('postee-trivy-input.json') }, 'k-a')).record;
      const b = (await s1.enqueue({ scanner: 'fixture', target: target('inspec-json-output.json') }, 'k-b')).record;
      const c = (await s1.enqueue({ scanner: 'fixture', target: target('securecodebox-findings.json') }, 'k-c')).record;
      expect((await s1.claimNext(lease))!.id).toBe(a.id);
      expect((await s1.claimNext(lease))!.id).toBe(b.id);
      await db1.close(); // the process dies with a and b running

      const db2 = SqliteStore.open(path);
      const s2 = db2.scans;
      expect((await s2.recover(2)).resumed.sort()).toEqual([a.id, b.id].sort());
      expect((await s2.claimNext(lease))!.id).toBe(a.id); // a's second attempt
      await db2.close(); // and dies again

      const h = makeService(scanConfigFrom(CONFIG), process.env, { db: SqliteStore.open(path), maxAttempts: 2 });
      await h.service.start();
      expect(await h.service.get(a.id)).toMatchObject({ state: 'error', error: 'interrupted by a restart after 2 attempt(s); not resumed again' });
      expect(h.events).toContainEqual(expect.objectContaining({ type: 'scan.completed', hooker: expect.objectContaining({ scan: expect.objectContaining({ id: a.id, state: 'error', passed: false }) }) }));
      expect((await h.service.waitFor(b.id)).state).toBe('passed');
      expect((await h.service.waitFor(c.id)).state).toBe('passed');
      await h.service.stop();
      await h.db.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
