// The deliveries' HTTP/1.1 client against real servers on loopback: node:http
// and Fastify for what well-behaved receivers do, and servers written with
// net.createServer for what hostile or broken ones do (answers split at every
// byte, malformed framing, silence, closing sockets under the client).

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import Fastify from 'fastify';
import fc from 'fast-check';
import { Http1Client, HttpAnswerError } from '../../src/actions/http1-client.js';
import { describeHttpError } from '../../src/actions/http-send.js';
import { ThreadedHttp1Client } from '../../src/actions/http1-thread.js';
import { httpAction } from '../../src/actions/http.js';
import { deliveryContext } from '../server/delivery-context.js';
import { createSelfSignedCertificate } from '../../src/server/self-signed.js';

const port = (s: { address(): AddressInfo | string | null }) => (s.address() as AddressInfo).port;
const listen = <S extends net.Server>(s: S, host = '127.0.0.1') => new Promise<S>((r) => s.listen(0, host, () => r(s)));
const closers: Array<() => Promise<void> | void> = [];
afterEach(async () => { for (const c of closers.splice(0)) await c(); });

function client(opts: Partial<ConstructorParameters<typeof Http1Client>[0]> = {}): Http1Client {
  const c = new Http1Client({ connections: 4, ...opts });
  closers.push(() => c.close());
  return c;
}

/** A server of our own bytes: `answer` gets each request's head (and the socket), per connection. */
async function rawServer(answer: (req: string, socket: net.Socket, n: { conn: number; req: number }) => void | Promise<void>) {
  const sockets = new Set<net.Socket>();
  let conns = 0;
  const paths: string[] = [];
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    const conn = ++conns;
    let reqs = 0;
    let buf = '';
    socket.on('data', (d) => {
      buf += d.toString('latin1');
      let end: number;
      // Requests here carry no body or a Content-Length one.
      while ((end = buf.indexOf('\r\n\r\n')) >= 0) {
        const head = buf.slice(0, end);
        const len = Number(/content-length: (\d+)/i.exec(head)?.[1] ?? 0);
        if (buf.length < end + 4 + len) return;
        const req = buf.slice(0, end + 4 + len);
        buf = buf.slice(end + 4 + len);
        paths.push(req.split(' ')[1]!);
        void answer(req, socket, { conn, req: ++reqs });
      }
    });
  });
  await listen(server);
  closers.push(() => new Promise<void>((r) => { for (const s of sockets) s.destroy(); server.close(() => r()); }));
  return { url: `http://127.0.0.1:${port(server)}`, connections: () => conns, open: () => sockets.size, paths: () => paths };
}

/** A request to a server that never answers, aborted: it fails with the signal's reason and the server sees its socket closed. */
async function abortedWhileWaiting(c: { request: Http1Client['request'] }) {
  const srv = await rawServer(() => {});
  const ac = new AbortController();
  const p = c.request({ url: `${srv.url}/x`, method: 'POST', body: '{}', timeoutMs: 60_000, signal: ac.signal });
  await expect.poll(() => srv.connections()).toBe(1);
  ac.abort(new Error('shutting down'));
  await expect(p).rejects.toThrow('shutting down');
  await expect.poll(() => srv.open()).toBe(0);
}

const pause = () => new Promise((r) => setTimeout(r, 1));
/** Writes `text` in pieces cut at `cuts`, pausing between them so they arrive as separate reads. */
async function writeInPieces(socket: net.Socket, text: string, cuts: number[]) {
  let from = 0;
  for (const at of [...cuts, text.length]) {
    if (at > from) { socket.write(Buffer.from(text.slice(from, at), 'latin1')); await pause(); }
    from = Math.max(from, at);
  }
}

