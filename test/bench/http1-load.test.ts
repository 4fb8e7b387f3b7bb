// The benches' raw-socket load (bench/http1-load.ts) counts what real
// clients send and offers what it says: a receiver that miscounts or a
// generator that sends another number of requests is a wrong figure in
// BENCHMARKS.md. Real clients (undici, node:http, Hooker's own HTTP/1.1
// client) and real servers (node:http) on loopback; the framing reader is fed
// the same messages split at every byte and at random points.

import { afterEach, describe, expect, it } from 'vitest';
import { createServer, request as httpRequest, Agent } from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { Pool } from 'undici';
import { FramingError, MessageReader, openLoop, startReceiver } from '../../bench/http1-load.js';
import { Http1Client } from '../../src/actions/http1-client.js';

const closers: Array<() => Promise<void> | void> = [];
afterEach(async () => { for (const c of closers.splice(0)) await c(); });

async function receiver() {
  const r = await startReceiver();
  closers.push(() => r.close());
  return { ...r, url: `http://127.0.0.1:${r.port}` };
}

const wall = () => performance.timeOrigin + performance.now();
/** A delivery body as Hooker sends it: the event with the generator's send time, here a second in the past. */
const body = (i: number) => JSON.stringify({ bench_sent_us: Math.round((wall() - 1_000) * 1000), n: i, text: 'x'.repeat(i % 50) });

/** Waits (bounded) until `f` holds; the counts are read from another socket's answers. */
async function until(f: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !f(); i++) await new Promise((r) => setTimeout(r, 10));
}

describe('the framing reader', () => {
  const messages = [
    'POST /in HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\n{"a":"b\r\n"}',
    'GET /stats?from=0 HTTP/1.1\r\nHost: x\r\n\r\n',
    'POST /in HTTP/1.1\r\ncontent-length:0\r\n\r\n',
    'POST /in HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n4;ext=1\r\nab\r\n\r\n3\r\ncde\r\n0\r\nX-Trailer: y\r\n\r\n',
    '\r\nPUT /hold?on=1 HTTP/1.1\r\nTRANSFER-ENCODING: gzip, chunked\r\n\r\nA\r\n0123456789\r\n0\r\n\r\n',
    'POST /in HTTP/1.1\r\nX-Content-Length: 99\r\nContent-Length: 3\r\n\r\nxyz',
  ];
  const expected = [
    ['POST /in HTTP/1.1', '{"a":"b\r\n"}'], ['GET /stats?from=0 HTTP/1.1', ''], ['POST /in HTTP/1.1', ''],
    ['POST /in HTTP/1.1', 'ab\r\ncde'], ['PUT /hold?on=1 HTTP/1.1', '0123456789'], ['POST /in HTTP/1.1', 'xyz'],
  ];
  const stream = Buffer.from(messages.join(''));
  const read = (pieces: Buffer[]) => {
    const got: string[][] = [];
    const reader = new MessageReader((line, b) => got.push([line, b!.toString('latin1')]), { keepBody: true, responses: false });
    for (const p of pieces) reader.push(p);
    return got;
  };

  it('reads pipelined requests in one piece, split at every byte, and at random points', () => {
    expect(read([stream])).toEqual(expected);
    expect(read([...stream].map((b) => Buffer.from([b])))).toEqual(expected);
    for (let at = 1; at < stream.length; at++) expect(read([stream.subarray(0, at), stream.subarray(at)])).toEqual(expected);
    fc.assert(fc.property(fc.uniqueArray(fc.integer({ min: 1, max: stream.length - 1 }), { maxLength: 40 }), (cuts) => {
      const points = [0, ...cuts.sort((a, b) => a - b), stream.length];
      expect(read(points.slice(1).map((p, i) => stream.subarray(points[i], p)))).toEqual(expected);
    }));
  });

  it('reads responses framed by length or chunks, and bodiless ones, and refuses unframed ones', () => {
    const got: string[] = [];
    const reader = new MessageReader((line) => got.push(line), { keepBody: false, responses: true });
    reader.push(Buffer.from('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 202 Accepted\r\ncontent-length: 5\r\n\r\nhelloHTTP/1.1 204 No Content\r\n\r\n'
      + 'HTTP/1.1 503 Service Unavailable\r\ntransfer-encoding: chunked\r\n\r\n2\r\nno\r\n0\r\n\r\n'));
    expect(got).toEqual(['HTTP/1.1 202 Accepted', 'HTTP/1.1 204 No Content', 'HTTP/1.1 503 Service Unavailable']);
    expect(() => reader.push(Buffer.from('HTTP/1.1 200 OK\r\n\r\nbody'))).toThrow(FramingError);
  });

  it('refuses what is not HTTP/1.1', () => {
    const reader = () => new MessageReader(() => {}, { keepBody: true, responses: false });
    expect(() => reader().push(Buffer.from('hello there\r\n\r\n'))).toThrow(FramingError);
    expect(() => reader().push(Buffer.from('POST / HTTP/1.1\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n'))).toThrow(/chunk size/);
    expect(() => reader().push(Buffer.from('POST / HTTP/1.1\r\ntransfer-encoding: chunked\r\n\r\n1\r\nab\r\n'))).toThrow(/longer than its size/);
    expect(() => reader().push(Buffer.alloc(70 * 1024, 'a'))).toThrow(/longer than/);
  });
});

