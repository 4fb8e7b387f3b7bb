// The ingest gate: at most `perTurn` ingest requests start in one turn of the
// event loop, the rest in later turns in arrival order, with the poll phase
// (where deliveries' answers are read) between those turns.
import { describe, expect, it } from 'vitest';
import { createServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { TurnGate } from '../../src/server/turn-gate.js';

const turn = () => new Promise<void>((r) => setImmediate(r));

describe('TurnGate', () => {
  it('starts perTurn requests now and the rest in later turns, in arrival order', async () => {
    const gate = new TurnGate(4);
    const started: number[] = [];
    for (let i = 0; i < 10; i++) gate.run(() => started.push(i));
    expect(started).toEqual([0, 1, 2, 3]);
    expect(gate.pending).toBe(6);
    // A request arriving while others wait goes behind them.
    gate.run(() => started.push(10));
    await expect.poll(() => started.length).toBe(11);
    expect(started).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(gate.pending).toBe(0);
  });

  it('lets I/O callbacks run between the batches it starts (the deliveries\' answers are read there)', async () => {
    // A socket that receives a byte whenever asked: its data callback runs in the poll phase.
    // The client is destroyed at the end while pings may still be in flight: the server side's reset is expected.
    const server = createServer((s) => s.on('data', () => s.write('x')).on('error', () => {}));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const { createConnection } = await import('node:net');
    const client: Socket = createConnection((server.address() as AddressInfo).port, '127.0.0.1');
    await new Promise<void>((r) => client.once('connect', () => r()));
    try {
      const log: string[] = [];
      // The answer to each ping is an I/O callback; it pings again at once, like a delivery lane starting its next request.
      let pings = 0;
      client.on('data', () => { log.push('io'); if (++pings < 50) client.write('p'); });
      client.write('p');
      await new Promise<void>((r) => client.once('data', () => r()));
      const gate = new TurnGate(3);
      for (let i = 0; i < 30; i++) gate.run(() => log.push('start'));
      await expect.poll(() => gate.pending, { interval: 5 }).toBe(0);
      // The socket's answers were read while the 30 waited (10 turns of 3; a round trip here takes 2-3 turns),
      // not after all 30 had started in one go as without the gate.
      const first = log.indexOf('start');
      const last = log.lastIndexOf('start');
      expect(log.slice(first, last).filter((e) => e === 'io').length).toBeGreaterThanOrEqual(2);
      expect(log.filter((e) => e === 'start')).toHaveLength(30);
    } finally {
      client.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });

  it('past maxWaiting, starts at once rather than queueing without bound', () => {
    const gate = new TurnGate(1, 2);
    const started: number[] = [];
    for (let i = 0; i < 5; i++) gate.run(() => started.push(i));
    // 0 in this turn, 1 and 2 wait, 3 and 4 find the queue full and start at once.
    expect(started).toEqual([0, 3, 4]);
    expect(gate.pending).toBe(2);
  });
});
