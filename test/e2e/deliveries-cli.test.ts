// `hooker deliveries` against a running server over a real socket.
import { afterAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { runDeliveries } from '../../src/cli/deliveries.js';
import type { RunningServer } from '../../src/server/server.js';
import { receiver, serve, tempDir, until, type Receiver } from './server-harness.js';

let server: RunningServer;
let rx: Receiver;
afterAll(async () => { await server?.close(); await rx?.close(); });

async function cli(...argv: string[]): Promise<{ code: number; text: string }> {
  let text = '';
  const code = await runDeliveries([...argv, '--url', server.httpUrl!], (t) => { text += t; }, { HOOKER_ADMIN_TOKEN: 'adm' });
  return { code, text };
}

describe('hooker deliveries', () => {
  it('lists, shows, retries and purges', async () => {
    let fail = true;
    rx = await receiver(() => (fail ? 503 : 200));
    server = await serve(tempDir(), `
routes:
  - name: r
    actions: [h]
    template: raw-json
templates:
  - name: raw-json
    rego-package: hooker.rawmessage.json
actions:
  - name: h
    type: http
    enable: true
    retries: 1
    retry-backoff: 10ms
    url: ${rx.url}/
`);
    const res = await request(`${server.httpUrl}/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":1}' });
    await res.body.text();
    await until(async () => (await server.engine.store.deliveries.countByState()).dead === 1);

    const list = await cli('list', '--state', 'dead');
    expect(list.code).toBe(0);
    const id = (await server.engine.store.deliveries.list({ state: 'dead' }))[0]!.id;
    expect(list.text).toContain(id);
    expect(list.text).toMatch(/dead\s+2\s+r\s+h/);
    expect(list.text).toContain('dead 1');

    const show = await cli('show', id);
    expect(show.text).toContain('attempt 2');
    expect(show.text).toContain('answered 503');

    fail = false;
    expect((await cli('retry', id)).text).toContain('1 delivery(ies) queued again');
    await until(async () => (await server.engine.store.deliveries.get(id))?.state === 'succeeded');
    expect((await cli('retry', id)).code).toBe(1);
    expect((await cli('purge', '--older-than', '0s')).text).toContain('1 finished event(s) purged');
    expect(JSON.parse((await cli('list', '--json')).text).deliveries).toEqual([]);
  });
});
