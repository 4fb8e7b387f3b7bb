// The HTTP side every HTTP-based output shares: one request with the
// delivery's timeout and abort signal, optional `tls-verify: false`, and the
// one classification of answers the retry schedule relies on:
//   2xx              delivered
//   429 / 503        retried, after Retry-After when the service gives one
//   408              retried
//   other 4xx        dead at once, with the service's error text
//   5xx, network     retried with backoff
// Targets are named by scheme://host:port only: webhook URLs carry their
// credentials in the path.

import type { Dispatcher } from 'undici';
import { undiciLibrary } from '../../lazy-libraries.js';
import type { DeliveryResult } from '../types.js';
import { publicUrl } from '../redact.js';

export const DEFAULT_OUTPUT_TIMEOUT_MS = 30_000;
/** Characters of a service's error answer kept in the delivery record. */
const ERROR_TEXT_LIMIT = 500;

export interface OutputRequest {
  method?: string;
  url: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

export interface OutputResponse {
  status: number;
  body: string;
  headers: Record<string, string | string[] | undefined>;
}

export class HttpOutputClient {
  private insecure?: Dispatcher;

  constructor(readonly opts: { timeoutMs: number; tlsVerify?: boolean }) {}

  /** `tls-verify: false`: an agent of its own, made on the first request (undici loads then). */
  private get dispatcher(): Dispatcher | undefined {
    if (this.opts.tlsVerify !== false) return undefined;
    return (this.insecure ??= new (undiciLibrary().Agent)({ connect: { rejectUnauthorized: false } }));
  }

  async send(req: OutputRequest, signal: AbortSignal): Promise<OutputResponse> {
    const timeout = this.opts.timeoutMs;
    const res = await undiciLibrary().request(req.url, {
      method: (req.method ?? 'POST') as 'POST',
      headers: req.headers,
      body: req.body,
      signal: AbortSignal.any([signal, AbortSignal.timeout(timeout)]),
      headersTimeout: timeout,
      bodyTimeout: timeout,
      ...(this.dispatcher ? { dispatcher: this.dispatcher } : {}),
    });
    const body = await res.body.text();
    return { status: res.statusCode, body, headers: res.headers };
  }

  /**
   * Sends and classifies: `{ res }` for a 2xx answer, `{ failed }` (a
   * DeliveryResult) for anything else.
   */
  async call(req: OutputRequest, signal: AbortSignal, what: string): Promise<{ res: OutputResponse; failed?: undefined } | { failed: DeliveryResult; res?: undefined }> {
    const target = `${req.method ?? 'POST'} ${publicUrl(req.url)}`;
    let res: OutputResponse;
    try {
      res = await this.send(req, signal);
    } catch (e) {
      return { failed: { ok: false, retryable: true, detail: `${what}: ${target} failed: ${describeError(e, this.opts.timeoutMs)}` } };
    }
    if (res.status >= 200 && res.status < 300) return { res };
    return { failed: answerFailure(what, res) };
  }

  async close(): Promise<void> {
    await this.insecure?.close();
  }
}

/** A non-2xx answer as a delivery result (see the table at the top). */
export function answerFailure(what: string, res: OutputResponse): DeliveryResult {
  const text = errorText(res.body);
  const detail = `${what} answered ${res.status}${text ? `: ${text}` : ''}`;
  if (res.status === 429 || res.status === 503) {
    const after = retryAfterMs(res.headers['retry-after']);
    return { ok: false, retryable: true, detail: after !== undefined ? `${detail} (retry after ${Math.ceil(after / 1000)} s)` : detail, ...(after !== undefined ? { retryAfterMs: after } : {}) };
  }
  if (res.status === 408) return { ok: false, retryable: true, detail };
  if (res.status >= 400 && res.status < 500) return { ok: false, retryable: false, detail };
  return { ok: false, retryable: true, detail };
}

/** Retry-After as seconds or an HTTP date -> milliseconds from now. */
export function retryAfterMs(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (v === undefined || v.trim() === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(v.trim())) return Math.round(Number(v) * 1000);
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

function errorText(body: string): string {
  const t = body.trim().replace(/\s+/g, ' ');
  return t.length > ERROR_TEXT_LIMIT ? `${t.slice(0, ERROR_TEXT_LIMIT)}…` : t;
}

export function describeError(e: unknown, timeoutMs: number): string {
  const err = e as { name?: string; message?: string; code?: string; cause?: { code?: string; message?: string } };
  if (err?.name === 'TimeoutError' || err?.code === 'UND_ERR_HEADERS_TIMEOUT' || err?.code === 'UND_ERR_BODY_TIMEOUT') return `timed out after ${timeoutMs} ms`;
  if (err?.name === 'AbortError') return 'aborted';
  const code = err?.code ?? err?.cause?.code;
  return code ? `${code}${err?.message && !err.message.includes(code) ? ` (${err.message})` : ''}` : err?.message ?? String(e);
}

/** Basic credentials for an Authorization header. */
export function basicAuth(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}

/** The template's result as JSON, or undefined when it is not JSON. */
export function jsonOf(text: string): unknown {
  try { return JSON.parse(text) as unknown; } catch { return undefined; }
}
