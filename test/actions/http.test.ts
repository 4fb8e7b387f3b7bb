import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { httpAction } from '../../src/actions/http.js';
import { webhookAction } from '../../src/actions/webhook.js';
import { stdoutAction, createStdoutAction } from '../../src/actions/stdout.js';
import { deliveryContext } from '../server/delivery-context.js';
import { parseJson } from '../../src/json/lossless.js';

interface Seen { method: string; url: string; headers: IncomingMessage['headers']; body: string }
let server: Server;
let base: string;
const seen: Seen[] = [];
let status = 200;
let delayMs = 0;

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => { body += c; });
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, headers: req.headers, body });
      setTimeout(() => { res.statusCode = status; res.end('answer'); }, delayMs);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }));

function make(factory: typeof httpAction, config: Record<string, unknown>) {
  const r = factory.create({ name: 'h', type: 'http', ...config }, {});
  if (!r.action) throw new Error(JSON.stringify(r.problems));
  return r.action;
}

const event = { SigMetadata: { ID: 'TRC-2', Name: 'Anti-Debugging' }, Context: { hostName: 'node a/b' }, list: [{ k: 'v' }] };

describe('http action', () => {
  it('substitutes event.input references and sends Hooker-Event, Hooker-Hops and Hooker-Delivery-Id', async () => {
    seen.length = 0; status = 200; delayMs = 0;
    const a = make(httpAction, {
      url: `${base}/hook/event.input.Context.hostName`,
      method: 'PUT',
      headers: { 'X-Sig': ['event.input.SigMetadata.ID'] },
      'body-content': 'sig=event.input.SigMetadata.ID first=event.input.list[0].k',
    });
    const r = await a.deliver(deliveryContext({ event, hops: 2, deliveryId: 'del-9' }));
    expect(r.ok).toBe(true);
    const got = seen[0]!;
    expect(got.method).toBe('PUT');
    expect(got.url).toBe('/hook/node%20a%2Fb');
    expect(got.headers['x-sig']).toBe('TRC-2');
    expect(got.body).toBe('sig=TRC-2 first=v');
    expect(JSON.parse(Buffer.from(String(got.headers['hooker-event']), 'base64').toString('utf8'))).toEqual(event);
    expect(got.headers['hooker-hops']).toBe('3');
    expect(got.headers['hooker-delivery-id']).toBe('del-9');
  });

  it('sends the event as JSON when no body is configured (chaining to another Hooker)', async () => {
    seen.length = 0; status = 200; delayMs = 0;
    const r = await make(httpAction, { url: `${base}/next` }).deliver(deliveryContext({ event }));
    expect(r.ok).toBe(true);
    expect(seen[0]!.headers['content-type']).toBe('application/json');
    expect(JSON.parse(seen[0]!.body)).toEqual(event);
  });

  it('sends the stored text of the event as the body and in Hooker-Event when the delivery carries it', async () => {
    seen.length = 0; status = 200; delayMs = 0;
    // As the store keeps it: the event's JSON text (a large integer keeps every digit).
    const stored = '{"SigMetadata":{"ID":"TRC-2"},"count":12345678901234567890123}';
    const r = await make(httpAction, { url: `${base}/stored` }).deliver(deliveryContext({ event: parseJson(stored) as Record<string, unknown>, eventText: stored }));
    expect(r.ok).toBe(true);
    expect(seen[0]!.body).toBe(stored);
    expect(seen[0]!.headers['content-type']).toBe('application/json');
    expect(Buffer.from(String(seen[0]!.headers['hooker-event']), 'base64').toString('utf8')).toBe(stored);
  });

  it('sends the event\'s own Hooker-Event in place of a configured header of that name, its UTF-8 bytes base64-encoded', async () => {
    seen.length = 0; status = 200; delayMs = 0;
    const stored = '{"host":"nödé ☃","n":1}';
    const a = make(httpAction, { url: `${base}/own`, headers: { 'Hooker-Event': ['forged'], 'Hooker-Event-Omitted': ['1'], 'X-Keep': ['yes'] } });
    const r = await a.deliver(deliveryContext({ event: JSON.parse(stored) as Record<string, unknown>, eventText: stored }));
    expect(r.ok).toBe(true);
    expect(seen[0]!.headers['hooker-event']).toBe(Buffer.from(stored).toString('base64'));
    expect(seen[0]!.headers['hooker-event-omitted']).toBeUndefined();
    expect(seen[0]!.headers['x-keep']).toBe('yes');
    expect(seen[0]!.body).toBe(stored);
  });

  it("sends only its own Hooker-Hops, Hooker-Delivery-Id and Hooker-Event when the config names them in another letter case", async () => {
    seen.length = 0; status = 200; delayMs = 0;
    const stored = '{"n":2}';
    const a = make(httpAction, { url: `${base}/case`, headers: { 'hooker-hops': ['0'], 'HOOKER-DELIVERY-ID': ['forged'], 'hooker-event': ['forged'], 'X-Keep': ['yes'] } });
    const r = await a.deliver(deliveryContext({ event: JSON.parse(stored) as Record<string, unknown>, eventText: stored, hops: 2, deliveryId: 'd-case' }));
    expect(r.ok).toBe(true);
    // Node joins repeated headers with ", ": one value each means ours was the only one sent.
    expect(seen[0]!.headers['hooker-hops']).toBe('3');
    expect(seen[0]!.headers['hooker-delivery-id']).toBe('d-case');
    expect(seen[0]!.headers['hooker-event']).toBe(Buffer.from(stored).toString('base64'));
    expect(seen[0]!.headers['x-keep']).toBe('yes');
  });

  it('leaves Hooker-Event out for an event too large for a header (a scan report) and says so', async () => {
    seen.length = 0; status = 200; delayMs = 0;
    const big = { report: 'x'.repeat(40_000) };
    const r = await make(httpAction, { url: `${base}/big` }).deliver(deliveryContext({ event: big }));
    expect(r.ok).toBe(true);
    expect(seen[0]!.headers['hooker-event']).toBeUndefined();
    expect(seen[0]!.headers['hooker-event-omitted']).toBe(String(JSON.stringify(big).length));
    expect(JSON.parse(seen[0]!.body)).toEqual(big);
  });

  it('marks client errors as not retryable, server errors and timeouts as retryable', async () => {
    seen.length = 0; delayMs = 0;
    const a = make(httpAction, { url: `${base}/x` });
    status = 404;
    expect(await a.deliver(deliveryContext({ event }))).toMatchObject({ ok: false, retryable: false });
    status = 429;
    expect((await a.deliver(deliveryContext({ event }))).retryable).toBe(true);
    status = 502;
    expect((await a.deliver(deliveryContext({ event }))).retryable).toBe(true);
    status = 200;
  });

  it('fails the delivery (not retryable) when a referenced path is missing, without sending', async () => {
    seen.length = 0;
    const a = make(httpAction, { url: `${base}/x`, 'body-content': 'event.input.Context.nothere' });
    const r = await a.deliver(deliveryContext({ event }));
    expect(r).toMatchObject({ ok: false, retryable: false });
    expect(r.detail).toContain('event.input.Context.nothere does not exist');
    expect(seen).toHaveLength(0);
  });

  it('sends configured headers, body and URL without references as they are, and reads no event for them', async () => {
    seen.length = 0; status = 200; delayMs = 0;
    const a = make(httpAction, { url: `${base}/fixed?x=1`, headers: { 'X-Team': ['sec', 'ops'], 'Content-Type': 'text/x-alert' }, 'body-content': 'plain text' });
    // An event that throws when read: with the stored text, nothing here may read it (a claimed row's event is parsed only when read).
    const ctx = deliveryContext({ event, eventText: '{"n":1}' });
    Object.defineProperty(ctx, 'event', { get() { throw new Error('the event was read'); } });
    for (let i = 0; i < 2; i++) expect(await a.deliver(ctx)).toMatchObject({ ok: true, detail: `POST ${base}/fixed?x=1 answered 200` });
    for (const got of seen) {
      expect(got.url).toBe('/fixed?x=1');
      expect(got.headers['x-team']).toBe('sec, ops');
      expect(got.headers['content-type']).toBe('text/x-alert');
      expect(got.body).toBe('plain text');
      expect(Buffer.from(String(got.headers['hooker-event']), 'base64').toString('utf8')).toBe('{"n":1}');
    }
    // A configured value with a line break fails every delivery, not retryable, and sends nothing.
    seen.length = 0;
    const broken = make(httpAction, { url: `${base}/x`, headers: { 'X-Bad': 'a\r\nInjected: 1' } });
    expect(await broken.deliver(deliveryContext({ event }))).toMatchObject({ ok: false, retryable: false });
    expect(seen).toHaveLength(0);
  });

  it('treats non-2xx answers as failures', async () => {
    status = 500;
    const r = await make(httpAction, { url: `${base}/x` }).deliver(deliveryContext({ event }));
    status = 200;
    expect(r.ok).toBe(false);
    expect(r.detail).toContain('answered 500');
  });

  it('times out', async () => {
    delayMs = 1_000;
    const r = await make(httpAction, { url: `${base}/slow`, timeout: '200ms' }).deliver(deliveryContext({ event }));
    delayMs = 0;
    expect(r.ok).toBe(false);
    expect(r.detail).toContain('timed out');
  });

  it('validates its configuration', () => {
    expect(httpAction.create({ name: 'h', type: 'http' }, {}).problems[0]!.path).toBe('url');
    expect(httpAction.create({ name: 'h', type: 'http', url: 'ftp://x' }, {}).problems[0]!.path).toBe('url');
    expect(httpAction.create({ name: 'h', type: 'http', url: 'http://x', method: 'BREW' }, {}).problems[0]!.path).toBe('method');
    expect(httpAction.create({ name: 'h', type: 'http', url: 'http://x', 'body-file': '/nonexistent' }, {}).problems[0]!.path).toBe('body-file');
  });
});

