// The nats output against a real nats-server (Debian's nats-server, started
// on loopback with JetStream and its own storage dir).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type NatsConnection } from 'nats';
import { build, deliver } from './peer.js';
import { natsAction } from '../../src/actions/outputs/nats.js';
import { findBinary, freePort, startServer, type RealServer } from './real-server.js';

const bin = findBinary('/usr/sbin/nats-server', '/usr/bin/nats-server');
const tracee = JSON.parse(readFileSync(new URL('../../../shared/fixtures/tracee-trc1-finding.json', import.meta.url), 'utf8'));
if (!bin) console.warn('nats tests skipped: nats-server is not installed (apt-get install nats-server; .ci/run installs it)');

describe.skipIf(!bin)('nats (real nats-server)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hooker-nats-'));
  let server: RealServer;
  let nc: NatsConnection;
  let url = '';

  beforeAll(async () => {
    const port = await freePort();
    url = `nats://127.0.0.1:${port}`;
    server = await startServer(bin!, ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', join(dir, 'js'), '--user', 'hooker', '--pass', 'nats-pass-0001'],
      async () => { const c = await connect({ servers: url, user: 'hooker', pass: 'nats-pass-0001', timeout: 500 }); await c.close(); return true; });
    nc = await connect({ servers: url, user: 'hooker', pass: 'nats-pass-0001' });
    await (await nc.jetstreamManager()).streams.add({ name: 'ALERTS', subjects: ['alerts.>'], duplicate_window: 60_000_000_000 });
  }, 90_000);
  afterAll(async () => { await nc?.close(); await server?.stop(); rmSync(dir, { recursive: true, force: true }); });

  it('publishes the message to the subject with the delivery id header', async () => {
    const sub = nc.subscribe('security.events', { max: 1 });
    await nc.flush();
    const a = build(natsAction, { url, subject: 'security.events', user: 'hooker', password: 'nats-pass-0001' });
    const r = await deliver(a, { title: 'TRC-1', body: JSON.stringify(tracee) });
    expect(r).toMatchObject({ ok: true, detail: 'published to security.events' });
    for await (const m of sub) {
      expect(JSON.parse(new TextDecoder().decode(m.data))).toEqual(tracee);
      expect(m.headers?.get('Hooker-Delivery-Id')).toBe('d-1');
      expect(m.headers?.get('Hooker-Title')).toBe('TRC-1');
    }
    await a.close?.();
  });

  it('JetStream: the server acknowledges, and a retried delivery (same id) is stored once', async () => {
    const a = build(natsAction, { url, subject: 'alerts.trivy', jetstream: true, user: 'hooker', password: 'nats-pass-0001' });
    const first = await deliver(a, { body: '{"n":1}' }, { deliveryId: 'delivery-42' });
    const again = await deliver(a, { body: '{"n":1}' }, { deliveryId: 'delivery-42' });
    const other = await deliver(a, { body: '{"n":2}' }, { deliveryId: 'delivery-43' });
    expect(first.detail).toMatch(/JetStream stream ALERTS stored it as #1$/);
    expect(again.detail).toContain('duplicate: already stored');
    expect(other.ok).toBe(true);
    const info = await (await nc.jetstreamManager()).streams.info('ALERTS');
    expect(info.state.messages).toBe(2);
    await a.close?.();
  });

  it('a subject no stream captures fails and is retried (a stream may be added later)', async () => {
    const a = build(natsAction, { url, subject: 'nostream.x', jetstream: true, user: 'hooker', password: 'nats-pass-0001', timeout: '2s' });
    const r = await deliver(a, { body: 'x' });
    expect(r).toMatchObject({ ok: false, retryable: true });
    await a.close?.();
  });

  it('wrong credentials fail without showing the password', async () => {
    const a = build(natsAction, { url, subject: 's', user: 'hooker', password: 'wrong-pass-777', timeout: '2s' });
    const r = await deliver(a, { body: 'x' });
    expect(r.ok).toBe(false);
    expect(JSON.stringify(r)).not.toContain('wrong-pass-777');
    await a.close?.();
  });
});
