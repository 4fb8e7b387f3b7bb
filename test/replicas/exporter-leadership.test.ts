// The cluster exporter across replicas: three `hooker serve` processes on one
// real PostgreSQL, each configured to run the exporter against our fake
// apiserver (a Kubernetes stand-in that serves the pod list). Exactly one of
// them holds the advisory lock and scans; when that process is SIGKILLed,
// PostgreSQL frees its lock with its connection and another replica takes
// over, and the exporter keeps scanning. The scanner is a small local command
// that records which process ran it (its parent pid) and when, then prints
// the shared Trivy fixture: two replicas scanning at the same time, or none
// scanning after the kill, would show in that record.

import { appendFileSync, mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { startHooker, type HookerProcess } from '../e2e/hooker-process.js';
import { startPostgres, type PostgresServer } from '../support/postgres.js';
import { startFakeApiserver, type FakeApiserver } from '../support/fake-apiserver/index.js';

const FIXTURE = fileURLToPath(new URL('../../../shared/fixtures/postee-trivy-input.json', import.meta.url));

let pg: PostgresServer;
let api: FakeApiserver;
const procs: HookerProcess[] = [];

beforeAll(async () => {
  pg = await startPostgres();
  api = await startFakeApiserver();
}, 60_000);

afterAll(async () => {
  await Promise.all(procs.map((p) => p.kill('SIGKILL')));
  await api?.close();
  pg?.destroy();
});

interface Scan { pid: number; start: number; end: number }

async function seriesOn(p: HookerProcess): Promise<number> {
  const text = await (await request(`${p.url}/metrics`)).body.text();
  return text.split('\n').filter((l) => l.startsWith('pod_security_issue{')).length;
}

async function waitFor(what: string, fn: () => boolean | Promise<boolean>, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!(await fn())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('cluster exporter leadership on PostgreSQL', () => {
  it('one replica exports at a time; when it is SIGKILLed another takes over and the exporter keeps working', { timeout: 150_000 }, async () => {
    const image = 'registry.example/team/webapp:1.2';
    api.seed('pods', {
      metadata: { name: 'web-1', namespace: 'shop' },
      spec: { containers: [{ name: 'app', image }] },
      status: { phase: 'Running', containerStatuses: [{ name: 'app', image, imageID: `registry.example/team/webapp@sha256:${'b'.repeat(64)}`, ready: true, state: { running: {} } }] },
    });
    const dir = mkdtempSync(join(tmpdir(), 'hooker-leader-'));
    const record = join(dir, 'scans.jsonl');
    const scanner = join(dir, 'scanner.mjs');
    writeFileSync(scanner, `
import { appendFileSync, readFileSync } from 'node:fs';
const [log, fixture] = process.argv.slice(2);
const start = Date.now();
const pid = process.ppid;
await new Promise((r) => setTimeout(r, 300));
appendFileSync(log, JSON.stringify({ pid, start, end: Date.now() }) + '\\n');
process.stdout.write(readFileSync(fixture));
`);
    const cfg = join(dir, 'cfg.yaml');
    writeFileSync(cfg, `
routes: []
templates: []
actions: []
scanners:
  recorded:
    runner: exec
    command: [${JSON.stringify(process.execPath)}, ${JSON.stringify(scanner)}, ${JSON.stringify(record)}, ${JSON.stringify(FIXTURE)}]
    format: trivy
`);
    appendFileSync(record, '');
    const scans = (): Scan[] => (existsSync(record) ? readFileSync(record, 'utf8') : '').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Scan);
    const env = {
      HOOKER_CFG: cfg, HOOKER_DB: await pg.createDatabase('leader'), HOOKER_CLUSTER_SCANNER: 'recorded', KUBECONFIG: api.writeKubeconfig(),
      // A round every second: a gap or an overlap between replicas shows within seconds.
      SCAN_INTERVAL: '1',
    };
    const replicas = await Promise.all([0, 1, 2].map(() => startHooker(env, { startTimeoutMs: 90_000 })));
    procs.push(...replicas);

    await waitFor('three scans', () => scans().length >= 3, 30_000);
    const leaderPid = scans()[0]!.pid;
    const leader = replicas.find((r) => r.pid === leaderPid)!;
    expect(leader).toBeDefined();
    // Let the others try for the lock at least once (they retry every 5 s).
    await new Promise((r) => setTimeout(r, 6_000));
    expect(new Set(scans().map((s) => s.pid))).toEqual(new Set([leaderPid]));
    const others = replicas.filter((r) => r !== leader);
    expect(await seriesOn(leader)).toBeGreaterThan(0);
    for (const o of others) expect(await seriesOn(o)).toBe(0);
    expect(leader.stderr()).toContain('this replica leads it now');

    await leader.kill('SIGKILL');
    const killedAt = Date.now();
    await waitFor('scans by another replica', () => scans().filter((s) => s.start > killedAt).length >= 3, 30_000);
    const after = scans().filter((s) => s.start > killedAt);
    const newPid = after[0]!.pid;
    expect(newPid).not.toBe(leaderPid);
    const next = others.find((o) => o.pid === newPid)!;
    expect(next).toBeDefined();
    console.log(`exporter leadership: replica ${leaderPid} led (${scans().filter((s) => s.pid === leaderPid).length} scans), SIGKILLed; replica ${newPid} took over ${after[0]!.start - killedAt} ms later`);

    // The killed replica comes back: it waits, the new leader keeps the lock.
    const again = await startHooker(env, { startTimeoutMs: 90_000 });
    procs.push(again);
    await new Promise((r) => setTimeout(r, 7_000));
    const later = scans().filter((s) => s.start > killedAt);
    expect(new Set(later.map((s) => s.pid))).toEqual(new Set([newPid]));
    await waitFor('the new leader\'s series', async () => (await seriesOn(next)) > 0, 10_000);
    for (const o of [...others.filter((o) => o !== next), again]) expect(await seriesOn(o)).toBe(0);

    // Never two at once: scans by different replicas do not overlap in time.
    const all = scans().sort((a, b) => a.start - b.start);
    for (let i = 1; i < all.length; i++) {
      if (all[i]!.pid !== all[i - 1]!.pid) expect(all[i]!.start).toBeGreaterThanOrEqual(all[i - 1]!.end);
    }
    await Promise.all([...others, again].map((p) => p.stop()));
  });
});
