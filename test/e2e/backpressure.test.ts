// Backpressure against a real `hooker serve` process: an http action with
// concurrency 1 to a receiver that takes 250 ms per request, and
// HOOKER_MAX_DELIVERY_LAG=1s. Posting faster than it delivers makes the
// oldest due delivery age; past the limit ingest answers 503 with
// Retry-After, /readyz answers 503 showing the lag, the metric shows it;
// once the deliveries catch up ingest accepts again, and every event that got
// a 202 reaches the receiver.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { startHooker, type HookerProcess } from './hooker-process.js';

const DELAY_MS = 250;

describe('backpressure: ingest refuses early while deliveries lag (a real process, a slow receiver)', { timeout: 180_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'hooker-backpressure-'));
  let hooker: HookerProcess;
  let slow: Server;
  const received: string[] = [];

  beforeAll(async () => {
    slow = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => { body += c; });
      req.on('end', () => setTimeout(() => { received.push((JSON.parse(body) as { n: string }).n); res.end('ok'); }, DELAY_MS));
    });
    await new Promise<void>((r) => slow.listen(0, '127.0.0.1', () => r()));
    const url = `http://127.0.0.1:${(slow.address() as AddressInfo).port}`;
    writeFileSync(join(dir, 'cfg.yaml'), `
routes:
  - name: all
    actions: [slow, limited]
    template: raw-json
templates:
  - name: raw-json
    rego-package: hooker.rawmessage.json
actions:
  - name: slow
    type: http
    enable: true
    concurrency: 1
    url: ${url}/slow
  # A rate-limited lane's backlog is by design: it must not trigger backpressure.
  - name: limited
    type: http
    enable: true
    rate-limit: 1/h
    url: ${url}/limited
`);
    hooker = await startHooker({ HOOKER_CFG: join(dir, 'cfg.yaml'), HOOKER_MAX_DELIVERY_LAG: '1s' }, { startTimeoutMs: 120_000 });
  }, 180_000);

  afterAll(async () => {
    await hooker?.stop();
    await new Promise<void>((r) => { slow?.closeAllConnections(); slow?.close(() => r()); });
  });

  const post = async (n: string) => {
    const res = await request(`${hooker.url}/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ n }) });
    const text = await res.body.text();
    return { status: res.statusCode, retryAfter: res.headers['retry-after'], text };
  };
  const readyz = async () => {
    const res = await request(`${hooker.url}/readyz`);
    return { status: res.statusCode, body: (await res.body.json()) as { status: string; deliveryLagSeconds: number; maxDeliveryLagSeconds: number } };
  };

  it('answers 503 with Retry-After while lagging, reports the lag, accepts again after catching up, and delivers every accepted event', async () => {
    expect((await readyz()).status).toBe(200);
    const accepted: string[] = [];
    let refused: { status: number; retryAfter: unknown; text: string } | undefined;
    // 40 events take 10 s to deliver one by one: refusals must start long before that.
    for (let i = 0; i < 200 && !refused; i++) {
      const a = await post(`e${i}`);
      if (a.status === 202) accepted.push(`e${i}`);
      else refused = a;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(refused, 'ingest refused while the receiver lagged').toBeDefined();
    expect(refused!.status).toBe(503);
    expect(Number(refused!.retryAfter)).toBeGreaterThanOrEqual(1);
    expect(JSON.parse(refused!.text).message).toMatch(/deliveries are [\d.]+ s behind, the limit is 1 s \(HOOKER_MAX_DELIVERY_LAG\)/);
    // Refused early: the backlog is a few seconds of deliveries, not the inbox limit.
    expect(accepted.length).toBeLessThan(40);

    const lagging = await readyz();
    expect(lagging.status).toBe(503);
    expect(lagging.body.status).toBe('lagging');
    expect(lagging.body.deliveryLagSeconds).toBeGreaterThan(0.5);
    const metrics = await (await request(`${hooker.url}/metrics`)).body.text();
    expect(Number(/^hooker_delivery_lag_seconds (\S+)$/m.exec(metrics)?.[1])).toBeGreaterThan(0.5);
    expect(Number(/^hooker_backpressure_refusals_total (\S+)$/m.exec(metrics)?.[1])).toBeGreaterThanOrEqual(1);

    // Caught up (the lag falls below half the limit): accepted again, ready again.
    await expect.poll(async () => (await readyz()).status, { timeout: 60_000, interval: 200 }).toBe(200);
    const after = await post('after');
    expect(after.status).toBe(202);
    accepted.push('after');
    // Nothing accepted is lost.
    await expect.poll(() => accepted.filter((n) => !received.includes(n)), { timeout: 60_000 }).toEqual([]);
  });
});
