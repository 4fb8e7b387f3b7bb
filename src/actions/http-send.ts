// One outgoing HTTP request bounded by a timeout that also honours the
// delivery's abort signal; used by the webhook and http actions.
//
// The timeout is undici's headers and body timeouts (and the dispatcher's
// connect timeout), kept on undici's shared coarse timer wheel: at thousands
// of deliveries a second a Node timer plus AbortSignal.any per request were a
// measurable part of the delivery path (issue 12).

import type { Agent, Dispatcher } from 'undici';
import { undiciLibrary } from '../lazy-libraries.js';

export interface SendResult {
  status: number;
  body: string;
}

export function sendHttp(opts: {
  url: string;
  method: string;
  headers: Record<string, string | string[]>;
  body?: string | Buffer;
  timeoutMs: number;
  signal: AbortSignal;
  /** Keep-alive connections to reuse (an action's own pool); undici's global agent otherwise. */
  dispatcher?: Dispatcher;
}): Promise<SendResult> {
  return new Promise<SendResult>((resolve, reject) => {
    const { signal } = opts;
    if (signal.aborted) { reject(abortReason(signal)); return; }
    const url = new URL(opts.url);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') { reject(new Error(`${url.protocol} is not http: or https:`)); return; }
    // undici's dispatch API with a handler of our own, not request(): per
    // delivery, request() wraps the answer in a Readable stream and its
    // signal in listeners and promises; this reads the small answer into a
    // string (issue 12, about a third of the client's CPU per request).
    let abort: ((reason: Error) => void) | undefined;
    let aborted: Error | undefined;
    let status = 0;
    const chunks: Buffer[] = [];
    const onAbort = () => { aborted = abortReason(signal); abort?.(aborted); };
    signal.addEventListener('abort', onAbort, { once: true });
    const settle = () => signal.removeEventListener('abort', onAbort);
    const handler: Dispatcher.DispatchHandler = {
      onConnect(abortRequest) {
        if (aborted) abortRequest(aborted);
        else abort = abortRequest;
      },
      onHeaders(statusCode) { status = statusCode; return true; },
      onData(chunk) { chunks.push(chunk); return true; },
      onComplete() {
        settle();
        resolve({ status, body: chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8') });
      },
      onError(err) { settle(); reject(err); },
    };
    try {
      (opts.dispatcher ?? undiciLibrary().getGlobalDispatcher()).dispatch({
        origin: url.origin, path: url.search ? `${url.pathname}${url.search}` : url.pathname, method: opts.method as 'POST',
        headers: opts.headers, body: opts.body, headersTimeout: opts.timeoutMs, bodyTimeout: opts.timeoutMs,
      }, handler);
    } catch (e) {
      settle();
      reject(e as Error);
    }
  });
}

/** What an aborted request fails with: the signal's reason (a TimeoutError or the shutdown's error), as undici's request() did. */
function abortReason(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new DOMException('This operation was aborted', 'AbortError') as Error;
}

/**
 * Keep-alive connections for one action: up to `connections` per origin (the
 * action's concurrency, so every running delivery has a socket and none is
 * opened per request), connecting within the action's timeout. The agent is
 * made on the first request, so undici is not loaded before the server answers.
 */
export function actionAgent(connections: number, timeoutMs: number): { get(): Agent; close(): Promise<void> } {
  let agent: Agent | undefined;
  return {
    get: () => (agent ??= new (undiciLibrary().Agent)({ connections, connect: { timeout: timeoutMs }, keepAliveTimeout: 30_000 })),
    close: async () => { await agent?.close(); },
  };
}

/** Names why a request failed, distinguishing our timeout from other errors. */
export function describeHttpError(e: unknown, timeoutMs: number): string {
  const err = e as { name?: string; message?: string; code?: string };
  if (err?.name === 'TimeoutError' || err?.code === 'UND_ERR_HEADERS_TIMEOUT' || err?.code === 'UND_ERR_BODY_TIMEOUT' || err?.code === 'UND_ERR_CONNECT_TIMEOUT') return `timed out after ${timeoutMs} ms`;
  if (err?.name === 'AbortError') return 'aborted';
  return err?.message ?? String(e);
}