describe('against node:http and Fastify', () => {
  let server: HttpServer;
  let base: string;
  const seen: Array<{ method: string; url: string; headers: Record<string, unknown>; body: string; socket: number }> = [];
  const socketIds = new WeakMap<object, number>();
  let sockets = 0;
  beforeAll(async () => {
    server = createHttpServer((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (c) => { body += c; });
      req.on('end', () => {
        if (!socketIds.has(req.socket)) socketIds.set(req.socket, ++sockets);
        seen.push({ method: req.method!, url: req.url!, headers: req.headers, body, socket: socketIds.get(req.socket)! });
        if (req.url === '/slow') { setTimeout(() => res.end('late'), 50); return; }
        if (req.url === '/chunked') { res.write('part one, '); setImmediate(() => res.end('part two')); return; }
        if (req.url === '/big') { res.end('x'.repeat(300_000)); return; }
        if (req.url === '/empty') { res.statusCode = 204; res.end(); return; }
        res.statusCode = req.url === '/missing' ? 404 : 200;
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ got: body, ünï: 'cödé' }));
      });
    });
    await listen(server);
    base = `http://127.0.0.1:${port(server)}`;
  });
  afterAll(() => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }));

  it('sends method, path and query, Host, headers and a body, and reads the answer as text', async () => {
    seen.length = 0;
    const c = client();
    const a = await c.request({ url: `${base}/in/a%20b?x=1&y=ü`, method: 'PUT', headers: { 'X-One': '1', 'X-Many': ['a', 'b'] }, body: 'héllo', timeoutMs: 5_000 });
    expect(a.status).toBe(200);
    expect(JSON.parse(a.body)).toEqual({ got: 'héllo', ünï: 'cödé' });
    const got = seen[0]!;
    expect(got).toMatchObject({ method: 'PUT', url: '/in/a%20b?x=1&y=%C3%BC', body: 'héllo' });
    expect(got.headers).toMatchObject({ host: `127.0.0.1:${port(server)}`, 'x-one': '1', 'x-many': 'a, b', 'content-length': String(Buffer.byteLength('héllo')) });
    const b = await c.request({ url: `${base}/buf`, method: 'POST', body: Buffer.from('{"k":1}'), timeoutMs: 5_000 });
    expect(JSON.parse(b.body).got).toBe('{"k":1}');
  });

  it('reuses one keep-alive socket for sequential requests and opens at most `connections` for parallel ones', async () => {
    seen.length = 0;
    const c = client({ connections: 2 });
    for (let i = 0; i < 5; i++) expect((await c.request({ url: `${base}/seq`, method: 'POST', body: String(i), timeoutMs: 5_000 })).status).toBe(200);
    expect(new Set(seen.map((s) => s.socket)).size).toBe(1);
    seen.length = 0;
    const answers = await Promise.all(Array.from({ length: 9 }, (_, i) => c.request({ url: `${base}/slow`, method: 'POST', body: String(i), timeoutMs: 5_000 })));
    expect(answers.map((a) => a.body)).toEqual(Array(9).fill('late'));
    expect(new Set(seen.map((s) => s.socket)).size).toBeLessThanOrEqual(2);
    expect(seen.map((s) => s.body).sort()).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8']);
  });

  it('reads chunked answers, answers without a body (204, HEAD) and keeps only the first maxBodyBytes of a large one', async () => {
    seen.length = 0;
    const c = client({ connections: 1, maxBodyBytes: 1000 });
    expect(await c.request({ url: `${base}/chunked`, method: 'GET', timeoutMs: 5_000 })).toEqual({ status: 200, body: 'part one, part two' });
    expect(await c.request({ url: `${base}/empty`, method: 'POST', body: 'x', timeoutMs: 5_000 })).toEqual({ status: 204, body: '' });
    expect(await c.request({ url: `${base}/head`, method: 'HEAD', timeoutMs: 5_000 })).toEqual({ status: 200, body: '' });
    const big = await c.request({ url: `${base}/big`, method: 'GET', timeoutMs: 5_000 });
    expect(big).toEqual({ status: 200, body: 'x'.repeat(1000) });
    expect((await c.request({ url: `${base}/missing`, method: 'POST', body: 'y', timeoutMs: 5_000 })).status).toBe(404);
    // Every answer was read to its end: the one socket carried them all.
    expect(new Set(seen.map((s) => s.socket)).size).toBe(1);
  });

  it('refuses CR, LF or NUL in a header before anything is sent', async () => {
    seen.length = 0;
    const c = client();
    for (const headers of <Array<Record<string, string | string[]>>>[{ 'X-A': 'v\r\nX-Injected: 1' }, { 'X-A': ['ok', 'v\nw'] }, { 'X-A': 'v\0' }, { 'X-A': 'v\rw' }, { 'X-A': `${'A'.repeat(2_000)}\r` }, { 'X-A\r\nX-B': 'v' }]) {
      await expect(c.request({ url: `${base}/x`, method: 'POST', headers, body: 'b', timeoutMs: 5_000 })).rejects.toThrow(/line break or NUL|not an HTTP token/);
    }
    expect(seen).toHaveLength(0);
  });

  it('talks to Fastify: JSON in, JSON out, content-type parsed', async () => {
    const app = Fastify();
    app.post('/events', async (req) => ({ received: req.body, type: req.headers['content-type'] }));
    await app.listen({ port: 0, host: '127.0.0.1' });
    closers.push(() => app.close());
    const c = client();
    for (let i = 0; i < 3; i++) {
      const a = await c.request({ url: `http://127.0.0.1:${port(app.server)}/events`, method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ i }), timeoutMs: 5_000 });
      expect(a.status).toBe(200);
      expect(JSON.parse(a.body)).toEqual({ received: { i }, type: 'application/json' });
    }
  });
});

