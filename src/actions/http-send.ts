// One outgoing HTTP request with a timeout that also honours the delivery's
// abort signal; used by the webhook and http actions.

import { request } from 'undici';

export interface SendResult {
  status: number;
  body: string;
}

export async function sendHttp(opts: {
  url: string;
  method: string;
  headers: Record<string, string | string[]>;
  body?: string;
  timeoutMs: number;
  signal: AbortSignal;
}): Promise<SendResult> {
  const signal = AbortSignal.any([opts.signal, AbortSignal.timeout(opts.timeoutMs)]);
  const res = await request(opts.url, {
    method: opts.method as 'POST',
    headers: opts.headers,
    body: opts.body,
    signal,
    headersTimeout: opts.timeoutMs,
    bodyTimeout: opts.timeoutMs,
  });
  const body = await res.body.text();
  return { status: res.statusCode, body };
}

/** Names why a request failed, distinguishing our timeout from other errors. */
export function describeHttpError(e: unknown, timeoutMs: number): string {
  const err = e as { name?: string; message?: string; code?: string };
  if (err?.name === 'TimeoutError' || err?.code === 'UND_ERR_HEADERS_TIMEOUT' || err?.code === 'UND_ERR_BODY_TIMEOUT') return `timed out after ${timeoutMs} ms`;
  if (err?.name === 'AbortError') return 'aborted';
  return err?.message ?? String(e);
}
