// The HTTP client thread (HOOKER_HTTP_THREAD=1) starts when the first client
// is made, i.e. as the configuration's actions are built at server start, not
// with the first request: its isolate's start then runs before traffic, not
// beside the event loop in the first seconds of it (issue 12, BENCHMARKS.md
// "session 19: threads"). Its own file: the thread is per module instance.

import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { ThreadedHttp1Client, clientThreadStarted } from '../../src/actions/http1-thread.js';

describe('the HTTP client thread', () => {
  const closers: Array<() => Promise<void>> = [];
  afterAll(async () => { for (const c of closers) await c(); });

  it('starts with the first client, before any request, and serves that client\'s first request', async () => {
    expect(clientThreadStarted()).toBe(false);
    const c = new ThreadedHttp1Client({ connections: 1 });
    closers.push(() => c.close());
    expect(clientThreadStarted()).toBe(true);
    const sockets = new Set<net.Socket>();
    const server = net.createServer((socket) => {
      sockets.add(socket);
      socket.on('data', () => socket.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok'));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    closers.push(() => new Promise<void>((r) => { for (const s of sockets) s.destroy(); server.close(() => r()); }));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    await expect(c.request({ url, method: 'POST', body: 'x', timeoutMs: 5_000 })).resolves.toEqual({ status: 200, body: 'ok' });
    // A second client joins the running thread.
    const d = new ThreadedHttp1Client({ connections: 1 });
    closers.push(() => d.close());
    await expect(d.request({ url, method: 'POST', body: 'y', timeoutMs: 5_000 })).resolves.toEqual({ status: 200, body: 'ok' });
  });

  it('an idle thread does not keep the process up: a process that made a client and sent nothing exits by itself', () => {
    // The built module (test/global-setup.ts keeps dist/ current), as `hooker serve` runs it.
    const module = fileURLToPath(new URL('../../dist/actions/http1-thread.js', import.meta.url));
    const script = `import(${JSON.stringify(module)}).then((m) => { new m.ThreadedHttp1Client({ connections: 1 }); console.log(m.clientThreadStarted()); });`;
    const child = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 30_000 });
    expect(child.signal).toBeNull(); // not killed by the timeout
    expect(child.status).toBe(0);
    expect(child.stdout.trim()).toBe('true');
  });
});
