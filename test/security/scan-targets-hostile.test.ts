// Issue 15, case 2: event text (and scan API input) never becomes a
// scanner option. A real server (in-process, real sockets and SQLite file)
// with an exec scanner that records the argv it was given.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import type { RunningServer } from '../../src/server/server.js';
import { serve, tempDir } from '../e2e/server-harness.js';
import { expandArgs } from '../../src/scan/runners/types.js';
import { ADMIN, expectAlive, finishedDeliveries, post, until } from './actions-support.js';

const FIXTURE = fileURLToPath(new URL('../../../shared/fixtures/postee-trivy-input.json', import.meta.url));
const SCAN_TOKEN = 'scan-secret-0123456789';

describe('scan targets from events and the scan API', () => {
  const dir = tempDir();
  const argvLog = join(dir, 'argv.log');
  let server: RunningServer;
  let base = '';

  beforeAll(async () => {
    const scanner = join(dir, 'scanner.sh');
    // Stands in for trivy: records its arguments, prints a report.
    writeFileSync(scanner, `printf '%s\\n' "$@" >> ${JSON.stringify(argvLog)}\ncat ${JSON.stringify(FIXTURE)}\n`);
    server = await serve(dir, `
routes:
  - name: scan-published
    input: input.type == "image.published"
    actions: [scan-image]
    template: raw
  - name: scan-pod
    input: input.type == "pod.started"
    actions: [scan-pod]
    template: raw
templates:
  - name: raw
    rego-package: hooker.rawmessage.json
actions:
  - name: scan-image
    type: scan
    enable: true
    scanner: recorder
    target: {image: event.input.image}
  - name: scan-pod
    type: scan
    enable: true
    scanner: recorder
    target: {pod: {namespace: event.input.ns, name: event.input.pod}}
scanners:
  recorder:
    runner: exec
    command: [sh, ${JSON.stringify(scanner)}, image, --format, json, "--", "{target}"]
    format: trivy
scan-api:
  tokens:
    - {token: $SCAN_TOKEN, scopes: [scans:read, scans:write]}
`, { SCAN_TOKEN, HOOKER_ADMIN_TOKEN: ADMIN });
    base = server.httpUrl!;
  }, 120_000);
  afterAll(async () => { await server?.close(); });

  const argv = () => (existsSync(argvLog) ? readFileSync(argvLog, 'utf8') : '');

  it('an event naming the image "--output=/tmp/x" is refused before any scanner runs, and not retried', async () => {
    for (const image of ['--output=/tmp/x', '-o/tmp/x', 'alpine:3.10 --debug', 'Alpine:3.10']) {
      const res = await post(`${base}/`, { type: 'image.published', image });
      expect(res.status).toBe(202);
      const rows = await finishedDeliveries(base, res.json()['eventId'] as string);
      expect(rows[0]).toMatchObject({ state: 'dead', attempts: 1 });
      expect(rows[0]!.lastError).toMatch(/is not an image reference/);
    }
    const pod = await post(`${base}/`, { type: 'pod.started', ns: 'default', pod: '--kubeconfig=/tmp/evil' });
    const podRows = await finishedDeliveries(base, pod.json()['eventId'] as string);
    expect(podRows[0]!.lastError).toMatch(/is not a Kubernetes pod name/);
    expect(argv()).not.toMatch(/output|kubeconfig|debug/);
    await expectAlive(base);
  });

  it('a valid image is scanned, passed after "--" as a positional', async () => {
    const res = await post(`${base}/`, { type: 'image.published', image: 'registry.example:5000/team/app:1.2@sha256:' + 'a'.repeat(64) });
    await finishedDeliveries(base, res.json()['eventId'] as string);
    const log = await until(() => argv().includes('registry.example') && argv());
    expect(log.split('\n')).toEqual(expect.arrayContaining(['image', '--format', 'json', '--', `registry.example:5000/team/app:1.2@sha256:${'a'.repeat(64)}`]));
  });

  it('the scan API answers 400 naming the target for options, bad pod names and non-http urls', async () => {
    const bad = [
      { image: '--output=/tmp/x' },
      { image: 'alpine:3.10 --debug' },
      { pod: { namespace: 'default', name: '-n' } },
      { pod: { namespace: 'default', name: 'web', container: '--all' } },
      { url: 'file:///etc/passwd' },
      { url: '--url=http://x' },
    ];
    for (const target of bad) {
      const res = await request(`${base}/api/v1/scans`, {
        method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${SCAN_TOKEN}` },
        body: JSON.stringify({ scanner: 'recorder', target }),
      });
      const text = await res.body.text();
      expect(res.statusCode, text).toBe(400);
      expect(text).toMatch(/target/);
    }
    expect(argv()).not.toMatch(/output|debug|--all|passwd|--url/);
    await expectAlive(base);
  });

  it('the argv expander refuses a value that would become an option (defence behind the checks)', () => {
    expect(() => expandArgs(['{image}'], { target: { image: '--output=/tmp/x' }, scanId: 's' })).toThrow(/would become the option/);
    expect(expandArgs(['--image={image}'], { target: { image: '-x' }, scanId: 's' })).toEqual(['--image=-x']);
  });
});
