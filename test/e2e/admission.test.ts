// Admission under overload against a real `hooker serve` process: senders
// post as fast as they can to a server whose only action (concurrency 2, a
// receiver that takes 20 ms per request) delivers far fewer events than they
// offer, with HOOKER_INBOX_HIGH_WATER=30 and the lag limit off (so only
// admission acts). The senders ignore Retry-After and post again at once (the
// worst case). The inbox must stay near the mark instead of growing with the
// offered load, the surplus is refused with 503 and Retry-After, deliveries
// go on while the overload lasts and events are admitted about as fast as
// they are delivered, the server stays ready (it keeps admitting what it
// delivers), and every accepted event is delivered. No rates are asserted:
// the machine running the test may be slow or loaded.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { oneRouteConfig, startHooker, type HookerProcess } from './hooker-process.js';

const HIGH_WATER = 30;
const SENDERS = 16;
const OVERLOAD_MS = 5_000;

describe('admission: above HOOKER_INBOX_HIGH_WATER ingest is admitted as fast as deliveries finish (a real process, an overload)', { timeout: 180_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'hooker-admission-'));
  let hooker: HookerProcess;
  let receiver: Server;
  const received = new Set<string>();
  const agent = new Agent({ connections: SENDERS + 4 });

  beforeAll(async () => {
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => { body += c; });
      req.on('end', () => setTimeout(() => { received.add((JSON.parse(body) as { n: string }).n); res.end('ok'); }, 20));
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()));
    const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
    writeFileSync(join(dir, 'cfg.yaml'), oneRouteConfig(`${url}/in`, { route: 'all', concurrency: 2 }));
    hooker = await startHooker({ HOOKER_CFG: join(dir, 'cfg.yaml'), HOOKER_INBOX_HIGH_WATER: String(HIGH_WATER), HOOKER_MAX_DELIVERY_LAG: '0' }, { startTimeoutMs: 120_000 });
  }, 180_000);

  afterAll(async () => {
    await hooker?.stop();
    await agent.close();
    await new Promise<void>((r) => { receiver?.closeAllConnections(); receiver?.close(() => r()); });
  });

  const readyz = async () => {
    const res = await request(`${hooker.url}/readyz`, { dispatcher: agent });
    return { status: res.statusCode, body: (await res.body.json()) as { status: string; inbox: number; inboxHighWater?: number } };
  };

  it('keeps the inbox near the mark, refuses the surplus with 503 + Retry-After, delivers meanwhile and loses nothing', async () => {
    const accepted: string[] = [];
    const refusals: Array<{ retryAfter: unknown; message: string }> = [];
    let stop = false;
    let n = 0;
    const sender = async () => {
      while (!stop) {
        const id = `e${n++}`;
        const res = await request(`${hooker.url}/`, { method: 'POST', dispatcher: agent, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ n: id }) });
        const text = await res.body.text();
        if (res.statusCode === 202) accepted.push(id);
        else if (res.statusCode === 503) refusals.push({ retryAfter: res.headers['retry-after'], message: (JSON.parse(text) as { message: string }).message });
        else throw new Error(`unexpected ${res.statusCode}: ${text}`);
      }
    };
    // The inbox and readiness, watched while the overload lasts.
    const inboxSeen: number[] = [];
    const readiness: number[] = [];
    const watch = (async () => {
      while (!stop) {
        const r = await readyz();
        inboxSeen.push(r.body.inbox);
        readiness.push(r.status);
        await new Promise((res) => setTimeout(res, 100));
      }
    })();
    const senders = Array.from({ length: SENDERS }, sender);
    // Deliveries and admissions during the overload: counted once refusals have started.
    await expect.poll(() => refusals.length, { timeout: 60_000, interval: 50 }).toBeGreaterThan(0);
    const receivedAtFirstRefusal = received.size;
    const acceptedAtFirstRefusal = accepted.length;
    await new Promise((r) => setTimeout(r, OVERLOAD_MS));
    const receivedDuringOverload = received.size - receivedAtFirstRefusal;
    const admittedDuringOverload = accepted.length - acceptedAtFirstRefusal;
    stop = true;
    await Promise.all([...senders, watch]);

    // Offered far more than delivered: most of it refused, early and with Retry-After.
    expect(refusals.length).toBeGreaterThan(accepted.length);
    expect(Number(refusals[0]!.retryAfter)).toBeGreaterThanOrEqual(1);
    expect(refusals[0]!.message).toMatch(/above HOOKER_INBOX_HIGH_WATER \(30\): events are admitted only as fast as their deliveries finish/);
    // The inbox stayed bounded near the mark (admitted at the leaving rate), not with the offered load.
    expect(Math.max(...inboxSeen)).toBeLessThanOrEqual(HIGH_WATER * 5);
    // Deliveries went on while ingest was refused, events were admitted about as fast as they were
    // delivered (the inbox is flat: the difference is at most what it may hold), and the server stayed
    // ready (it still admits what it delivers).
    expect(receivedDuringOverload).toBeGreaterThan(0);
    expect(admittedDuringOverload).toBeLessThanOrEqual(receivedDuringOverload + HIGH_WATER * 5);
    expect(readiness.every((s) => s === 200)).toBe(true);
    expect((await readyz()).body.inboxHighWater).toBe(HIGH_WATER);
    const metrics = await (await request(`${hooker.url}/metrics`, { dispatcher: agent })).body.text();
    expect(Number(/^hooker_admission_refusals_total (\S+)$/m.exec(metrics)?.[1])).toBe(refusals.length);

    // Nothing accepted is lost; once delivered, the inbox is empty and every event is admitted again.
    await expect.poll(() => accepted.filter((id) => !received.has(id)), { timeout: 60_000, interval: 200 }).toEqual([]);
    await expect.poll(async () => (await readyz()).body.inbox, { timeout: 30_000, interval: 100 }).toBe(0);
    const after = await request(`${hooker.url}/`, { method: 'POST', dispatcher: agent, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ n: 'after' }) });
    await after.body.text();
    expect(after.statusCode).toBe(202);
  });
});
