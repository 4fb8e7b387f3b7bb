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
 * request. On the event loop by default; HOOKER_HTTP_THREAD=1 moves them to
 * the client thread shared by all actions (http1-thread.ts). The thread is
 * not the default: on the idle 2-core bench machine it took a third of the
 * main thread's CPU per delivery but added more in the thread's hand-over
 * than it saved, and the load generator and receiver need the second core,
 * so bench:delivery drained 4.8–5.5k deliveries/s with it against 6.4–7.7k
 * without, and bench:server's sustained phase delivered 1,859 against
 * 2,651/s (BENCHMARKS.md, "Issue 12, session 6: wire"). It can pay where
 * the main thread is the only saturated core.
 */
export function actionClient(connections: number | undefined): ActionClient {
  const options = { connections: connections ?? 4, idleTimeoutMs: 30_000 };
  return process.env['HOOKER_HTTP_THREAD'] === '1' ? new ThreadedHttp1Client(options) : new Http1Client(options);
}

/**
 * Deliveries an http or webhook action queues beyond its connections (its
 * Action.queueAhead): enough that each of its `connections` has its next
 * request waiting in the client when its answer arrives, while the answers
 * travel back to the scheduler and the next deliveries are launched (a turn
 * of the event loop, and with HOOKER_HTTP_THREAD two crossings of the
 * thread). TEMPORARY env override for measuring.
 */
export function queueAhead(connections: number | undefined): number {
  const env = process.env['HOOKER_QUEUE_AHEAD'];
  if (env !== undefined) return Number(env);
  return 2 * (connections ?? 4);
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
