// Many senders at once against a real `hooker serve` process under overload
// (issue 12): 200 keep-alive connections post as fast as they are answered,
// ignoring Retry-After, to a server whose one action (concurrency 4) delivers
// far less than they offer, HOOKER_INBOX_HIGH_WATER=30 and the lag limit off.
// What a sender sees: a refused request gets its 503 + Retry-After on the
// connection it came on, the connection stays open and its next request is
// answered on it; every request gets an answer (none left waiting in the
// server), deliveries go on while the senders are refused, and every
// accepted event is delivered. No rates or durations are asserted.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { oneRouteConfig, startHooker, type HookerProcess } from './hooker-process.js';

const SENDERS = 200;

interface Sender {
  socket: Socket;
  answers: number[];
  /** Answers received after this sender's first 503, on the same connection. */
  afterRefusal: number;
  closed: boolean;
  inFlight?: string;
}

/** Reads HTTP/1.1 responses with Content-Length off a socket, one status per response. */
function onResponses(socket: Socket, each: (status: number) => void): void {
  let buf = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => {
    buf = Buffer.concat([buf, chunk]);
    for (;;) {
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = buf.subarray(0, end).toString('latin1');
      const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
      if (buf.length < end + 4 + length) return;
      buf = buf.subarray(end + 4 + length);
      each(Number(head.slice(9, 12)));
    }
  });
}

describe('many senders under overload (a real process, 200 keep-alive connections)', { timeout: 180_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'hooker-many-senders-'));
  let hooker: HookerProcess;
  let receiver: Server;
  const received = new Set<string>();

  beforeAll(async () => {
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => { body += c; });
      req.on('end', () => { received.add((JSON.parse(body) as { n: string }).n); res.end('ok'); });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()));
    const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
    writeFileSync(join(dir, 'cfg.yaml'), oneRouteConfig(`${url}/in`, { route: 'all', concurrency: 4 }));
    hooker = await startHooker({ HOOKER_CFG: join(dir, 'cfg.yaml'), HOOKER_INBOX_HIGH_WATER: '30', HOOKER_MAX_DELIVERY_LAG: '0' }, { startTimeoutMs: 120_000 });
  }, 180_000);

  afterAll(async () => {
    await hooker?.stop();
    await new Promise<void>((r) => { receiver?.closeAllConnections(); receiver?.close(() => r()); });
  });

  it('answers every sender on its own kept-alive connection, refused or not, delivers meanwhile and loses nothing', async () => {
    const { hostname, port } = new URL(hooker.url);
    const accepted: string[] = [];
    let stop = false;
    let n = 0;
    const send = (s: Sender) => {
      const id = `e${n++}`;
      s.inFlight = id;
      const body = JSON.stringify({ n: id });
      s.socket.write(`POST / HTTP/1.1\r\nhost: ${hostname}:${port}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
    };
    const senders: Sender[] = await Promise.all(Array.from({ length: SENDERS }, () => new Promise<Sender>((resolve, reject) => {
      const socket = connect(Number(port), hostname);
      const s: Sender = { socket, answers: [], afterRefusal: 0, closed: false };
      socket.on('close', () => { s.closed = true; });
      socket.once('error', reject);
      onResponses(socket, (status) => {
        if (s.answers.includes(503)) s.afterRefusal++;
        s.answers.push(status);
        if (status === 202) accepted.push(s.inFlight!);
        s.inFlight = undefined;
        if (!stop) send(s);
      });
      socket.once('connect', () => resolve(s));
    })));
    for (const s of senders) send(s);

    // The overload: refusals have started; deliveries are counted from there.
    await expect.poll(() => senders.some((s) => s.answers.includes(503)), { timeout: 60_000, interval: 50 }).toBe(true);
    const receivedAtFirstRefusal = received.size;
    // Until every sender was refused at least once and answered again on the same connection after it.
    await expect.poll(() => senders.every((s) => s.afterRefusal > 0), { timeout: 120_000, interval: 100 }).toBe(true);
    const receivedDuringOverload = received.size - receivedAtFirstRefusal;
    stop = true;
    // Every request in flight is answered: none is left waiting in the server.
    await expect.poll(() => senders.filter((s) => s.inFlight !== undefined).length, { timeout: 60_000, interval: 100 }).toBe(0);

    // No connection was closed by the server; each got a 503 and an answer after it on the same socket.
    expect(senders.filter((s) => s.closed)).toEqual([]);
    expect(senders.every((s) => s.answers.every((st) => st === 202 || st === 503))).toBe(true);
    // Deliveries went on while the senders were refused.
    expect(receivedDuringOverload).toBeGreaterThan(0);
    // Nothing accepted is lost.
    await expect.poll(() => accepted.filter((id) => !received.has(id)), { timeout: 60_000, interval: 200 }).toEqual([]);
    for (const s of senders) s.socket.destroy();
  });
});