describe('webhook action', () => {
  it('POSTs the rendered result as Postee did: text as is, JSON as JSON, content type application/json', async () => {
    seen.length = 0;
    const a = make(webhookAction, { url: `${base}/wh` });
    expect((await a.deliver(deliveryContext({ message: { title: 't', body: '[{"type":"header"}]' } }))).ok).toBe(true);
    expect((await a.deliver(deliveryContext({ message: { title: 't', body: '<b>html</b>' } }))).ok).toBe(true);
    expect(seen.map((s) => [s.method, s.headers['content-type'], s.body])).toEqual([
      ['POST', 'application/json', '[{"type":"header"}]'],
      ['POST', 'application/json', '<b>html</b>'],
    ]);
  });
});

describe('stdout action', () => {
  it('prints the rendered body as Postee did, one line per delivery', async () => {
    const out: string[] = [];
    const a = createStdoutAction('s', { write: (t) => out.push(t) });
    await a.deliver(deliveryContext({ routeName: 'r1', message: { title: 'T', body: 'B' } }));
    await a.deliver(deliveryContext({ routeName: 'r1', message: { title: 'T', body: 'line\n' } }));
    expect(out).toEqual(['B\n', 'line\n']);
    expect(stdoutAction.create({ name: 's', type: 'stdout' }, {}).action?.type).toBe('stdout');
  });
});
