// In-process servers over real sockets and real SQLite files: faster than
// child processes for tests that restart a server on the same database.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readServerSettings } from '../../src/config/env.js';
import { startServer, type RunningServer } from '../../src/server/server.js';

export interface Hit { url: string; headers: IncomingHttpHeaders; body: string; at: number }

export interface Receiver {
  url: string;
  hits: Hit[];
  /** What to answer: a status, 'hang' (never answers) or a JSON body (200). */
  answer: (hit: Hit) => number | 'hang' | { json: unknown };
  close(): Promise<void>;
}

export async function receiver(answer: Receiver['answer'] = () => 200): Promise<Receiver> {
  const hits: Hit[] = [];
  const r: Receiver = { url: '', hits, answer, close: async () => {} };
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => { body += c; });
    req.on('end', () => {
      const hit = { url: req.url!, headers: req.headers, body, at: Date.now() };
      hits.push(hit);
      const a = r.answer(hit);
      if (a === 'hang') return;
      if (typeof a === 'number') { res.statusCode = a; res.end(a < 300 ? 'ok' : 'error'); return; }
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(a.json));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  r.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  r.close = () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); });
  return r;
}

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'hooker-it-'));
}

export async function serve(dir: string, cfgText: string, env: Record<string, string> = {}): Promise<RunningServer> {
  const cfg = join(dir, 'cfg.yaml');
  writeFileSync(cfg, cfgText);
  const all = { HOOKER_CFG: cfg, HOOKER_HTTP: '127.0.0.1:0', HOOKER_HTTPS: '', HOOKER_DB: join(dir, 'hooker.db'), HOOKER_ADMIN_TOKEN: 'adm', ...env };
  return startServer({ settings: readServerSettings(all, { cfgPath: cfg }), env: all, watchConfig: false, log: () => {} });
}

export async function until<T>(fn: () => T | undefined | false | Promise<T | undefined | false>, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
}
