// The server runs the worker threads its settings chose (settings.workerThreads,
// src/config/worker-threads.ts), passed in: the store opens in the SQLite
// writer thread, the http action sends from the HTTP client thread, and the
// start logs which mode runs, whatever the process's own environment says.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { readServerSettings } from '../../src/config/env.js';
import { createLogger } from '../../src/logging/logger.js';
import { startServer, type RunningServer } from '../../src/server/server.js';
import { ThreadedSqliteStore } from '../../src/store/sqlite/threaded-store.js';
import { ThreadedHttp1Client } from '../../src/actions/http1-thread.js';
import { receiver, tempDir, until, type Receiver } from '../e2e/server-harness.js';

const running: RunningServer[] = [];
const receivers: Receiver[] = [];
afterEach(async () => {
  vi.restoreAllMocks();
  await Promise.all(running.splice(0).map((s) => s.close()));
  await Promise.all(receivers.splice(0).map((r) => r.close()));
});

async function start(threads: '0' | '1', url: string) {
  const dir = tempDir();
  const cfg = join(dir, 'cfg.yaml');
  writeFileSync(cfg, `
routes:
  - name: all
    actions: [out]
    template: raw-json
templates:
  - name: raw-json
    rego-package: hooker.rawmessage.json
actions:
  - name: out
    type: http
    enable: true
    url: ${url}
`);
  const env = { HOOKER_CFG: cfg, HOOKER_HTTP: '127.0.0.1:0', HOOKER_HTTPS: '', HOOKER_DB: join(dir, 'hooker.db'), HOOKER_SQLITE_THREAD: threads, HOOKER_HTTP_THREAD: threads };
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({ level: 'info', format: 'json', destination: { write: (s: string) => { lines.push(JSON.parse(s) as Record<string, unknown>); } } });
  // The settings decide, not the test process's environment (the store and the actions no longer read it).
  const server = await startServer({ settings: readServerSettings(env, { cfgPath: cfg }), env, watchConfig: false, logger });
  running.push(server);
  return { server, lines };
}

describe('the server runs the worker threads its settings chose', () => {
  it.each([['1', true], ['0', false]] as const)('HOOKER_SQLITE_THREAD=HOOKER_HTTP_THREAD=%s: threads %s', async (setting, on) => {
    const sent = vi.spyOn(ThreadedHttp1Client.prototype, 'request');
    const r = await receiver();
    receivers.push(r);
    const { server, lines } = await start(setting, `${r.url}/in`);
    expect(server.engine.store instanceof ThreadedSqliteStore).toBe(on);
    const res = await fetch(`${server.httpUrl}/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":1}' });
    expect(res.status).toBe(202);
    await until(() => r.hits.length === 1);
    expect(sent.mock.calls.length).toBe(on ? 1 : 0);
    const line = lines.find((l) => String(l['msg']).startsWith('hooker: SQLite writer thread'));
    expect(line).toMatchObject({ level: 'info', sqliteThread: on, httpThread: on });
    expect(line!['msg']).toContain(`SQLite writer thread ${on ? 'on' : 'off'} (HOOKER_SQLITE_THREAD ${on ? 'on' : 'off'})`);
  });
});
