// What the http and webhook actions share about sending: a keep-alive client
// per action sized by its concurrency, and how a failed request is described.

import { Http1Client, type Base64Header, type Http1Answer, type Http1Request } from './http1-client.js';
import { ThreadedHttp1Client } from './http1-thread.js';
import { DELIVERY_GUARD_MS } from './types.js';

export interface ActionClient {
  request(req: Http1Request): Promise<Http1Answer>;
  close(): Promise<void>;
}

/**
 * Keep-alive sockets of an action's concurrency (4, the default policy's,
 * when absent): every running delivery has one and none is opened per
 * request. `thread` (ActionServices.httpThread: the server's
 * HOOKER_HTTP_THREAD, src/config/worker-threads.ts) sends from the client
 * thread shared by all actions (http1-thread.ts): the event loop then only
 * hands requests over and takes answers back, about a third of its CPU per
 * delivery, the process as a whole more (BENCHMARKS.md, "Issue 12, session
 * 6: wire"); otherwise the requests run on the event loop.
 */
export function actionClient(connections: number | undefined, base64Header: Base64Header | undefined, thread: boolean): ActionClient {
  const options = { connections: connections ?? 4, idleTimeoutMs: 30_000, ...(base64Header ? { base64Header } : {}) };
  return thread ? new ThreadedHttp1Client(options) : new Http1Client(options);
}

/**
 * Deliveries an http or webhook action queues beyond its connections (its
 * Action.queueAhead), 7 per connection (at most 256): the lane hands it 8 ×
 * its concurrency. Each connection's next request must be waiting in the
 * client when its answer arrives, for as long as the answers take to reach
 * the scheduler and the next deliveries to be launched (a turn of the event
 * loop, with HOOKER_HTTP_THREAD also two crossings of the thread): several
 * of a fast target's round trips. bench:server's sustained phase (one action,
 * concurrency 16, a loopback receiver), both threads: 7.2–7.3k deliveries/s
 * with 2 and 4 per connection, 7.4–9.0k with 7, 9.0k with 15 but ingest
 * starved (202 p50 3 s); on the event loop the depth made no difference
 * beyond the noise (BENCHMARKS.md, "Issue 12, session 11: flight").
 * Fewer per connection when the action's timeout is long: a queued delivery
 * may wait for the ones before it on its connection to time out, and the
 * runner's guard (DELIVERY_GUARD_MS) counts from the hand-over, so the last
 * queued one must still end within it against a target that never answers
 * (a webhook's default 120 s: 4 per connection).
 */
export function queueAhead(connections: number | undefined, timeoutMs: number): number {
  const perConnection = Math.max(0, Math.min(7, Math.floor(DELIVERY_GUARD_MS / timeoutMs) - 1));
  return Math.min(256, perConnection * (connections ?? 4));
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
