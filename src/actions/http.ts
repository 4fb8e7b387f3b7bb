// `http`: sends a request built from cfg.yaml. `event.input.<path>` in the
// url, headers and body-content is replaced by that value of the event (a
// missing path fails the delivery). Hooker-Event carries the whole event
// base64-encoded (when it fits in a header) and Hooker-Hops lets a receiving
// Hooker stop loops.
// Without body-content/body-file the body is the event as JSON.

import { readFileSync } from 'node:fs';
import type { Action, ActionFactory, DeliveryContext, DeliveryResult } from './types.js';
import { defineAction } from './define.js';
import { actionClient, configuredConcurrency, describeHttpError, queueAhead } from './http-send.js';
import { encodeUrlValue, EventRefError, hasEventRefs, isJsonBodyTemplate, substituteEventRefs, substituteEventRefsInJson } from './event-ref.js';
import { stringifyJson } from '../json/lossless.js';
import { breaksLine } from './http1-client.js';

export const HTTP_DEFAULT_TIMEOUT_MS = 5_000;
const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'];

export const HEADER_EVENT = 'Hooker-Event';
/** Sent instead of Hooker-Event (with the event's size in bytes) when the event is too large for a header. */
export const HEADER_EVENT_OMITTED = 'Hooker-Event-Omitted';
/**
 * Receivers refuse large header lines (Node: 16 KiB for all headers, nginx:
 * 8 KiB per line by default), and a scan result or a Trivy report easily
 * exceeds that; the event is in the body unless body-content replaces it.
 */
export const MAX_EVENT_HEADER_BYTES = 6 * 1024;
export const HEADER_HOPS = 'Hooker-Hops';
export const HEADER_DELIVERY_ID = 'Hooker-Delivery-Id';

export interface HttpSpec {
  name: string;
  url: string;
  method: string;
  headers: Array<[string, string]>;
  body?: string;
  timeoutMs: number;
  /** The action's `concurrency:` (keep-alive connections per target); 4, the default policy's, when absent. */
  connections?: number;
  /** Send from the HTTP client thread (ActionServices.httpThread); the event loop when absent. */
  httpThread?: boolean;
}

/**
 * The event as JSON: the stored text of the event when the delivery carries
 * it (issue 12: no serialisation per event on the delivery path; the event
 * object is then never read: a claimed row's event is parsed only when
 * something reads it, delivery-rows.ts claimedOf, and an http action without
 * `event.input` references has no use for it), else made once per event
 * object, shared by its deliveries. Its bytes and their base64 for
 * Hooker-Event are made by the client (Http1Request.base64Of): with
 * HOOKER_HTTP_THREAD, in the client thread, off the event loop and its heap.
 */
const eventJson = new WeakMap<object, string>();
function jsonOf(event: unknown): string {
  const cached = event !== null && typeof event === 'object' ? eventJson.get(event) : undefined;
  if (cached !== undefined) return cached;
  const text = stringifyJson(event) ?? 'null';
  if (event !== null && typeof event === 'object') eventJson.set(event, text);
  return text;
}

/** The client's Hooker-Event header: the event's JSON base64-encoded when it fits, else its size. */
const EVENT_HEADER = { name: HEADER_EVENT, omittedName: HEADER_EVENT_OMITTED, maxChars: MAX_EVENT_HEADER_BYTES };

/** The headers Hooker sets on every request of an http action, lower-cased. */
const OWN_HEADERS = new Set([HEADER_EVENT, HEADER_EVENT_OMITTED, HEADER_HOPS, HEADER_DELIVERY_ID].map((h) => h.toLowerCase()));

