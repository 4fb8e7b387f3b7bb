// What the http and webhook actions share about sending: a keep-alive client
// per action sized by its concurrency, and how a failed request is described.

import { Http1Client, type Http1Answer, type Http1Request } from './http1-client.js';
import { ThreadedHttp1Client } from './http1-thread.js';

export interface ActionClient {
  request(req: Http1Request): Promise<Http1Answer>;
  close(): Promise<void>;
}

/**
 * Keep-alive sockets of an action's concurrency (4, the default policy's,
 * when absent): every running delivery has one and none is opened per
 * request. They live in the client thread shared by all actions
 * (http1-thread.ts) unless HOOKER_HTTP_THREAD=0. Run from the TypeScript
 * source (in-process tests, development) the thread would first load tsx to
 * compile its module, about a second before the first delivery, so there the
 * requests stay on the event loop unless HOOKER_HTTP_THREAD=1; the built
 * server (what users and the end-to-end tests run) uses the thread.
 */
export function actionClient(connections: number | undefined): ActionClient {
  const options = { connections: connections ?? 4, idleTimeoutMs: 30_000 };
  const setting = process.env['HOOKER_HTTP_THREAD'];
  const threaded = setting === '1' || (setting !== '0' && !FROM_SOURCE);
  return threaded ? new ThreadedHttp1Client(options) : new Http1Client(options);
}

const FROM_SOURCE = import.meta.url.endsWith('.ts');

/** The action's `concurrency:` read only to size its pool; the delivery policy validates it. */
export function configuredConcurrency(config: Record<string, unknown>): number | undefined {
  const c = config['concurrency'];
  return typeof c === 'number' && Number.isInteger(c) && c > 0 ? c : undefined;
}

/** Names why a request failed, distinguishing our timeout from other errors. */
export function describeHttpError(e: unknown, timeoutMs: number): string {
  const err = e as { name?: string; message?: string };
  if (err?.name === 'TimeoutError') return `timed out after ${timeoutMs} ms`;
  if (err?.name === 'AbortError') return 'aborted';
  return err?.message ?? String(e);
}
