// One outgoing HTTP request bounded by a timeout that also honours the
// delivery's abort signal; used by the webhook and http actions.
//
// The timeout is undici's headers and body timeouts (and the dispatcher's
// connect timeout), kept on undici's shared coarse timer wheel: at thousands
// of deliveries a second a Node timer plus AbortSignal.any per request were a
// measurable part of the delivery path (issue 12).

import { Agent, request, type Dispatcher } from 'undici';

export interface SendResult {
  status: number;
  body: string;
}

export async function sendHttp(opts: {
  url: string;
  method: string;
  headers: Record<string, string | string[]>;
  body?: string | Buffer;
  timeoutMs: number;
  signal: AbortSignal;
  /** Keep-alive connections to reuse (an action's own pool); undici's global agent otherwise. */
  dispatcher?: Dispatcher;
}): Promise<SendResult> {
  const res = await request(opts.url, {
    method: opts.method as 'POST',
    headers: opts.headers,
    body: opts.body,
    signal: opts.signal,
    headersTimeout: opts.timeoutMs,
    bodyTimeout: opts.timeoutMs,
    ...(opts.dispatcher ? { dispatcher: opts.dispatcher } : {}),
  });
  const body = await res.body.text();
  return { status: res.statusCode, body };
}

/**
 * Keep-alive connections for one action: up to `connections` per origin (the
 * action's concurrency, so every running delivery has a socket and none is
 * opened per request), connecting within the action's timeout.
 */
export function actionAgent(connections: number, timeoutMs: number): Agent {
  return new Agent({ connections, connect: { timeout: timeoutMs }, keepAliveTimeout: 30_000 });
}

/** Names why a request failed, distinguishing our timeout from other errors. */
export function describeHttpError(e: unknown, timeoutMs: number): string {
  const err = e as { name?: string; message?: string; code?: string };
  if (err?.name === 'TimeoutError' || err?.code === 'UND_ERR_HEADERS_TIMEOUT' || err?.code === 'UND_ERR_BODY_TIMEOUT' || err?.code === 'UND_ERR_CONNECT_TIMEOUT') return `timed out after ${timeoutMs} ms`;
  if (err?.name === 'AbortError') return 'aborted';
  return err?.message ?? String(e);
}
