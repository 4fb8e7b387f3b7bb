// What the http and webhook actions share about sending: a keep-alive client
// per action sized by its concurrency, and how a failed request is described.

import { Http1Client } from './http1-client.js';

/** Keep-alive sockets of an action's concurrency (4, the default policy's, when absent): every running delivery has one and none is opened per request. */
export function actionClient(connections: number | undefined): Http1Client {
  return new Http1Client({ connections: connections ?? 4, idleTimeoutMs: 30_000 });
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
