// What the event loop and the HTTP client thread (http1-thread.ts,
// http1-thread-worker.ts) say to each other: one message per turn of either
// loop, each a flat array of primitives instead of an array and a headers
// object per request. Why: a structured clone writes every object's property
// names and the reader builds every object again; with ~14 requests a
// message in bench:server's sustained phase, the per-request objects were
// most of what the event loop's postMessage serialised (issue 12, session
// 11: BENCHMARKS.md, "cross").
//
// Long texts (a body, the Hooker-Event header, a long URL) cross once per
// message: the deliveries of one event carry the same body and header, and
// those launched together share a message. A text field is either the text
// itself or the index of a text in the message's `texts`.
//
// Bytes cross as a latin1 string (one character per byte, a plain copy): a
// Buffer is often a view of a larger pooled one, which cloning would copy
// whole, and transferring a copy cost more (session 6).

import type { Http1Answer, Http1ClientOptions, Http1Request } from './http1-client.js';

export const OPEN = 1;
export const CLOSE = 2;
export const CANCEL = 3;
export const REQUEST = 4;

/** [texts, flat]: see RequestBatch. */
export type ToThread = [texts: string[], flat: unknown[]];
/** Flat, ANSWER_FIELDS per answer: id, status, body, '' — or id, -1, error name, error message. */
export type FromThread = unknown[];
export const ANSWER_FIELDS = 4;

/** Texts shorter than this cross inline: looking them up would cost more than copying them. */
const SHARED_TEXT_MIN = 64;
/** How many of the latest shared texts a new one is compared with (an event's deliveries are launched together). */
const RECENT = 4;

/** The messages of one turn of the event loop, built as calls are made. */
export class RequestBatch {
  readonly texts: string[] = [];
  readonly flat: unknown[] = [];

  get empty(): boolean { return this.flat.length === 0; }

  open(clientId: number, options: Http1ClientOptions): void { this.flat.push(OPEN, clientId, options); }
  close(clientId: number): void { this.flat.push(CLOSE, clientId); }
  cancel(id: number): void { this.flat.push(CANCEL, id); }

  /** REQUEST, id, clientId, url, method, timeoutMs, body kind (0 none, 1 text, 2 bytes), body, header count, then name and value per header. */
  request(id: number, clientId: number, req: Http1Request): void {
    const f = this.flat;
    const body = req.body;
    f.push(REQUEST, id, clientId, this.text(typeof req.url === 'string' ? req.url : req.url.href), req.method, req.timeoutMs,
      body === undefined ? 0 : typeof body === 'string' ? 1 : 2,
      body === undefined ? 0 : this.text(typeof body === 'string' ? body : body.toString('latin1')));
    const headers = req.headers;
    if (!headers) { f.push(0); return; }
    const at = f.length;
    f.push(0);
    let n = 0;
    for (const name of Object.keys(headers)) {
      const v: unknown = headers[name];
      // A repeated header's values (rare) cross as their array; anything else as text (a number here would read as a text's index).
      f.push(name, typeof v === 'string' ? this.text(v) : Array.isArray(v) ? v : this.text(String(v)));
      n++;
    }
    f[at] = n;
  }

  /** The text, or the index of the same text already in this message. */
  private text(s: string): string | number {
    if (s.length < SHARED_TEXT_MIN) return s;
    const t = this.texts;
    // Equal texts are usually the same string (one event's header) or a copy of the same bytes; a differing one of the same length stops at its first difference.
    for (let i = t.length - 1; i >= 0 && i >= t.length - RECENT; i--) if (t[i] === s) return i;
    t.push(s);
    return t.length - 1;
  }
}

/** Reads one message in order, calling `on` for each thing in it. */
export function readBatch(
  [texts, f]: ToThread,
  on: {
    open(clientId: number, options: Http1ClientOptions): void;
    close(clientId: number): void;
    cancel(id: number): void;
    request(id: number, clientId: number, req: Omit<Http1Request, 'signal' | 'onCancel'>): void;
  },
): void {
  const text = (x: unknown) => (typeof x === 'number' ? texts[x]! : x as string);
  for (let i = 0; i < f.length;) {
    switch (f[i]) {
      case OPEN: on.open(f[i + 1] as number, f[i + 2] as Http1ClientOptions); i += 3; break;
      case CLOSE: on.close(f[i + 1] as number); i += 2; break;
      case CANCEL: on.cancel(f[i + 1] as number); i += 2; break;
      case REQUEST: {
        const kind = f[i + 6] as number;
        const n = f[i + 8] as number;
        let headers: Record<string, string | string[]> | undefined;
        if (n > 0) {
          headers = {};
          for (let h = 0, at = i + 9; h < n; h++, at += 2) {
            const v = f[at + 1];
            headers[f[at] as string] = Array.isArray(v) ? v as string[] : text(v);
          }
        }
        on.request(f[i + 1] as number, f[i + 2] as number, {
          url: text(f[i + 3]), method: f[i + 4] as string, timeoutMs: f[i + 5] as number,
          ...(headers ? { headers } : {}),
          ...(kind === 0 ? {} : { body: kind === 1 ? text(f[i + 7]) : Buffer.from(text(f[i + 7]), 'latin1') }),
        });
        i += 9 + 2 * n;
        break;
      }
      default: throw new Error(`the HTTP client thread got an unknown message kind ${String(f[i])}`);
    }
  }
}

export function answerOk(out: FromThread, id: number, a: Http1Answer): void { out.push(id, a.status, a.body, ''); }
export function answerError(out: FromThread, id: number, e: unknown): void {
  const err = e as { name?: unknown; message?: unknown } | undefined;
  out.push(id, -1, typeof err?.name === 'string' ? err.name : 'Error', typeof err?.message === 'string' ? err.message : String(e));
}

/** Each answer of a message: `ok` with the answer, or `failed` with an Error of the thread's name and message. */
export function readAnswers(f: FromThread, ok: (id: number, a: Http1Answer) => void, failed: (id: number, e: Error) => void): void {
  for (let i = 0; i < f.length; i += ANSWER_FIELDS) {
    const id = f[i] as number;
    const status = f[i + 1] as number;
    if (status === -1) {
      const e = new Error(f[i + 3] as string);
      e.name = f[i + 2] as string;
      failed(id, e);
    } else ok(id, { status, body: f[i + 2] as string });
  }
}
