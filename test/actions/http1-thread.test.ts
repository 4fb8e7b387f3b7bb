// The HTTP client thread's transport (http1-thread.ts, http1-thread-wire.ts):
// requests made in one turn cross in one message with their long texts sent
// once, so what must hold is that every request still arrives byte for byte
// as the event-loop client (Http1Client) sends it, whatever its body holds
// and however requests share or nearly share texts; answers reach their own
// requests; and the thread's death fails what is in flight while the next
// request starts a new thread. Real sockets, a real receiver.

import { afterEach, describe, expect, it } from 'vitest';
import * as net from 'node:net';
import type { AddressInfo } from 'node:net';
import { Http1Client, type Http1Request } from '../../src/actions/http1-client.js';
import { terminateClientThread, ThreadedHttp1Client } from '../../src/actions/http1-thread.js';

const closers: Array<() => Promise<void> | void> = [];
afterEach(async () => { for (const c of closers.splice(0).reverse()) await c(); });

/** Keeps every request's raw bytes (head and body) by its path; answers 200 with the body's bytes, or never for /silent. */
async function recorder() {
  const seen = new Map<string, Buffer>();
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let buf = Buffer.alloc(0);
    socket.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      for (;;) {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = buf.subarray(0, end).toString('latin1');
        const len = Number(/content-length: (\d+)/i.exec(head)?.[1] ?? 0);
        if (buf.length < end + 4 + len) return;
        const body = buf.subarray(end + 4, end + 4 + len);
        const path = head.split(' ')[1]!;
        seen.set(path, Buffer.from(buf.subarray(0, end + 4 + len)));
        buf = buf.subarray(end + 4 + len);
        if (path === '/silent') continue;
        socket.write(Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\r\ncontent-length: ${body.length}\r\n\r\n`, 'latin1'), body]));
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  closers.push(() => new Promise<void>((r) => { for (const s of sockets) s.destroy(); server.close(() => r()); }));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

const ascii = 'x'.repeat(200);
const pooled = Buffer.from(`pre${ascii}post`);
const allBytes = Buffer.from(Array.from({ length: 512 }, (_, i) => i % 256));
/** Bodies as an http action may send them: Buffers of any bytes, texts with NUL, lone surrogates, astral characters. */
const bodies: Array<string | Buffer> = [
  allBytes,
  allBytes, // the same Buffer again: one text for both
  Buffer.concat([allBytes.subarray(0, 511), Buffer.from([0])]), // same length, last byte differs
  pooled.subarray(3, 3 + ascii.length), // a view of a larger Buffer: its bytes only
  ascii, // a string with the same characters as the view above: sent as UTF-8 text, same bytes here
  'é'.repeat(100), // as a string: UTF-8 (2 bytes each) ...
  Buffer.from('é'.repeat(100), 'latin1'), // ... as bytes: one byte each; the same latin1 text crossing
  `nul\u0000${'n'.repeat(100)}\u0000end`,
  `lone \ud800 high and \udc00 low ${'s'.repeat(80)}`,
  `astral 😀 ${'a'.repeat(80)}`,
  '',
  'short',
];

function requestsFor(base: string): Http1Request[] {
  const header = 'h'.repeat(300);
  return bodies.map((body, i) => ({
    url: `${base}/${i}?${'q'.repeat(70)}`, method: 'POST', timeoutMs: 5_000, body,
    headers: { 'Hooker-Event': header, 'X-Long': i % 2 ? header : `${header.slice(1)}i`, 'X-Many': ['a', 'b'], 'content-type': 'application/octet-stream' },
  }));
}

describe('HTTP client thread transport', () => {
  it('requests made in one turn arrive byte for byte as the event-loop client sends them, each answered with its own answer', async () => {
    const viaThread = await recorder();
    const viaLoop = await recorder();
    const threaded = new ThreadedHttp1Client({ connections: 4 });
    const inLoop = new Http1Client({ connections: 4 });
    closers.push(() => threaded.close(), () => inLoop.close());
    // All in the same turn: one message to the thread, texts shared within it.
    const [fromThread, fromLoop] = await Promise.all([
      Promise.all(requestsFor(viaThread.url).map((r) => threaded.request(r))),
      Promise.all(requestsFor(viaLoop.url).map((r) => inLoop.request(r))),
    ]);
    expect(viaThread.seen.size).toBe(bodies.length);
    for (let i = 0; i < bodies.length; i++) {
      const strip = (b: Buffer) => b.toString('latin1').replace(/^host: .*\r\n/im, '');
      expect(strip(viaThread.seen.get(`/${i}?${'q'.repeat(70)}`)!), `request ${i}`).toBe(strip(viaLoop.seen.get(`/${i}?${'q'.repeat(70)}`)!));
      expect(fromThread[i]).toEqual(fromLoop[i]);
    }
    // The answers echo the bodies: each request got its own, near-equal bodies were not taken for one another.
    expect(fromThread[2]!.body).not.toBe(fromThread[0]!.body);
    expect(fromThread[5]!.body).not.toBe(fromThread[6]!.body);
  });

  it('the thread\'s death fails the requests in flight with a clear error, and the next request starts a new thread', async () => {
    const srv = await recorder();
    const c = new ThreadedHttp1Client({ connections: 2 });
    closers.push(() => c.close());
    expect((await c.request({ url: `${srv.url}/first`, method: 'POST', body: 'x', timeoutMs: 5_000 })).status).toBe(200);
    const inFlight = c.request({ url: `${srv.url}/silent`, method: 'POST', body: 'x', timeoutMs: 30_000 }).then(() => undefined, (e: Error) => e);
    await new Promise((r) => setTimeout(r, 100)); // sent and waiting for its answer
    expect(srv.seen.has('/silent')).toBe(true);
    await terminateClientThread();
    const e = await inFlight;
    expect(e?.message).toMatch(/^the HTTP client thread stopped: exited with code \d+$/);
    const again = await c.request({ url: `${srv.url}/again`, method: 'POST', body: 'after', timeoutMs: 5_000 });
    expect(again).toEqual({ status: 200, body: 'after' });
  });
});
