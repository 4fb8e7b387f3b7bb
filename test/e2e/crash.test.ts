// At-least-once across a crash: a few thousand events are posted, the server
// is killed with SIGKILL mid-way and restarted on the same database, and
// every event that got a 202 must reach the receiving HTTP server.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { startHooker, type HookerProcess } from './hooker-process.js';

const TOTAL = 3_000;
const KILL_AFTER = 1_200;

describe('crash recovery', () => {
  const procs: HookerProcess[] = [];
  let server: Server | undefined;
  const agent = new Agent({ connections: 32 });
  afterAll(async () => {
    await Promise.all(procs.map((p) => p.kill('SIGKILL')));
    server?.closeAllConnections();
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
    await agent.close();
  });

  it('delivers every accepted event at least once after a SIGKILL and a restart', { timeout: 180_000 }, async () => {
    // The receiver is a little slow so a backlog exists when the server dies.
    const seen = new Map<number, number>();
    const deliveryIds = new Map<number, Set<string>>();
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => { body += c; });
      req.on('end', () => setTimeout(() => {
        const n = (JSON.parse(body) as { n: number }).n;
        seen.set(n, (seen.get(n) ?? 0) + 1);
        const ids = deliveryIds.get(n) ?? new Set<string>();
        ids.add(String(req.headers['hooker-delivery-id']));
        deliveryIds.set(n, ids);
        res.end('ok');
      }, 2));
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
    const receiverUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

    const dir = mkdtempSync(join(tmpdir(), 'hooker-crash-'));
    const cfg = join(dir, 'cfg.yaml');
    writeFileSync(cfg, `
routes:
  - name: ship
    actions: [receiver]
    template: raw-json
templates:
  - name: raw-json
    rego-package: hooker.rawmessage.json
actions:
  - name: receiver
    type: http
    enable: true
    url: ${receiverUrl}/in
    concurrency: 2
    retry-backoff: 50ms
`);
    const db = join(dir, 'hooker.db');
    console.log('start', Date.now());
    const first = await startHooker({ HOOKER_CFG: cfg, HOOKER_DB: db });
    procs.push(first);

    const accepted = new Set<number>();
    let next = 0;
    let killed = false;
    const poster = async () => {
      while (next < TOTAL && !killed) {
        const n = next++;
        try {
          const res = await request(`${first.url}/`, { method: 'POST', dispatcher: agent, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ n }) });
          await res.body.text();
          if (res.statusCode === 202) accepted.add(n);
        } catch {
          // Refused or cut by the kill: not accepted, the sender would retry.
        }
        if (accepted.size >= KILL_AFTER && !killed) {
          killed = true;
          await first.kill('SIGKILL');
        }
      }
    };
    await Promise.all(Array.from({ length: 16 }, poster));
    console.log('phase1', Date.now(), accepted.size, seen.size);
    const deliveredBeforeRestart = [...accepted].filter((n) => seen.has(n)).length;
    expect(deliveredBeforeRestart).toBeLessThan(accepted.size);

    const second = await startHooker({ HOOKER_CFG: cfg, HOOKER_DB: db });
    procs.push(second);
    // The rest of the load goes to the restarted server.
    const poster2 = async () => {
      while (next < TOTAL) {
        const n = next++;
        const res = await request(`${second.url}/`, { method: 'POST', dispatcher: agent, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ n }) });
        await res.body.text();
        if (res.statusCode === 202) accepted.add(n);
      }
    };
    await Promise.all(Array.from({ length: 16 }, poster2));
    console.log('phase2', Date.now(), accepted.size, seen.size, second.output().slice(0, 2000));

    const deadline = Date.now() + 60_000;
    while ([...accepted].some((n) => !seen.has(n)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const missing = [...accepted].filter((n) => !seen.has(n));
    const duplicated = [...seen.values()].filter((c) => c > 1).length;
    console.log(`crash test: accepted ${accepted.size}, delivered ${[...accepted].filter((n) => seen.has(n)).length}, duplicated ${duplicated}, delivered before the kill ${deliveredBeforeRestart}, resumed by the restart ${/resuming (\d+)/.exec(second.output())?.[1] ?? 0}`);
    expect(missing).toEqual([]);
    expect(accepted.size).toBeGreaterThan(TOTAL - 100);
    // A repeat carries the same Hooker-Delivery-Id, so the receiver can drop it.
    for (const ids of deliveryIds.values()) expect(ids.size).toBe(1);
    await second.stop();
  });
});
