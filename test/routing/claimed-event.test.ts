// A claim does not parse the events of the rows it takes (issue 12: that
// parse was 2.4 % of the sustained phase's event loop, and its objects most
// of what claims left to the collector): a claimed delivery's event is
// parsed when something reads it. The http action sends the stored text and
// reads the event only for `event.input` references. These tests store
// deliveries unleased in a real SQLite file, damage one event's stored text
// behind the store's back, and let a second engine claim them: the claim
// and every delivery that does not read the event go on, a delivery that
// does read it fails with the parse error, and the others are unchanged.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { httpAction } from '../../src/actions/http.js';
import type { Action } from '../../src/actions/types.js';
import type { DeliveryRecord } from '../../src/delivery/scheduler.js';
import { Database } from '../../src/store/sqlite/driver.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { closeEngines, engine, route, table, until } from './engine-fixture.js';

const dirs: string[] = [];
afterEach(async () => {
  await closeEngines();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

interface Got { url: string; body: string; event: string }
let server: Server;
let base: string;
const got: Got[] = [];
beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => { body += c; });
    req.on('end', () => {
      got.push({ url: req.url!, body, event: Buffer.from(String(req.headers['hooker-event']), 'base64').toString('utf8') });
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }));

function http(name: string, url: string): Action {
  const r = httpAction.create({ name, type: 'http', url }, {});
  if (!r.action) throw new Error(JSON.stringify(r.problems));
  return r.action;
}

describe('a claimed delivery\'s event', () => {
  // Both ways the SQLite store runs: its rows made into deliveries on the event loop either way (claimedOf).
  it.each([false, true])('is parsed only when read: a stored text no reader can parse fails only the delivery that reads it (SQLite writer thread: %s)', async (sqliteThread) => {
    got.length = 0;
    // A directory of this test's own: closing the first engine (closeEngines) must leave the file.
    const dir = mkdtempSync(join(tmpdir(), 'hooker-claimed-event-'));
    const file = join(dir, 'hooker.db');
    dirs.push(dir);
    // `plain` sends the stored text (no reference); `byId` puts the event's id in its URL, so it reads the event.
    const routes = [route('plain', ['plain']), route('byId', ['byId'])];
    const actions = () => [http('plain', `${base}/plain`), http('byId', `${base}/by/event.input.n`)];
    // First engine: a rate limit of one attempt an hour keeps the deliveries stored unleased (a rate-limited
    // lane holds nothing in memory), the way a lane that fell behind leaves them for its claims.
    const first = await engine(table(routes, () => ['plain', 'byId'], actions(), {
      plain: { rateLimit: { count: 1, perMs: 3_600_000 } }, byId: { rateLimit: { count: 1, perMs: 3_600_000 } },
    }), file, { sqliteThread });
    for (let n = 1; n <= 4; n++) await first.router.route({ n }, { hops: 0, firstAttempts: false }).committed;
    await until(() => got.length === 2); // the one attempt each lane may start
    await closeEngines();
    // Event 3's stored text cut short, as no ingest would have stored it.
    const db = new Database(file);
    const damaged = db.prepare('SELECT id FROM events WHERE body = ?').get('{"n":3}') as { id: string };
    expect(db.prepare('UPDATE events SET body = ? WHERE id = ?').run('{"n":3,', damaged.id).changes).toBe(1);
    db.close();
    got.length = 0;

    const records: DeliveryRecord[] = [];
    const second = await engine(table(routes, () => ['plain', 'byId'], actions(), { byId: { retries: 0 } }), file, { sqliteThread, onRecord: (r) => records.push(r) });
    await until(() => records.length === 6);
    const byRoute = (r: string) => records.filter((x) => x.routeName === r);
    // The plain action sent every stored text as it is, the damaged one too: no claim failed on it.
    expect(byRoute('plain').every((x) => x.ok)).toBe(true);
    expect(got.filter((g) => g.url === '/plain').map((g) => g.body).sort()).toEqual(['{"n":2}', '{"n":3,', '{"n":4}']);
    expect(got.filter((g) => g.url === '/plain').every((g) => g.event === g.body)).toBe(true);
    // The action that reads the event: the two intact ones delivered with their own id, the damaged one failed by the parse.
    expect(got.filter((g) => g.url.startsWith('/by/')).map((g) => g.url).sort()).toEqual(['/by/2', '/by/4']);
    const failed = byRoute('byId').filter((x) => !x.ok);
    expect(failed.map((x) => x.eventId)).toEqual([damaged.id]);
    expect(failed[0]!.state).toBe('dead');
    expect(failed[0]!.detail).toMatch(/JSON|Unexpected|position|end/i);
  });
});
