// Issue 15, case 1: event values in an http action's body, url and headers
// are data, never JSON or URL syntax. A real server (in-process, real
// sockets and SQLite file) posts to a real HTTP receiver.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startReceiver } from '../e2e/receiver.js';
import { serve, tempDir } from '../e2e/server-harness.js';
import type { RunningServer } from '../../src/server/server.js';
import { ADMIN, expectAlive, finishedDeliveries, post } from './actions-support.js';

describe('http action: event values cannot forge the request', () => {
  let server: RunningServer;
  const h = { url: '' };
  let receiver: Awaited<ReturnType<typeof startReceiver>>;

  beforeAll(async () => {
    receiver = await startReceiver();
    server = await serve(tempDir(), `
routes:
  - name: grant
    input: input.kind == "grant"
    actions: [grant]
    template: raw
  - name: typed
    input: input.kind == "typed"
    actions: [typed]
    template: raw
  - name: yamlmap
    input: input.kind == "yamlmap"
    actions: [yamlmap]
    template: raw
  - name: text
    input: input.kind == "text"
    actions: [text]
    template: raw
  - name: path
    input: input.kind == "path"
    actions: [path]
    template: raw
  - name: header
    input: input.kind == "header"
    actions: [header]
    template: raw
templates:
  - name: raw
    rego-package: hooker.rawmessage.json
actions:
  - name: grant
    type: http
    enable: true
    url: ${receiver.url}/grant
    body-content: '{"user": "event.input.user", "role": "viewer"}'
  - name: typed
    type: http
    enable: true
    url: ${receiver.url}/typed
    body-content: '{"count": event.input.count, "labels": event.input.labels, "note": "n=event.input.count"}'
  - name: yamlmap
    type: http
    enable: true
    url: ${receiver.url}/yamlmap
    body-content: {"user": "event.input.user", "role": "viewer"}
  - name: text
    type: http
    enable: true
    url: ${receiver.url}/text
    body-content: 'user=event.input.user'
  - name: path
    type: http
    enable: true
    url: ${receiver.url}/api/v1/users/event.input.user?q=event.input.q
  - name: header
    type: http
    enable: true
    url: ${receiver.url}/header
    headers:
      X-User: ["event.input.user"]
`, { HOOKER_ADMIN_TOKEN: ADMIN });
    h.url = server.httpUrl!;
  }, 120_000);
  afterAll(async () => { await server?.close(); await receiver?.close(); });

  async function deliver(event: Record<string, unknown>, path: string) {
    const before = receiver.got.length;
    const res = await post(`${h.url}/`, event);
    expect(res.status).toBe(202);
    const eventId = res.json()['eventId'] as string;
    const rows = await finishedDeliveries(h.url, eventId);
    const got = receiver.got.slice(before).find((g) => g.url.startsWith(path));
    return { rows, got };
  }

  it('the issue\'s case: a value closing its JSON string cannot add "role": "admin"', async () => {
    const user = 'alice", "role": "admin", "x": "';
    const { rows, got } = await deliver({ kind: 'grant', user }, '/grant');
    expect(rows.map((r) => r.state)).toEqual(['succeeded']);
    expect(got!.headers['content-type']).toBe('application/json');
    // Parsed by the receiver, the body has exactly the operator's keys.
    expect(JSON.parse(got!.body)).toEqual({ user, role: 'viewer' });
    expect(got!.body).not.toMatch(/"role":\s*"admin"/);
    await expectAlive(h.url);
  });

  it('a reference standing alone is inserted as JSON: numbers and objects keep their type', async () => {
    const labels = { team: 'a"b', n: [1, 2] };
    const { got } = await deliver({ kind: 'typed', count: 3, labels }, '/typed');
    expect(JSON.parse(got!.body)).toEqual({ count: 3, labels, note: 'n=3' });
    expect(got!.headers['content-type']).toBe('application/json');
    // A string where the operator expected a number stays one JSON string.
    const { got: got2 } = await deliver({ kind: 'typed', count: '1, "admin": true', labels: null }, '/typed');
    expect(JSON.parse(got2!.body)).toEqual({ count: '1, "admin": true', labels: null, note: 'n=1, "admin": true' });
  });

  it('body-content written as a YAML mapping is a JSON body with escaped values', async () => {
    const user = 'bob"}, {"role": "admin';
    const { got } = await deliver({ kind: 'yamlmap', user }, '/yamlmap');
    expect(JSON.parse(got!.body)).toEqual({ user, role: 'viewer' });
  });

  it('a text body stays text/plain even when the event makes it look like JSON', async () => {
    const { got } = await deliver({ kind: 'text', user: 'x' }, '/text');
    expect(got!.body).toBe('user=x');
    expect(got!.headers['content-type']).toBe('text/plain; charset=utf-8');
  });

  it('url values are percent-encoded and cannot climb out of the path', async () => {
    const { got } = await deliver({ kind: 'path', user: '../../admin?x=1#', q: 'a&b=c' }, '/api/');
    expect(got!.url).toBe('/api/v1/users/..%2F..%2Fadmin%3Fx%3D1%23?q=a%26b%3Dc');
    const { rows } = await deliver({ kind: 'path', user: '..', q: 'x' }, '/never');
    expect(rows[0]!.state).toBe('dead');
    expect(rows[0]!.lastError).toContain('would change the URL\'s path');
    expect(rows[0]!.attempts).toBe(1);
  });

  it('a header value with CR/LF is refused, not sent, and not retried', async () => {
    const before = receiver.got.length;
    const res = await post(`${h.url}/`, { kind: 'header', user: 'a\r\nX-Admin: yes' });
    expect(res.status).toBe(202);
    const rows = await finishedDeliveries(h.url, res.json()['eventId'] as string);
    expect(rows[0]).toMatchObject({ state: 'dead', attempts: 1 });
    expect(rows[0]!.lastError).toContain('header X-User');
    expect(receiver.got.slice(before).some((g) => g.url === '/header')).toBe(false);
    await expectAlive(h.url);
  });
});