describe('the receiver', () => {
  it('counts exactly what undici sends, one request per connection at a time and pipelined', async () => {
    const r = await receiver();
    for (const pipelining of [1, 10]) {
      const pool = new Pool(r.url, { connections: 4, pipelining });
      const before = r.counts.received;
      const answers = await Promise.all(Array.from({ length: 300 }, async (_, i) => {
        const res = await pool.request({ path: '/in', method: 'POST', headers: { 'content-type': 'application/json' }, body: body(i) });
        return `${res.statusCode} ${await res.body.text()}`;
      }));
      await pool.close();
      expect(new Set(answers)).toEqual(new Set(['200 ok']));
      expect(r.counts.received - before).toBe(300);
    }
    expect(r.counts.latencies).toHaveLength(600);
    // Each body said it was sent a second before it was: the latency read from it is at least that.
    for (const l of r.counts.latencies) expect(l).toBeGreaterThanOrEqual(1_000);
    expect(r.counts.malformed).toBe(0);
  });

  it('counts node:http requests with Content-Length and with chunked bodies', async () => {
    const r = await receiver();
    const agent = new Agent({ keepAlive: true, maxSockets: 3 });
    closers.push(() => agent.destroy());
    const post = (i: number) => new Promise<string>((resolve, reject) => {
      const req = httpRequest(`${r.url}/in`, { method: 'POST', agent }, (res) => {
        let text = '';
        res.on('data', (c: Buffer) => { text += c; });
        res.on('end', () => resolve(text));
      });
      req.on('error', reject);
      const text = body(i);
      // Every other request is sent in two writes: node:http frames that body as chunked.
      if (i % 2) { req.write(text.slice(0, 7)); req.end(text.slice(7)); } else req.end(text);
    });
    const answers = await Promise.all(Array.from({ length: 100 }, (_, i) => post(i)));
    expect(answers.every((a) => a === 'ok')).toBe(true);
    expect(r.counts.received).toBe(100);
    expect(r.counts.latencies).toHaveLength(100);
  });

  it("counts Hooker's HTTP/1.1 client's deliveries", async () => {
    const r = await receiver();
    const client = new Http1Client({ connections: 16 });
    closers.push(() => client.close());
    const answers = await Promise.all(Array.from({ length: 500 }, (_, i) => client.request({
      url: `${r.url}/in`, method: 'POST', headers: { 'content-type': 'application/json', 'Hooker-Event': 'e30=' }, body: Buffer.from(body(i)), timeoutMs: 30_000,
    })));
    expect(answers.filter((a) => a.status === 200 && a.body === 'ok')).toHaveLength(500);
    expect(r.counts.received).toBe(500);
    expect(r.counts.latencies).toHaveLength(500);
  });

  it('counts pipelined requests written at once and a request written a byte at a time, answering each in order', async () => {
    const r = await receiver();
    const socket = net.connect(r.port, '127.0.0.1');
    closers.push(() => { socket.destroy(); });
    let answers = '';
    socket.on('data', (d) => { answers += d.toString('latin1'); });
    const one = (i: number) => { const b = body(i); return `POST /in HTTP/1.1\r\nHost: x\r\nContent-Length: ${Buffer.byteLength(b)}\r\n\r\n${b}`; };
    socket.write(Array.from({ length: 20 }, (_, i) => one(i)).join(''));
    await until(() => r.counts.received === 20);
    for (const byte of Buffer.from(one(20))) {
      socket.write(Buffer.from([byte]));
      await new Promise((res) => setImmediate(res));
    }
    await until(() => r.counts.received === 21 && answers.split('HTTP/1.1 200 OK').length === 22);
    expect(r.counts.received).toBe(21);
    expect(answers).toBe('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok'.repeat(21));
    expect(r.counts.latencies).toHaveLength(21);
  });

  it('keeps its answers while held and counts them when released; stats report counts and latencies', async () => {
    const r = await receiver();
    const client = new Http1Client({ connections: 2 });
    closers.push(() => client.close());
    expect((await fetch(`${r.url}/hold?on=1`, { method: 'PUT' })).status).toBe(200);
    let answered = 0;
    const pending = Array.from({ length: 4 }, (_, i) => client.request({ url: `${r.url}/in`, method: 'POST', body: body(i), timeoutMs: 30_000 }).then((a) => { answered++; return a.status; }));
    // Two are read and held (the client's two sockets), two wait for a socket.
    await until(() => r.counts.holding === 2);
    expect(r.counts.holding).toBe(2);
    expect(answered).toBe(0);
    expect(r.counts.received).toBe(0);
    await fetch(`${r.url}/hold?on=0`, { method: 'PUT' });
    expect(await Promise.all(pending)).toEqual([200, 200, 200, 200]);
    const stats = (await (await fetch(`${r.url}/stats?from=1`)).json()) as { received: number; latencies: number[] };
    expect(stats.received).toBe(4);
    expect(stats.latencies).toHaveLength(3);
  }, 20_000);

  it('refuses bytes that are not HTTP and does not count them', async () => {
    const r = await receiver();
    const socket = net.connect(r.port, '127.0.0.1');
    let answer = '';
    socket.on('data', (d) => { answer += d.toString('latin1'); });
    const closed = new Promise((res) => socket.on('close', res));
    socket.write('GARBAGE\r\n\r\n');
    await closed;
    expect(answer).toMatch(/^HTTP\/1\.1 400 /);
    expect(r.counts).toMatchObject({ received: 0, malformed: 1 });
  });
});

