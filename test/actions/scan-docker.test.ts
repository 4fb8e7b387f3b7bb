// End to end with a real Docker engine: an image.published event goes
// through the scan action, the docker runner runs the test scanner (busybox +
// baked-in fixture reports, see test/scan/support/scanner-image.ts; no real
// scanner), the durable SQLite queue runs it, and the scan.completed event is
// routed to a real HTTP receiver by the webhook action.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createScanActionFactory } from '../../src/actions/scan.js';
import { webhookAction } from '../../src/actions/webhook.js';
import type { Action, DeliveryContext } from '../../src/actions/types.js';
import type { ScanCompletedEvent } from '../../src/scan/events.js';
import { startAuthRegistry, startTestDocker, type TestDocker } from '../support/dockerd.js';
import { startReceiver } from '../e2e/receiver.js';
import { buildScannerImage } from '../scan/support/scanner-image.js';
import { makeService, scanConfigFrom, type Harness } from '../scan/support/harness.js';

const engine: TestDocker | undefined = await startTestDocker();
const describeEngine = engine ? describe : describe.skip;

function ctx(event: unknown, over: Partial<DeliveryContext> = {}): DeliveryContext & { lines: string[] } {
  const lines: string[] = [];
  return {
    deliveryId: `d-${Math.random().toString(36).slice(2)}`, eventId: 'evt-published-1', routeName: 'scan-published-images', event,
    message: { title: '', body: '' }, hops: 0, signal: new AbortController().signal, log: (l) => lines.push(l), lines, ...over,
  };
}

