// In-process servers over real sockets and real SQLite files: faster than
// child processes for tests that restart a server on the same database.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readServerSettings } from '../../src/config/env.js';
import { startServer, type RunningServer } from '../../src/server/server.js';
import { request } from 'undici';
import { testThreadEnv } from '../support/worker-threads.js';

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
  // The worker threads as the test run asks (test/support/worker-threads.ts), unless the test sets them.
  const all = { ...testThreadEnv(), HOOKER_CFG: cfg, HOOKER_HTTP: '127.0.0.1:0', HOOKER_HTTPS: '', HOOKER_DB: join(dir, 'hooker.db'), HOOKER_ADMIN_TOKEN: 'adm', ...env };
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

/**
 * A config of two routes, as-json (bundled raw-json template, action
 * to-json) and as-html (raw-html, action to-html), both filtered by `input`
 * when given; `toJson` and `toHtml` are the actions' YAML keys after their
 * names (type, url, policy), each on its own line indented by 4.
 */
export function nativeTemplatesConfig(opts: { input?: string; toJson: string; toHtml: string }): string {
  const input = opts.input ? `\n    input: ${opts.input}` : '';
  return `
routes:
  - name: as-json${input}
    actions: [to-json]
    template: raw-json
  - name: as-html${input}
    actions: [to-html]
    template: raw-html
templates:
  - name: raw-json
    rego-package: hooker.rawmessage.json
  - name: raw-html
    rego-package: hooker.rawmessage.html
actions:
  - name: to-json
    ${opts.toJson}
  - name: to-html
    ${opts.toHtml}
`;
}

export interface DeliveryRow { route: string; action: string; state: string; attempts: number; lastError?: string }

/** An event's deliveries as the admin API lists them (GET /deliveries?event=, with serve()'s admin token). */
export async function deliveriesOf(server: RunningServer, eventId: string): Promise<DeliveryRow[]> {
  const res = await request(`${server.httpUrl}/deliveries?event=${eventId}`, { headers: { authorization: 'Bearer adm' } });
  return ((await res.body.json()) as { deliveries: DeliveryRow[] }).deliveries;
}