describe('the open-loop generator', () => {
  it('offers exactly rate × duration requests, each with the event and its scheduled send time', async () => {
    const bodies: string[] = [];
    let status = 202;
    const server = createServer((req, res) => {
      let text = '';
      req.on('data', (c: Buffer) => { text += c; });
      req.on('end', () => { bodies.push(text); res.statusCode = status; res.end(status === 202 ? '{"ok":true}' : 'busy'); });
    });
    server.keepAliveTimeout = 60_000;
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    closers.push(() => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    const event = { SigMetadata: { ID: 'TRC-2' }, text: 'ünïcode' };

    const t0 = wall();
    const res = await openLoop(url, JSON.stringify(event), 400, 500, 8);
    expect(res).toMatchObject({ offered: 200, ok: 200, refused: 0, errors: 0 });
    expect(res.latencies).toHaveLength(200);
    expect(bodies).toHaveLength(200);
    // Each body is compact JSON as JSON.stringify writes it (the server may keep it as the event's text), the stamp an integer.
    for (const b of bodies) expect(JSON.stringify(JSON.parse(b))).toBe(b);
    const sent = bodies.map((b) => JSON.parse(b) as { bench_sent_us: number });
    for (const b of sent) expect(b).toEqual({ bench_sent_us: expect.any(Number), ...event });
    for (const b of sent) expect(Number.isSafeInteger(b.bench_sent_us)).toBe(true);
    // Scheduled send times: 2.5 ms apart from the start, whenever the request left.
    const at = sent.map((b) => b.bench_sent_us / 1000).sort((a, b) => a - b);
    expect(at[0]).toBeGreaterThanOrEqual(t0 - 1);
    for (let i = 1; i < at.length; i++) expect(at[i]! - at[i - 1]!).toBeCloseTo(2.5, 1);

    status = 503;
    expect(await openLoop(url, '{}', 100, 200, 2)).toMatchObject({ offered: 20, ok: 0, refused: 20, errors: 0 });
    expect(JSON.parse(bodies.at(-1)!)).toEqual({ bench_sent_us: expect.any(Number) });
  });

  it('delivers to the receiver exactly what it offered', async () => {
    const r = await receiver();
    const res = await openLoop(`${r.url}/in`, '{"a":1}', 1_000, 300, 4);
    expect(res).toMatchObject({ offered: 300, ok: 300, errors: 0 });
    expect(r.counts.received).toBe(300);
    expect(r.counts.latencies).toHaveLength(300);
  });

  it('warms up on the sockets it then measures with, counting only the measured requests', async () => {
    const sentAt: number[] = [];
    const connections: number[] = [];
    const server = createServer((req, res) => {
      let text = '';
      req.on('data', (c: Buffer) => { text += c; });
      req.on('end', () => { sentAt.push((JSON.parse(text) as { bench_sent_us: number }).bench_sent_us / 1000); res.statusCode = 202; res.end('{}'); });
    });
    server.keepAliveTimeout = 60_000;
    server.on('connection', () => connections.push(wall()));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    closers.push(() => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }));
    const t0 = wall();
    const res = await openLoop(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`, '{}', 200, 250, 1, 250);
    expect(res).toMatchObject({ offered: 50, ok: 50, refused: 0, errors: 0, warmupOk: 50 });
    expect(res.latencies).toHaveLength(50);
    expect(sentAt).toHaveLength(100);
    // One schedule through both parts: the measured requests are due from 250 ms on, 5 ms apart.
    const measured = sentAt.sort((a, b) => a - b).slice(50);
    expect(measured[0]! - t0).toBeGreaterThanOrEqual(249);
    // One socket (the limit), opened by the warm-up: none for the measured part.
    expect(connections).toHaveLength(1);
    expect(connections.every((at) => at < measured[0]!)).toBe(true);
  });

  it('counts requests on connections the server drops as errors', async () => {
    const server = net.createServer((s) => { s.on('data', () => s.destroy()); s.on('error', () => {}); });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    closers.push(() => new Promise<void>((r) => server.close(() => r())));
    const res = await openLoop(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`, '{}', 200, 100, 4);
    expect(res).toMatchObject({ offered: 20, ok: 0, errors: 20 });
  });
});
