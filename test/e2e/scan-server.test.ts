// Scan triggering wired into the real server: an image.published event runs
// the `scan` action, the scanner's report comes back as a scan.completed
// event that another route ships to an HTTP receiver, and the scan API of
// the same server reports the scan. The scanner is a local command (`cat`
// of the shared Trivy fixture report), standing in for trivy.
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import type { RunningServer } from '../../src/server/server.js';
import { receiver, serve, tempDir, until, type Receiver } from './server-harness.js';

const FIXTURE = fileURLToPath(new URL('../../../shared/fixtures/postee-trivy-input.json', import.meta.url));

let server: RunningServer | undefined;
let rx: Receiver | undefined;
afterAll(async () => {
  await server?.close();
  await rx?.close();
});

describe('scan triggering in the server', () => {
  it('image.published -> scan -> scan.completed with the broken limits -> receiver; the scan API reports it', async () => {
    rx = await receiver();
    server = await serve(tempDir(), `
routes:
  - name: scan-published
    input: input.type == "image.published"
    actions: [scan-image]
    template: raw-json
  - name: scan-results
    input: input.type == "scan.completed"
    actions: [to-rx]
    template: raw-json
templates:
  - name: raw-json
    rego-package: hooker.rawmessage.json
actions:
  - name: scan-image
    type: scan
    enable: true
    scanner: fixture
    target: {image: event.input.image}
    threshold: no-critical
  - name: to-rx
    type: http
    enable: true
    url: ${rx.url}/results
scanners:
  fixture:
    runner: exec
    command: [cat, ${JSON.stringify(FIXTURE)}]
    format: trivy
thresholds:
  no-critical:
    critical: {max: 0}
scan-api:
  tokens:
    - {token: $SCAN_TOKEN, scopes: [scans:read, scans:write]}
`, { SCAN_TOKEN: 'scan-secret-0123456789' });

    const posted = await request(`${server.httpUrl}/`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'image.published', image: 'alpine:3.10' }),
    });
    expect(posted.statusCode).toBe(202);

    const hit = await until(() => rx!.hits.find((h) => h.body.includes('scan.completed')), 20_000);
    const completed = JSON.parse(hit.body) as { type: string; hooker: { scan: { id: string; passed: boolean; broken: unknown[]; target: string } }; findings: unknown[] };
    expect(completed.type).toBe('scan.completed');
    expect(completed.hooker.scan.passed).toBe(false);
    expect(completed.hooker.scan.target).toBe('alpine:3.10');
    expect(completed.hooker.scan.broken).toEqual([{ limit: 'critical.max', actual: 2, allowed: 0 }]);
    expect(completed.findings.length).toBeGreaterThan(0);

    const id = completed.hooker.scan.id;
    const denied = await request(`${server.httpUrl}/api/v1/scans/${id}`);
    expect(denied.statusCode).toBe(401);
    await denied.body.dump();
    const status = await request(`${server.httpUrl}/api/v1/scans/${id}`, { headers: { authorization: 'Bearer scan-secret-0123456789' } });
    expect(status.statusCode).toBe(200);
    expect(((await status.body.json()) as { state: string }).state).toBe('failed');
  }, 60_000);
});