// Answers a user's receiver may legally send, each followed on the same socket by another request.
const answers: Array<{ name: string; wire: string; status: number; body: string; keepsSocket: boolean }> = [
  { name: 'Content-Length', wire: 'HTTP/1.1 201 Created\r\nContent-Length: 5\r\nX-Other: y\r\n\r\nhello', status: 201, body: 'hello', keepsSocket: true },
  { name: 'chunked with extensions and trailers', wire: 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4;name=value\r\nabcd\r\n3 ; q="x"\r\nefg\r\n0\r\nX-Trailer: t\r\nX-Digest: d\r\n\r\n', status: 200, body: 'abcdefg', keepsSocket: true },
  { name: 'interim 100 and 103 before the answer', wire: 'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>; rel=preload\r\n\r\nHTTP/1.1 202 Accepted\r\ncontent-length: 2\r\n\r\nok', status: 202, body: 'ok', keepsSocket: true },
  { name: 'bare LF line ends and a UTF-8 body', wire: 'HTTP/1.1 200 OK\ncontent-length: 5\n\n\xc3\xa9t\xc3\xa9', status: 200, body: 'été', keepsSocket: true },
  { name: '204 without a body', wire: 'HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n', status: 204, body: '', keepsSocket: true },
  { name: 'Connection: close', wire: 'HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 3\r\n\r\nbye', status: 200, body: 'bye', keepsSocket: false },
  { name: 'close-delimited', wire: 'HTTP/1.1 500 Oops\r\n\r\nno length, ends at close', status: 500, body: 'no length, ends at close', keepsSocket: false },
];

describe('answers split anywhere', () => {
  for (const a of answers) {
    it(`${a.name}: split at every byte boundary, then another request`, async () => {
      let cuts: number[] = [];
      const srv = await rawServer(async (req, socket) => {
        if (req.startsWith('GET /y ')) { socket.write('HTTP/1.1 200 OK\r\ncontent-length: 4\r\n\r\nnext'); return; }
        await writeInPieces(socket, a.wire, cuts);
        if (!a.keepsSocket) socket.end();
      });
      const c = client({ connections: 1 });
      for (let cut = 1; cut < a.wire.length; cut++) {
        cuts = [cut];
        expect(await c.request({ url: `${srv.url}/x`, method: 'GET', timeoutMs: 5_000 })).toEqual({ status: a.status, body: a.body });
        expect(await c.request({ url: `${srv.url}/y`, method: 'GET', timeoutMs: 5_000 })).toEqual({ status: 200, body: 'next' });
      }
      // A kept socket carried every request; after a closing answer the next request took a new one.
      expect(srv.connections()).toBe(a.keepsSocket ? 1 : a.wire.length);
    });
  }

  it('any chunking of any of them (fast-check)', async () => {
    let current = answers[0]!;
    let cuts: number[] = [];
    const srv = await rawServer(async (_req, socket) => {
      const a = current;
      await writeInPieces(socket, a.wire, cuts);
      if (!a.keepsSocket) socket.end();
    });
    const c = client({ connections: 1 });
    await fc.assert(fc.asyncProperty(
      fc.constantFrom(...answers),
      fc.array(fc.nat(), { maxLength: 8 }),
      async (a, raw) => {
        current = a;
        cuts = [...new Set(raw.map((r) => r % a.wire.length))].sort((x, y) => x - y);
        expect(await c.request({ url: `${srv.url}/x`, method: 'GET', timeoutMs: 5_000 })).toEqual({ status: a.status, body: a.body });
      },
    ), { numRuns: 60 });
  });
});

describe('broken or hostile servers', () => {
  async function failureOf(wire: string, opts: { close?: boolean; maxHeaderBytes?: number } = {}) {
    const srv = await rawServer((_req, socket) => { socket.write(Buffer.from(wire, 'latin1')); if (opts.close) socket.end(); });
    const c = client({ ...(opts.maxHeaderBytes ? { maxHeaderBytes: opts.maxHeaderBytes } : {}) });
    const err = await c.request({ url: `${srv.url}/x`, method: 'POST', body: '{}', timeoutMs: 5_000 }).then(() => undefined, (e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    // The broken socket is not kept: nothing is left open on the server.
    await expect.poll(() => srv.open()).toBe(0);
    return err!;
  }

  it('names what was wrong with a malformed answer', async () => {
    expect((await failureOf('garbage\r\n\r\n')).message).toBe('malformed status line "garbage"');
    expect((await failureOf('HTTP/1.1 2000 OK\r\n\r\n')).message).toMatch(/^malformed status line/);
    expect((await failureOf('HTTP/1.1 200 OK\r\nno colon here\r\n\r\n')).message).toBe('malformed header line "no colon here"');
    expect((await failureOf('HTTP/1.1 200 OK\r\nContent-Length: 12x\r\n\r\n')).message).toMatch(/^malformed Content-Length/);
    expect((await failureOf('HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd')).message).toBe('conflicting Content-Length headers');
    expect((await failureOf('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n')).message).toMatch(/^malformed chunked body: chunk size line "zz"/);
    expect((await failureOf('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n0\r\n\r\n')).message).toBe('malformed chunked body: chunk data longer than its size');
    expect((await failureOf('HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\n\r\n')).message).toBe('unexpected 101 Switching Protocols');
  });

  it('refuses oversized headers, naming the bound, instead of buffering them', async () => {
    const err = await failureOf(`HTTP/1.1 200 OK\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    expect(err).toBeInstanceOf(HttpAnswerError);
    expect(err.message).toBe('answer headers larger than 16384 bytes');
    // Never-ending headers without a line end fail alike.
    expect((await failureOf(`HTTP/1.1 200 OK\r\nX: ${'a'.repeat(5_000)}`, { maxHeaderBytes: 4096 })).message).toBe('answer headers larger than 4096 bytes');
  });

  it('fails a body cut short by the server closing, saying how much arrived', async () => {
    expect((await failureOf('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc', { close: true })).message).toBe('connection closed after 3 of 10 body bytes');
    expect((await failureOf('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab', { close: true })).message).toBe('connection closed in the middle of a chunked body');
    expect((await failureOf('HTTP/1.1 200 OK\r\nX-A: b\r\n', { close: true })).message).toBe('connection closed in the middle of the answer headers');
    expect((await failureOf('', { close: true })).message).toBe('connection closed before an answer');
  });

  it('times out on a server that never answers, and the timeout names its length', async () => {
    const srv = await rawServer(() => {});
    const c = client();
    const err = await c.request({ url: `${srv.url}/x`, method: 'POST', body: '{}', timeoutMs: 200 }).then(() => undefined, (e: unknown) => e);
    expect(describeHttpError(err, 200)).toBe('timed out after 200 ms');
    await expect.poll(() => srv.open()).toBe(0);
  });

  it('destroys the socket when the delivery is aborted, failing with the signal reason', () => abortedWhileWaiting(client()));

  it('many requests sharing one abort signal (deliveries started together) all fail with its reason, without a listener-leak warning', async () => {
    const srv = await rawServer(() => {});
    const warnings: Error[] = [];
    const onWarning = (w: Error) => { warnings.push(w); };
    process.on('warning', onWarning);
    try {
      for (const c of [client({ connections: 30 }), new ThreadedHttp1Client({ connections: 30 })]) {
        if (c instanceof ThreadedHttp1Client) closers.push(() => c.close());
        const ac = new AbortController();
        const all = Array.from({ length: 25 }, () => c.request({ url: `${srv.url}/x`, method: 'POST', body: '{}', timeoutMs: 60_000, signal: ac.signal }).then(() => 'answered', (e: Error) => e.message));
        await expect.poll(() => srv.open()).toBe(25);
        ac.abort(new Error('shutting down'));
        expect(await Promise.all(all)).toEqual(Array(25).fill('shutting down'));
        await expect.poll(() => srv.open()).toBe(0);
      }
      await new Promise((r) => setImmediate(r));
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings.map((w) => w.name)).not.toContain('MaxListenersExceededWarning');
  });

  it('a request waiting for a socket that is aborted leaves the queue, is never sent, and the next one takes its turn (on the loop and in the thread)', async () => {
    const held: net.Socket[] = [];
    const srv = await rawServer((req, socket) => {
      // The first request is held until released; every later one is answered at once with its path.
      const path = req.split(' ')[1]!;
      if (path === '/first') { held.push(socket); return; }
      socket.write(`HTTP/1.1 200 OK\r\ncontent-length: ${path.length}\r\n\r\n${path}`);
    });
    const seen = () => srv.connections();
    // Another origin: its answer comes back after the thread has taken every message sent before it (the abort's cancel).
    const other = await rawServer((_req, socket) => { socket.write('HTTP/1.1 204 No Content\r\n\r\n'); });
    for (const c of [client({ connections: 1 }), new ThreadedHttp1Client({ connections: 1 })]) {
      if (c instanceof ThreadedHttp1Client) closers.push(() => c.close());
      held.length = 0;
      const before = seen();
      const first = c.request({ url: `${srv.url}/first`, method: 'POST', body: '{}', timeoutMs: 5_000 });
      await expect.poll(() => held.length).toBe(1);
      const ac = new AbortController();
      const queued = c.request({ url: `${srv.url}/aborted`, method: 'POST', body: '{}', timeoutMs: 5_000, signal: ac.signal });
      const next = c.request({ url: `${srv.url}/next`, method: 'POST', body: '{}', timeoutMs: 5_000 });
      ac.abort(new Error('delivery closed'));
      await expect(queued).rejects.toThrow('delivery closed');
      expect((await c.request({ url: `${other.url}/probe`, method: 'GET', timeoutMs: 5_000 })).status).toBe(204);
      held[0]!.write('HTTP/1.1 200 OK\r\ncontent-length: 6\r\n\r\n/first');
      expect((await first).body).toBe('/first');
      expect((await next).body).toBe('/next');
      // One connection throughout, which never carried the aborted request.
      expect(seen() - before).toBe(1);
    }
    expect(srv.paths()).toEqual(['/first', '/next', '/first', '/next']);
  });

  it('sends on a fresh socket after the server closed an idle keep-alive one', async () => {
    // The server answers one request per connection and then closes it a moment later.
    const srv = await rawServer((_req, socket) => { socket.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok'); setTimeout(() => socket.end(), 20); });
    const c = client({ connections: 1 });
    for (let i = 0; i < 3; i++) {
      expect(await c.request({ url: `${srv.url}/x`, method: 'GET', timeoutMs: 5_000 })).toEqual({ status: 200, body: 'ok' });
      await expect.poll(() => srv.open()).toBe(0);
    }
    expect(srv.connections()).toBe(3);
  });

  it('retries once on a fresh socket when a reused one is closed as the request arrives (the keep-alive race)', async () => {
    // Connection 1 answers its first request, then drops the socket on the second without a word.
    const srv = await rawServer((_req, socket, n) => {
      if (n.conn === 1 && n.req === 2) { socket.destroy(); return; }
      socket.write(`HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n${n.conn}${n.req}`);
    });
    const c = client({ connections: 1 });
    expect((await c.request({ url: `${srv.url}/x`, method: 'POST', body: 'a', timeoutMs: 5_000 })).body).toBe('11');
    expect((await c.request({ url: `${srv.url}/x`, method: 'POST', body: 'b', timeoutMs: 5_000 })).body).toBe('21');
    // A fresh socket that fails the same way is an error, not a loop.
    const srv2 = await rawServer((_req, socket) => { socket.destroy(); });
    await expect(c.request({ url: `${srv2.url}/x`, method: 'POST', body: 'c', timeoutMs: 5_000 })).rejects.toThrow(/connection closed before an answer|ECONNRESET/);
  });

  it('closes a socket idle for longer than idleTimeoutMs, and does not reuse one past the server\'s Keep-Alive timeout', async () => {
    const srv = await rawServer((_req, socket) => { socket.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\nKeep-Alive: timeout=1\r\n\r\nok'); });
    const c = client({ connections: 1, idleTimeoutMs: 150 });
    await c.request({ url: `${srv.url}/x`, method: 'GET', timeoutMs: 5_000 });
    await expect.poll(() => srv.open()).toBe(0);
    // timeout=1 s minus the client's margin leaves nothing: every request gets a new socket.
    const c2 = client({ connections: 1 });
    await c2.request({ url: `${srv.url}/x`, method: 'GET', timeoutMs: 5_000 });
    await c2.request({ url: `${srv.url}/x`, method: 'GET', timeoutMs: 5_000 });
    expect(srv.connections()).toBe(3);
  });

  it('does not reuse a socket that sent bytes after its answer', async () => {
    const srv = await rawServer((_req, socket) => { socket.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nokHTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nextra'); });
    const c = client({ connections: 1 });
    expect((await c.request({ url: `${srv.url}/x`, method: 'GET', timeoutMs: 5_000 })).body).toBe('ok');
    expect((await c.request({ url: `${srv.url}/x`, method: 'GET', timeoutMs: 5_000 })).body).toBe('ok');
    expect(srv.connections()).toBe(2);
  });

  it('fails with the connect error for a port nobody listens on', async () => {
    const srv = await listen(net.createServer());
    const p = port(srv);
    await new Promise((r) => srv.close(r));
    await expect(client().request({ url: `http://127.0.0.1:${p}/`, method: 'POST', body: 'x', timeoutMs: 5_000 })).rejects.toThrow(/ECONNREFUSED/);
  });
});

describe('https', () => {
  it('verifies the certificate against the trusted CAs, sends SNI and ALPN http/1.1', async () => {
    const { certPem, keyPem } = createSelfSignedCertificate({ hosts: ['localhost', '127.0.0.1'] });
    const seen: Array<{ servername: string | false; alpn: string | false | null }> = [];
    const server = createHttpsServer({ cert: certPem, key: keyPem, ALPNProtocols: ['h2', 'http/1.1'] }, (req, res) => {
      const s = req.socket as TLSSocket;
      seen.push({ servername: (s as unknown as { servername: string | false }).servername, alpn: s.alpnProtocol });
      res.end('secure');
    });
    await listen(server);
    closers.push(() => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }));
    const p = port(server);

    // Not trusted: the default CAs do not include a self-signed certificate.
    const err = await client().request({ url: `https://127.0.0.1:${p}/`, method: 'GET', timeoutMs: 5_000 }).then(() => undefined, (e: Error) => e);
    expect(err?.message).toMatch(/self[- ]signed certificate/);

    const trusting = client({ ca: certPem });
    expect(await trusting.request({ url: `https://localhost:${p}/`, method: 'GET', timeoutMs: 5_000 })).toEqual({ status: 200, body: 'secure' });
    expect(await trusting.request({ url: `https://127.0.0.1:${p}/`, method: 'GET', timeoutMs: 5_000 })).toEqual({ status: 200, body: 'secure' });
    expect(seen).toEqual([{ servername: 'localhost', alpn: 'http/1.1' }, { servername: false, alpn: 'http/1.1' }]);

    // Trusted but for another name: refused.
    const other = createSelfSignedCertificate({ hosts: ['elsewhere.example'] });
    const server2 = createHttpsServer({ cert: other.certPem, key: other.keyPem }, (_req, res) => res.end('no'));
    await listen(server2);
    closers.push(() => new Promise<void>((r) => { server2.closeAllConnections(); server2.close(() => r()); }));
    await expect(client({ ca: other.certPem }).request({ url: `https://127.0.0.1:${port(server2)}/`, method: 'GET', timeoutMs: 5_000 }))
      .rejects.toThrow(/does not match|altnames/i);
  });
});

describe('in the client thread (the built server\'s default)', () => {
  it('sends and answers as the in-thread client does, errors keep their name and wording', async () => {
    const srv = await rawServer((req, socket) => {
      if (req.startsWith('POST /silent ')) return;
      const body = req.slice(req.indexOf('\r\n\r\n') + 4);
      // The request's bytes (read as latin1) echoed back unchanged.
      socket.write(Buffer.from(`HTTP/1.1 200 OK\r\ncontent-length: ${body.length}\r\n\r\n${body}`, 'latin1'));
    });
    const c = new ThreadedHttp1Client({ connections: 2 });
    closers.push(() => c.close());
    // A Buffer body that is a view of a larger (pooled) one: exactly its bytes are sent.
    const pooled = Buffer.from('xx{"k":"välue"}yy');
    const answers = await Promise.all([
      c.request({ url: `${srv.url}/a`, method: 'POST', body: 'text body', timeoutMs: 5_000 }),
      c.request({ url: `${srv.url}/b`, method: 'POST', body: pooled.subarray(2, pooled.length - 2), timeoutMs: 5_000 }),
    ]);
    expect(answers).toEqual([{ status: 200, body: 'text body' }, { status: 200, body: '{"k":"välue"}' }]);
    const timedOut = await c.request({ url: `${srv.url}/silent`, method: 'POST', body: 'x', timeoutMs: 200 }).then(() => undefined, (e: unknown) => e);
    expect(describeHttpError(timedOut, 200)).toBe('timed out after 200 ms');
    await expect(c.request({ url: `${srv.url}/a`, method: 'POST', headers: { 'X-A': 'v\r\nX-B: 1' }, body: 'x', timeoutMs: 5_000 }))
      .rejects.toThrow('header X-A: the value contains a line break or NUL, refused');
  });

  it('a request\'s base64Of is encoded by the client, on the loop and in the thread: the header carries its UTF-8 bytes, or its size when too long', async () => {
    // Each request's head and body as the receiver got them, bytes read back as UTF-8.
    const got: Array<{ head: string; body: string }> = [];
    const srv = await rawServer((req, socket) => {
      const bytes = Buffer.from(req, 'latin1');
      const end = bytes.indexOf('\r\n\r\n');
      got.push({ head: bytes.subarray(0, end).toString('utf8'), body: bytes.subarray(end + 4).toString('utf8') });
      socket.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok');
    });
    const base64Header = { name: 'X-Event', omittedName: 'X-Event-Omitted', maxChars: 40 };
    const text = '{"k":"välue ☃"}'; // 18 bytes in UTF-8: 24 base64 characters
    const long = `{"k":"${'é'.repeat(20)}"}`; // 48 bytes: 64 characters, over maxChars
    const header = (head: string, name: string) => new RegExp(`^${name}: (.*)$`, 'mi').exec(head)?.[1];
    for (const c of [client({ base64Header }), new ThreadedHttp1Client({ connections: 2, base64Header })]) {
      closers.push(() => c.close());
      got.length = 0;
      // The body is the same text (encoded once for both), another text, absent; and a text too long for the header.
      await c.request({ url: `${srv.url}/same`, method: 'POST', body: text, base64Of: text, timeoutMs: 5_000 });
      await c.request({ url: `${srv.url}/other`, method: 'POST', body: 'plain', base64Of: text, timeoutMs: 5_000 });
      await c.request({ url: `${srv.url}/none`, method: 'GET', base64Of: text, timeoutMs: 5_000 });
      await c.request({ url: `${srv.url}/long`, method: 'POST', body: long, base64Of: long, timeoutMs: 5_000 });
      expect(got.map((g) => g.body)).toEqual([text, 'plain', '', long]);
      for (const g of got.slice(0, 3)) {
        expect(Buffer.from(header(g.head, 'X-Event')!, 'base64').toString('utf8')).toBe(text);
        expect(header(g.head, 'X-Event-Omitted')).toBeUndefined();
      }
      expect(header(got[0]!.head, 'content-length')).toBe(String(Buffer.byteLength(text)));
      expect(header(got[3]!.head, 'X-Event')).toBeUndefined();
      expect(header(got[3]!.head, 'X-Event-Omitted')).toBe(String(Buffer.byteLength(long)));
      expect(header(got[3]!.head, 'content-length')).toBe(String(Buffer.byteLength(long)));
    }
    // A client without base64Header sends no such header.
    got.length = 0;
    await client().request({ url: `${srv.url}/plain`, method: 'POST', body: text, base64Of: text, timeoutMs: 5_000 });
    expect(got[0]!.body).toBe(text);
    expect(got[0]!.head).not.toMatch(/X-Event/i);
  });

  it('an abort fails the request at once and the thread closes its socket', async () => {
    const c = new ThreadedHttp1Client({ connections: 2 });
    closers.push(() => c.close());
    await abortedWhileWaiting(c);
  });

  it('the http action delivers through the thread with the httpThread service (HOOKER_HTTP_THREAD) and on the event loop without', async () => {
    const seen: string[] = [];
    const srv = await rawServer((req, socket) => { seen.push(req.split('\r\n')[0]!); socket.write('HTTP/1.1 201 Created\r\ncontent-length: 11\r\n\r\n{"id":"x1"}'); });
    for (const httpThread of [true, false]) {
      const action = httpAction.create({ name: 'h', type: 'http', url: `${srv.url}/hook` }, {}, { httpThread }).action!;
      closers.push(() => action.close?.());
      const r = await action.deliver(deliveryContext({ event: { a: 1 } }));
      expect(r).toMatchObject({ ok: true, detail: `POST ${srv.url}/hook answered 201`, eventUpdate: { id: 'x1' } });
    }
    expect(seen).toEqual(['POST /hook HTTP/1.1', 'POST /hook HTTP/1.1']);
  });
});
