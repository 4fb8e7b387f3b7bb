// A local stand-in for a service's HTTP API: it checks what the real service
// checks (each test's handler) and answers as the service does. Every
// request is recorded with its parsed body.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Action, ActionFactory, DeliveryContext, DeliveryResult, RenderedMessage } from '../../src/actions/types.js';

export interface PeerRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  json(): unknown;
}
export interface PeerAnswer { status: number; body?: unknown; headers?: Record<string, string> }
export type PeerHandler = (req: PeerRequest) => PeerAnswer | Promise<PeerAnswer>;

export interface Peer {
  url: string;
  requests: PeerRequest[];
  handle(h: PeerHandler): void;
  close(): Promise<void>;
}

export async function startPeer(handler: PeerHandler): Promise<Peer> {
  let h = handler;
  const requests: PeerRequest[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const r: PeerRequest = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body, json: () => JSON.parse(body) };
      requests.push(r);
      let a: PeerAnswer;
      try { a = await h(r); } catch (e) { a = { status: 500, body: { error: String(e) } }; }
      const text = a.body === undefined ? '' : typeof a.body === 'string' ? a.body : JSON.stringify(a.body);
      res.writeHead(a.status, { ...(typeof a.body === 'object' ? { 'content-type': 'application/json' } : {}), ...a.headers });
      res.end(text);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    handle: (nh) => { h = nh; },
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

export function context(message: Partial<RenderedMessage> = {}, extra: Partial<DeliveryContext> = {}): DeliveryContext & { lines: string[] } {
  const lines: string[] = [];
  return {
    deliveryId: 'd-1', eventId: 'e-1', routeName: 'route-1', event: {}, hops: 0, signal: new AbortController().signal,
    message: { title: 'Alert', body: 'body', ...message }, log: (l) => lines.push(l), lines, ...extra,
  };
}

/** Builds an action from a config block, failing the test on problems. */
export function build(factory: ActionFactory, config: Record<string, unknown>, env: NodeJS.ProcessEnv = {}): Action {
  const { action, problems } = factory.create({ name: 'out', type: factory.type, enable: true, ...config }, env);
  if (!action) throw new Error(`config problems: ${JSON.stringify(problems)}`);
  return action;
}

export async function deliver(action: Action, message: Partial<RenderedMessage> = {}, extra: Partial<DeliveryContext> = {}): Promise<DeliveryResult & { lines: string[] }> {
  const ctx = context(message, extra);
  const r = await action.deliver(ctx);
  return { ...r, lines: ctx.lines };
}

/** Fails (as a 400 the service would give) when a condition is not met. */
export function check(cond: unknown, status: number, body: unknown): PeerAnswer | undefined {
  return cond ? undefined : { status, body };
}
