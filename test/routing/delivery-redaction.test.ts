// Records and logs never show a secret carried in an action's URL, however
// often the same text comes back: the scheduler keeps the redacted form of
// the texts it met last (issue 12: three regular expressions per text per
// delivery), so a repeated line must come back redacted, not as it came in.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { httpAction } from '../../src/actions/http.js';
import type { DeliveryRecord } from '../../src/delivery/scheduler.js';
import { closeEngines, engine, route, table, until } from './engine-fixture.js';

afterEach(() => closeEngines());

let server: Server;
let port = 0;
let status = 200;
beforeAll(async () => {
  server = createServer((req, res) => { req.resume(); req.on('end', () => { res.statusCode = status; res.end('no'); }); });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }));

describe('delivery records', () => {
  it.each([200, 500])('show the URL\'s password and token redacted in every delivery\'s detail and log, the same text each time (answer %i)', async (answer) => {
    status = answer;
    const r = httpAction.create({ name: 'ship', type: 'http', url: `http://bob:hunter2@127.0.0.1:${port}/in?token=s3cr3t&page=1` }, {});
    if (!r.action) throw new Error(JSON.stringify(r.problems));
    const records: DeliveryRecord[] = [];
    const e = await engine(table([route('a', ['ship']), route('b', ['ship'])], () => ['a', 'b'], [r.action], { ship: { retries: 0 } }), ':memory:', { onRecord: (x) => records.push(x) });
    for (let n = 0; n < 5; n++) await e.router.route({ n }, { hops: 0, firstAttempts: false }).committed;
    await until(() => records.length === 10);
    for (const x of records) {
      const shown = [x.detail ?? '', ...x.log].join('\n');
      expect(shown).toContain(`http://bob:***@127.0.0.1:${port}/in?token=***&page=1`);
      expect(shown).not.toMatch(/hunter2|s3cr3t/);
      expect(x.ok).toBe(answer === 200);
    }
  });
});