describeEngine('scan action with the docker runner', () => {
  let scanner: string;
  let h: Harness;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let scan: Action;
  let scanWithTimeout: Action;

  beforeAll(async () => {
    scanner = await buildScannerImage(engine!.docker, engine!.image);
    receiver = await startReceiver();
    const notify = webhookAction.create({ name: 'notify-failed-scans', type: 'webhook', url: `${receiver.url}/scan-failed` }, {}).action!;
    const config = scanConfigFrom(`
scanners:
  trivy:
    runner: docker
    image: ${scanner}
    args: [fake-scanner, "{image}"]
    format: trivy
    pull: never
    network: none
    timeout: 20s
  trivy-file:
    runner: docker
    image: ${scanner}
    args: [fake-scanner, "{image}", "{output}"]
    report-file: report.json
    pull: never
thresholds:
  no-critical:
    critical: {max: 0}
    high: {max: 5}
`);
    h = makeService(config, { DOCKER_HOST: engine!.dockerHost }, {
      // The route a user would write: failed scans go to the receiver, with the broken limits.
      onEvent: async (e) => {
        const ev = e as ScanCompletedEvent;
        if (ev.type === 'scan.completed' && ev.hooker.scan.state === 'failed') {
          const body = JSON.stringify({ scan: ev.hooker.scan.id, target: ev.hooker.scan.target, trigger: ev.hooker.scan.trigger_event, broken: ev.hooker.scan.broken });
          const r = await notify.deliver(ctx(ev, { message: { title: 'scan failed', body } }));
          expect(r.ok).toBe(true);
        }
      },
    });
    await h.service.start();
    const factory = createScanActionFactory(() => h.service);
    const built = factory.create({ name: 'scan-image', type: 'scan', scanner: 'trivy', target: { image: 'event.input.image.name' }, threshold: 'no-critical' }, {});
    expect(built.problems).toEqual([]);
    scan = built.action!;
    scanWithTimeout = factory.create({ name: 'scan-image-quick', type: 'scan', scanner: 'trivy', target: { image: 'event.input.image.name' }, timeout: '1500ms' }, {}).action!;
  }, 60_000);

  afterAll(async () => {
    await h?.service.stop();
    h?.db.close();
    await receiver?.close();
    if (scanner) await engine!.docker.getImage(scanner).remove({ force: true }).catch(() => undefined);
    await engine?.stop();
  });

  it('an image.published event starts a scan whose scan.completed fails its threshold and reaches the receiver', async () => {
    const published = { type: 'image.published', image: { name: '127.0.0.1:5000/team/webapp:1.2.0' } };
    const first = await scan.deliver(ctx(published));
    expect(first).toMatchObject({ ok: true, detail: expect.stringMatching(/^scan .* queued$/) });
    const id = /^scan (\S+)/.exec(first.detail!)![1]!;
    // Same target while queued/running: not queued again.
    const again = await scan.deliver(ctx(published));
    expect(again.detail).toMatch(new RegExp(`^scan ${id} already (queued|running)$`));

    const rec = await h.service.waitFor(id, 30_000);
    expect(rec.state).toBe('failed');
    const [got] = await receiver.waitFor(1);
    expect(got!.url).toBe('/scan-failed');
    const body = JSON.parse(got!.body) as { scan: string; target: string; trigger: string; broken: unknown[] };
    expect(body).toEqual({
      scan: id, target: '127.0.0.1:5000/team/webapp:1.2.0', trigger: 'evt-published-1',
      broken: [{ limit: 'critical.max', actual: 2, allowed: 0 }],
    });
    const event = h.events.find((e) => (e as ScanCompletedEvent).hooker.scan.id === id) as ScanCompletedEvent;
    expect(event).toMatchObject({ type: 'scan.completed', format: 'trivy', hooker: { scan: { passed: false, route: 'scan-published-images' } } });
    expect(event.findings).toHaveLength(7);
    expect((event.report as { ArtifactName: string }).ArtifactName).toBe('pom.xml');

    // The loop guard: the result event fed back to the same action does not scan again.
    const loop = await scan.deliver(ctx({ ...event, image: published.image }));
    expect(loop.detail).toMatch(/skipped/);
    expect(await h.service.store.countByState('queued') + await h.service.store.countByState('running')).toBe(0);
  }, 60_000);

  it('reads the report from the mounted output dir when the scanner writes a file', async () => {
    const r = await h.service.submit({ scanner: 'trivy-file', target: { image: 'example.org/compliance:3' } });
    const rec = await h.service.waitFor(r.id, 30_000);
    expect(rec).toMatchObject({ state: 'passed' });
    expect((await h.service.outcome(r.id))!.report.format).toBe('inspec');
  }, 60_000);

  it('marks a timed-out or crashed scan error with the reason and leaves no container', async () => {
    const hang = await scanWithTimeout.deliver(ctx({ image: { name: 'example.org/hang:1' } }));
    const crash = await scan.deliver(ctx({ image: { name: 'example.org/crash:1' } }));
    const [a, b] = await Promise.all([hang, crash].map((r) => h.service.waitFor(/^scan (\S+)/.exec(r.detail!)![1]!, 30_000)));
    expect(a).toMatchObject({ state: 'error', error: expect.stringContaining('timeout of 1500 ms') });
    expect(b).toMatchObject({ state: 'error', error: expect.stringContaining('exited with code 3') });
    const left = await engine!.docker.listContainers({ all: true, filters: { label: ['io.hooker.managed=true'] } });
    expect(left).toEqual([]);
  }, 60_000);

  it('pulls the scanner image from a registry that requires the credentials of a .dockerconfigjson file', async (t) => {
    const registry = await startAuthRegistry(engine!);
    if (!registry) { t.skip(); return; }
    const dir = mkdtempSync(join(tmpdir(), 'hooker-regauth-'));
    try {
      const remote = await registry.push(scanner, 'hooker/fake-scanner', 'private');
      await engine!.docker.getImage(remote).remove({ force: true });
      const authFile = join(dir, 'dockerconfig.json');
      writeFileSync(authFile, registry.dockerConfigJson, { mode: 0o600 });
      const config = scanConfigFrom(`
scanners:
  with-auth: {runner: docker, image: "${remote}", args: [fake-scanner, "{image}"], pull: always, registry-auth-file: ${authFile}}
  without-auth: {runner: docker, image: "${remote}", args: [fake-scanner, "{image}"], pull: always}
`);
      const h2 = makeService(config, { DOCKER_HOST: engine!.dockerHost });
      await h2.service.start();
      try {
        const denied = await h2.service.waitFor((await h2.service.submit({ scanner: 'without-auth', target: { image: 'example.org/webapp:1' } })).id, 30_000);
        expect(denied).toMatchObject({ state: 'error', error: expect.stringMatching(/pulling .* failed/) });
        const ok = await h2.service.waitFor((await h2.service.submit({ scanner: 'with-auth', target: { image: 'example.org/webapp:1' } })).id, 30_000);
        expect(ok.state).toBe('passed');
        expect(h2.logs).toContainEqual(expect.stringContaining(`pulling ${remote} as ${registry.username}`));
      } finally {
        await h2.service.stop();
        h2.db.close();
        await engine!.docker.getImage(remote).remove({ force: true }).catch(() => undefined);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await registry.stop();
    }
  }, 60_000);

  it('refuses an event without the referenced image, and unknown scanners', async () => {
    const r = await scan.deliver(ctx({ type: 'image.published' }));
    expect(r).toMatchObject({ ok: false, retryable: false, detail: expect.stringContaining('event.input.image does not exist') });
    const bad = createScanActionFactory(() => h.service).create({ name: 'x', type: 'scan', scanner: 'nope', target: { image: 'a:1' } }, {}).action!;
    expect(await bad.deliver(ctx({}))).toMatchObject({ ok: false, retryable: false, detail: 'unknown scanner "nope"' });
  });
});
