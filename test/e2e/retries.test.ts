// Receivers that answer 500, time out or refuse connections get retries with
// growing gaps and end as dead letters the admin API shows and replays, while
// another route delivers at normal speed.
import { afterAll, describe, expect, it } from 'vitest';
import { createServer } from 'node:net';
import { request } from 'undici';
import type { RunningServer } from '../../src/server/server.js';
import { receiver, serve, tempDir, until, type Receiver } from './server-harness.js';

async function closedPort(): Promise<string> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return `http://127.0.0.1:${port}`;
}

const admin = { authorization: 'Bearer adm' };
async function get(url: string) {
  const res = await request(url, { headers: admin });
  return (await res.body.json()) as Record<string, unknown>;
}

describe('failing receivers', () => {
  const closers: Array<() => Promise<void>> = [];
  afterAll(async () => { for (const c of closers.reverse()) await c(); });

  it('retry with growing gaps, dead-letter, replay; a healthy route is not delayed', async () => {
    let brokenAnswers500 = true;
    const broken = await receiver(() => (brokenAnswers500 ? 500 : 200));
    const slow = await receiver(() => 'hang');
    const healthy = await receiver(() => 200);
    closers.push(broken.close, slow.close, healthy.close);
    const refused = await closedPort();
    const policy = 'retries: 3\n    concurrency: 20\n    retry-backoff: 100ms\n    retry-max-backoff: 2s\n    enable: true\n    type: http';
    const server: RunningServer = await serve(tempDir(), `
routes:
  - name: to-500
    actions: [a500]
    template: raw-json
  - name: to-timeout
    actions: [atimeout]
    template: raw-json
  - name: to-refused
    actions: [arefused]
    template: raw-json
  - name: to-healthy
    actions: [ahealthy]
    template: raw-json
templates:
  - name: raw-json
    rego-package: hooker.rawmessage.json
actions:
  - name: a500
    url: ${broken.url}/
    ${policy}
  - name: atimeout
    url: ${slow.url}/
    timeout: 200ms
    ${policy}
  - name: arefused
    url: ${refused}/
    ${policy}
  - name: ahealthy
    url: ${healthy.url}/
    type: http
    enable: true
`);
    closers.push(() => server.close());
    for (let i = 0; i < 20; i++) {
      const res = await request(`${server.httpUrl}/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ i }) });
      expect(res.statusCode).toBe(202);
      await res.body.text();
    }
    // The healthy route is done before the failing routes' retries are: not
    // held behind their backoff (an order, not a wall-clock bound, so a slow
    // host cannot fail it and a healthy route queued behind retries would).
    await until(() => healthy.hits.length === 20);
    expect(broken.hits.length).toBeLessThan(80);
    expect((await server.engine.store.deliveries.countByState()).dead).toBeLessThan(60);

    await until(async () => {
      const counts = await server.engine.store.deliveries.countByState();
      return counts.dead === 60 ? counts : undefined;
    }, 30_000);

    // Every attempt of every failing delivery is recorded, with growing gaps.
    for (const route of ['to-500', 'to-timeout', 'to-refused']) {
      const list = await get(`${server.httpUrl}/deliveries?state=dead&route=${route}`);
      const deliveries = list['deliveries'] as Array<{ id: string; attempts: number; lastError: string }>;
      expect(deliveries).toHaveLength(20);
      const shown = await get(`${server.httpUrl}/deliveries/${deliveries[0]!.id}`);
      const attempts = shown['attemptLog'] as Array<{ startedAt: number; finishedAt: number; ok: boolean; detail: string }>;
      expect(attempts.map((a) => a.ok)).toEqual([false, false, false, false]);
      const gaps = attempts.slice(1).map((a, i) => a.startedAt - attempts[i]!.finishedAt);
      expect(gaps[0]!).toBeGreaterThanOrEqual(45);
      expect(gaps[2]!).toBeGreaterThan(gaps[0]!);
      if (route === 'to-500') expect(attempts[0]!.detail).toContain('answered 500');
      if (route === 'to-timeout') expect(attempts[0]!.detail).toContain('timed out after 200 ms');
      if (route === 'to-refused') expect(attempts[0]!.detail).toMatch(/ECONNREFUSED|connect/);
    }
    expect(broken.hits).toHaveLength(80);
    // A repeat carries the same delivery id.
    expect(new Set(broken.hits.map((h) => h.headers['hooker-delivery-id'])).size).toBe(20);

    // The receiver is fixed: replaying the route's dead letters delivers them.
    brokenAnswers500 = false;
    const replay = await request(`${server.httpUrl}/deliveries/retry-dead?route=to-500`, { method: 'POST', headers: admin });
    expect(await replay.body.json()).toEqual({ retried: 20 });
    await until(async () => (await server.engine.store.deliveries.countByState()).succeeded === 40);
    expect(broken.hits).toHaveLength(100);
    const metrics = await (await request(`${server.httpUrl}/metrics`)).body.text();
    expect(metrics).toMatch(/hooker_deliveries_total\{action="a500",outcome="dead"\} 20/);
    expect(metrics).toMatch(/hooker_deliveries_total\{action="a500",outcome="retry"\} 60/);
  });
});