export function createHttpAction(spec: HttpSpec): Action {
  const jsonBody = spec.body !== undefined && isJsonBodyTemplate(spec.body);
  const client = actionClient(spec.connections, EVENT_HEADER, spec.httpThread === true);
  // Hooker's own headers (the client adds Hooker-Event or Hooker-Event-Omitted, the action the hops and the delivery id) replace a
  // configured header of the same name in any letter case: header names are case-insensitive, and a second Hooker-Hops sent beside
  // ours would reach a chained Hooker as "0, 2" instead of the hop count that stops a loop.
  const configured = spec.headers.filter(([name]) => !OWN_HEADERS.has(name.toLowerCase()));
  // What does not depend on the event is decided once (issue 12: the
  // delivery path's work per delivery on the event loop): a URL, header or
  // body without `event.input` references is used as configured.
  const urlRefs = hasEventRefs(spec.url);
  const headerRefs = configured.map(([, value]) => hasEventRefs(value));
  // Configured values are not checked at load (action-config.ts): a bad one fails each delivery, as before.
  const headerBroken = configured.map(([, value]) => breaksLine(value));
  const bodyRefs = spec.body !== undefined && hasEventRefs(spec.body);
  const ownContentType = spec.headers.some(([name]) => name.toLowerCase() === 'content-type');
  const contentType = spec.body === undefined || jsonBody ? 'application/json' : 'text/plain; charset=utf-8';
  const sendsBody = spec.method !== 'GET' && spec.method !== 'HEAD';
  // The log line and detail of an answer, by status, for a URL without references (the same strings each time).
  const said = new Map<number, { line: string; detail: string }>();
  const saying = (url: string, status: number): { line: string; detail: string } => {
    if (urlRefs) return { line: `${spec.method} ${url} -> ${status}`, detail: `${spec.method} ${url} answered ${status}` };
    let s = said.get(status);
    if (!s) { s = { line: `${spec.method} ${url} -> ${status}`, detail: `${spec.method} ${url} answered ${status}` }; if (said.size < 64) said.set(status, s); }
    return s;
  };
  return {
    name: spec.name,
    type: 'http',
    queueAhead: queueAhead(spec.connections, spec.timeoutMs),
    close: () => client.close(),
    async deliver(ctx: DeliveryContext): Promise<DeliveryResult> {
      let url: string;
      const headers: Record<string, string | string[]> = {};
      let body: string | undefined;
      // The stored text when the delivery has it: the event object is then not read (see jsonOf).
      const json = ctx.eventText ?? jsonOf(ctx.event);
      try {
        url = urlRefs ? substituteEventRefs(spec.url, ctx.event, encodeUrlValue) : spec.url;
        for (let i = 0; i < configured.length; i++) {
          const [name, value] = configured[i]!;
          const v = headerRefs[i] ? substituteEventRefs(value, ctx.event) : value;
          // A line break would start a header of the event's choosing.
          if (headerRefs[i] ? breaksLine(v) : headerBroken[i]) {
            return { ok: false, retryable: false, detail: `header ${name}: the event's value contains a line break or NUL, refused` };
          }
          const prev = headers[name];
          headers[name] = prev === undefined ? v : [...(Array.isArray(prev) ? prev : [prev]), v];
        }
        // Without a configured body the event itself is sent, so an http
        // action pointed at another Hooker forwards the event (chaining).
        body = spec.body === undefined ? json
          : !bodyRefs ? spec.body
          : jsonBody ? substituteEventRefsInJson(spec.body, ctx.event) : substituteEventRefs(spec.body, ctx.event);
      } catch (e) {
        if (e instanceof EventRefError) return { ok: false, retryable: false, detail: `${e.ref}: ${e.message}` };
        throw e;
      }
      headers[HEADER_HOPS] = String(ctx.hops + 1);
      headers[HEADER_DELIVERY_ID] = ctx.deliveryId;
      // A JSON body stays JSON whatever the event holds; a text body is
      // never upgraded to JSON because an event made it look like JSON.
      if (!ownContentType) headers['content-type'] = contentType;
      try {
        const res = await client.request({ url, method: spec.method, headers, body: sendsBody ? body : undefined, timeoutMs: spec.timeoutMs, signal: ctx.signal, base64Of: json });
        const s = saying(url, res.status);
        ctx.log(s.line);
        if (res.status < 200 || res.status > 299) {
          return { ok: false, retryable: retryableStatus(res.status), detail: `${spec.method} ${url} answered ${res.status}: ${res.body.slice(0, 200)}` };
        }
        // A JSON answer is offered as an event update; only ReadAndWrite actions' updates are applied.
        const update = res.body === '' ? undefined : parseJsonObject(res.body);
        return update !== undefined ? { ok: true, detail: s.detail, eventUpdate: update } : { ok: true, detail: s.detail };
      } catch (e) {
        return { ok: false, detail: `${spec.method} ${url}: ${describeHttpError(e, spec.timeoutMs)}` };
      }
    },
  };
}

/**
 * Client errors mean the same request would fail again (except timeouts and
 * rate limits); 508 is a Hooker refusing a loop.
 */
export function retryableStatus(status: number): boolean {
  if (status === 508) return false;
  if (status >= 400 && status < 500) return status === 408 || status === 425 || status === 429;
  return true;
}

/** The parsed JSON object or array of a text, undefined for anything else. */
export function parseJsonObject(text: string): unknown {
  const t = text.trim();
  if (!(t.startsWith('{') || t.startsWith('['))) return undefined;
  try { return JSON.parse(t) as unknown; } catch { return undefined; }
}

export const httpAction: ActionFactory = defineAction({
  type: 'http',
  keys: ['url', 'method', 'headers', 'timeout', 'body-file', 'body-content'],
  parse(r) {
    const url = r.url('url', true);
    const method = (r.string('method') ?? 'POST').toUpperCase();
    if (!METHODS.includes(method)) r.problems.push({ path: 'method', message: `method "${method}" is not one of ${METHODS.join(', ')}` });
    const headers = r.headers('headers');
    const timeoutMs = r.timeout('timeout', HTTP_DEFAULT_TIMEOUT_MS);
    const bodyFile = r.string('body-file');
    // A mapping written in YAML (`body-content: {"user": "event.input.user"}`) is a JSON body.
    const rawBody = r.config['body-content'];
    let body = rawBody !== null && typeof rawBody === 'object' ? JSON.stringify(rawBody) : r.string('body-content');
    if (bodyFile && body !== undefined) r.problems.push({ path: 'body-file', message: 'give either body-file or body-content, not both' });
    else if (bodyFile) {
      try { body = readFileSync(bodyFile, 'utf8'); } catch (e) { r.problems.push({ path: 'body-file', message: `cannot read ${bodyFile}: ${(e as Error).message}` }); }
    }
    const connections = configuredConcurrency(r.config);
    return url ? { url, method, headers, body, timeoutMs, ...(connections ? { connections } : {}) } : undefined;
  },
  build: (s, { name, services }) => createHttpAction({ name, ...s, ...(services.httpThread ? { httpThread: true } : {}) }),
});
