// At-least-once across replicas: three `hooker serve` processes share one
// real PostgreSQL; load is posted round-robin to all three, one replica is
// SIGKILLed mid-load and started again later. Every event that got a 202
// must reach the receiver; no delivery may run on two replicas at the same
// time (the receiver watches overlapping Hooker-Delivery-Ids), and a repeat
// (after a lease expired) carries the same delivery id.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { oneRouteConfig, startHooker, type HookerProcess } from '../e2e/hooker-process.js';
import { startPostgres, type PostgresServer } from '../support/postgres.js';

const TOTAL = 1_200;
const KILL_AFTER = 400;

let pg: PostgresServer;
const procs: HookerProcess[] = [];
let rx: Server | undefined;
const agent = new Agent({ connections: 24 });

beforeAll(async () => { pg = await startPostgres(); }, 60_000);
afterAll(async () => {
  await Promise.all(procs.map((p) => p.kill('SIGKILL')));
  rx?.closeAllConnections();
  await new Promise<void>((r) => (rx ? rx.close(() => r()) : r()));
  await agent.close();
  pg?.destroy();
});

describe('crash across replicas on PostgreSQL', () => {
  it('delivers every accepted event after one of three replicas is SIGKILLed, never running one delivery twice at once', { timeout: 170_000 }, async () => {
    const seen = new Map<number, number>();
    const ids = new Map<number, Set<string>>();
    const inFlight = new Set<string>();
    let overlaps = 0;
    rx = createServer((req, res) => {
      let body = '';
      const id = String(req.headers['hooker-delivery-id']);
      // The same delivery arriving while it is still being received here means two replicas ran it at once.
      if (inFlight.has(id)) overlaps++;
      inFlight.add(id);
      req.on('data', (c) => { body += c; });
      req.on('end', () => setTimeout(() => {
        const n = (JSON.parse(body) as { n: number }).n;
        seen.set(n, (seen.get(n) ?? 0) + 1);
        const s = ids.get(n) ?? new Set<string>();
        s.add(id);
        ids.set(n, s);
        inFlight.delete(id);
        res.end('ok');
      }, 3));
    });
    await new Promise<void>((r) => rx!.listen(0, '127.0.0.1', () => r()));
    const dir = mkdtempSync(join(tmpdir(), 'hooker-replicas-'));
    const cfg = join(dir, 'cfg.yaml');
    writeFileSync(cfg, oneRouteConfig(`http://127.0.0.1:${(rx.address() as AddressInfo).port}/in`, { route: 'ship', concurrency: 4, extra: ['retry-backoff: 50ms'] }));
    const db = await pg.createDatabase('crash');
    // A short lease: the killed replica's claims come back within seconds.
    const env = { HOOKER_CFG: cfg, HOOKER_DB: db, HOOKER_DELIVERY_LEASE: '3s', HOOKER_MAX_DELIVERY_LAG: '0', HOOKER_INBOX_HIGH_WATER: '0' };
    const replicas = await Promise.all([0, 1, 2].map(() => startHooker(env, { startTimeoutMs: 90_000 })));
    procs.push(...replicas);

    const accepted = new Set<number>();
    let next = 0;
    let killed = false;
    const poster = async (k: number) => {
      while (next < TOTAL) {
        const n = next++;
        const target = replicas[n % 3]!;
        if (!target.alive()) continue;
        try {
          const res = await request(`${target.url}/`, { method: 'POST', dispatcher: agent, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ n, k }) });
          await res.body.text();
          if (res.statusCode === 202) accepted.add(n);
        } catch {
          // Cut by the kill: not accepted, the sender would retry elsewhere.
        }
        if (accepted.size >= KILL_AFTER && !killed) {
          killed = true;
          await replicas[0]!.kill('SIGKILL');
        }
      }
    };
    await Promise.all(Array.from({ length: 12 }, (_, k) => poster(k)));
    expect(killed).toBe(true);

    // The killed replica comes back on the same database.
    const again = await startHooker(env, { startTimeoutMs: 90_000 });
    procs.push(again);

    const deadline = Date.now() + 60_000;
    while ([...accepted].some((n) => !seen.has(n)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const missing = [...accepted].filter((n) => !seen.has(n));
    const duplicated = [...seen.values()].filter((c) => c > 1).length;
    const sameId = [...seen.entries()].filter(([n, c]) => c > 1 && ids.get(n)!.size === 1).length;
    console.log(`replicas crash test: accepted ${accepted.size}, delivered ${[...accepted].filter((n) => seen.has(n)).length}, duplicated ${duplicated} (same id ${sameId}), overlapping ${overlaps}`);
    expect(missing).toEqual([]);
    // Only events posted to the killed replica while it died are refused; the others take the rest.
    expect(accepted.size).toBeGreaterThan(TOTAL * 0.6);
    expect(overlaps).toBe(0);
    // A repeat (a claim whose lease expired with its replica) carries the same Hooker-Delivery-Id.
    for (const s of ids.values()) expect(s.size).toBe(1);
    await Promise.all([replicas[1]!.stop(), replicas[2]!.stop(), again.stop()]);
  });
});
