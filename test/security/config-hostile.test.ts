// Issue 15, cases 7, 16 and 17: a YAML alias bomb over the running
// configuration (POST /reload, file watch, `hooker validate`), `$VAR`
// inside strings, and the database files' permissions. Real server
// (in-process, real sockets and files).
import { afterAll, describe, expect, it, vi } from 'vitest';
import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readServerSettings } from '../../src/config/env.js';
import { startServer, type RunningServer } from '../../src/server/server.js';
import { main } from '../../src/cli/main.js';
import { startReceiver } from '../e2e/receiver.js';
import { serve, tempDir } from '../e2e/server-harness.js';
import { ADMIN, expectAlive, finishedDeliveries, post, until } from './actions-support.js';

/** Nine levels of nine aliases: 9^9 (387 million) strings once expanded. */
const BOMB = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
  ...'bcdefghi'.split('').map((k, i) => { const p = 'abcdefghi'[i]!; return `${k}: &${k} [${Array(9).fill(`*${p}`).join(',')}]`; }),
  'routes: []', ''].join('\n');

const GOOD = (receiverUrl: string) => `
routes:
  - name: all
    actions: [ship]
    template: raw
templates:
  - name: raw
    rego-package: hooker.rawmessage.json
actions:
  - name: ship
    type: http
    enable: true
    url: \${RECEIVER}/in/$ROUTE_PART?k=\${MISSING_VAR:-dflt}&cost=$$5&v=$5
    headers:
      Authorization: ["Bearer $COLLECTOR_TOKEN"]
`.replace('${RECEIVER}', receiverUrl);

describe('configuration and storage under hostile input', () => {
  const servers: RunningServer[] = [];
  afterAll(async () => { await Promise.all(servers.map((s) => s.close())); });

  it('an alias bomb written over the running config is a 422 on POST /reload; the old config keeps routing', async () => {
    const receiver = await startReceiver();
    const dir = tempDir();
    const s = await serve(dir, GOOD(receiver.url), { COLLECTOR_TOKEN: 'tok-1', ROUTE_PART: 'alerts' });
    servers.push(s);
    const base = s.httpUrl!;
    writeFileSync(join(dir, 'cfg.yaml'), BOMB);
    const res = await fetch(`${base}/reload`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}` } });
    expect(res.status).toBe(422);
    const body = await res.json() as { problems: string[] };
    expect(body.problems.join('\n')).toMatch(/cfg\.yaml.*alias/i);
    await expectAlive(base);
    // The running configuration still routes, and no accepted event is lost.
    const ev = await post(`${base}/`, { n: 1 });
    expect(ev.status).toBe(202);
    const rows = await finishedDeliveries(base, ev.json()['eventId'] as string);
    expect(rows.map((r) => r.state)).toEqual(['succeeded']);

    // Case 16: $VAR and ${VAR} inside longer strings; $$ is a literal $.
    const got = (await receiver.waitFor(1))[0]!;
    expect(got.url).toBe('/in/alerts?k=dflt&cost=$5&v=$5');
    expect(got.headers['authorization']).toBe('Bearer tok-1');
    await receiver.close();
  }, 120_000);

  it('an alias bomb seen by the file watcher is logged and rejected; the server keeps serving', async () => {
    const dir = tempDir();
    const cfg = join(dir, 'cfg.yaml');
    writeFileSync(cfg, GOOD('http://127.0.0.1:9'));
    const lines: string[] = [];
    const env = { HOOKER_CFG: cfg, HOOKER_HTTP: '127.0.0.1:0', HOOKER_HTTPS: '', HOOKER_DB: join(dir, 'data', 'hooker.db'), HOOKER_ADMIN_TOKEN: ADMIN };
    const s = await startServer({ settings: readServerSettings(env, { cfgPath: cfg }), env, watchConfig: true, log: (l) => lines.push(l) });
    servers.push(s);
    writeFileSync(cfg, BOMB);
    await until(() => lines.some((l) => /reload rejected/.test(l)), 30_000);
    expect(lines.join('\n')).toMatch(/alias/i);
    await expectAlive(s.httpUrl!);
    expect(s.holder.current.routes.has('all')).toBe(true);

    // Case 17: the data directory Hooker created is 0700, the database and its WAL files 0600.
    expect(statSync(join(dir, 'data')).mode & 0o777).toBe(0o700);
    for (const f of ['hooker.db', 'hooker.db-wal', 'hooker.db-shm']) expect(statSync(join(dir, 'data', f)).mode & 0o777, f).toBe(0o600);
  }, 120_000);

  it('a database file an older version left 0644 is narrowed to 0600', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'd'), { mode: 0o755 });
    writeFileSync(join(dir, 'd', 'hooker.db'), '', { mode: 0o644 });
    const s = await serve(dir, GOOD('http://127.0.0.1:9'), { HOOKER_DB: join(dir, 'd', 'hooker.db') });
    servers.push(s);
    expect(statSync(join(dir, 'd', 'hooker.db')).mode & 0o777).toBe(0o600);
  }, 120_000);

  it('hooker validate on an alias bomb: a located error and exit 1, no crash', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'bomb.yaml'), BOMB);
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    let code: number;
    let printed = '';
    try {
      code = await main(['validate', join(dir, 'bomb.yaml')]);
      printed = err.mock.calls.map((c) => String(c[0])).join('');
    } finally { err.mockRestore(); }
    expect(code).toBe(1);
    expect(printed).toMatch(/bomb\.yaml.*error.*alias/i);
  }, 120_000);
});
