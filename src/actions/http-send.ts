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
 * request. With HOOKER_HTTP_THREAD=1 they live in a client thread shared by
 * all actions: less of the event loop's CPU per delivery, more in all
 * (BENCHMARKS.md, "Issue 12, session 6: wire"), so only where the event loop
 * is the bottleneck and a core is spare.
 */
export function actionClient(connections: number | undefined): ActionClient {
  const options = { connections: connections ?? 4, idleTimeoutMs: 30_000 };
  return process.env['HOOKER_HTTP_THREAD'] === '1' ? new ThreadedHttp1Client(options) : new Http1Client(options);
}

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
