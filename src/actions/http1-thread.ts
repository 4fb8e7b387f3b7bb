// The http and webhook actions' requests sent from a worker thread: the
// server's event loop only hands each request over (batched per turn of the
// loop) and takes its answer back, while the sockets, the kernel's send and
// the answers' parsing cost the other thread.
//
// On by default with 2 cores or more (HOOKER_HTTP_THREAD, see
// src/config/worker-threads.ts; the server passes the choice to the actions,
// ActionServices.httpThread): in bench:delivery the main thread's CPU per
// delivery fell by about a third while the process's rose (BENCHMARKS.md,
// "Issue 12, session 6: wire"); with the SQLite writer thread it is what
// let bench:server hold 9,000 deliveries/s (session 18).
//
// One thread for all actions, started when the first client is made (as the
// configuration's actions are built, before the server answers /ping), so
// that its start (a new isolate, its modules loaded) runs on the other core
// while the server starts, not in the first seconds of traffic beside the
// event loop (issue 12, BENCHMARKS.md "session 19: threads"). If it dies,
// the requests in flight fail (their deliveries are retried) and the next
// request starts a new one.

import { Worker } from 'node:worker_threads';
import { abortReason, type Http1Answer, type Http1ClientOptions, type Http1Request } from './http1-client.js';
import { ChurnMap } from '../churn-map.js';

/**
 * One turn's messages to the thread, as one flat array of primitives (an op
 * code, then its fields) instead of an array, a headers object and a body
 * pair per request: a structured clone writes each object's keys with it and
 * the thread built every object again, ~8 µs of the thread's CPU per event
 * of 3 deliveries and more on the event loop (issue 12, BENCHMARKS.md
 * "session 17: loop"). The event's text, which its deliveries share, and the
 * URL cross once per message, in `texts` (REQ's fields index it).
 */
export interface ToThread { texts: string[]; flat: unknown[] }
/** OPEN client id, options; CLOSE client id; CANCEL request id. */
export const OPEN = 1;
export const CLOSE = 2;
export const CANCEL = 3;
/**
 * REQ: request id, client id, url (texts), method, header count, then each
 * header's name and value (a string, or its array of values), the body
 * (NO_BODY, or BODY_TEXT / BODY_BYTES and its text: `texts`), timeoutMs,
 * base64Of (NO_BASE64, BASE64_BODY when it is the body's text, else `texts`).
 * The text crosses as it is and the thread encodes it
 * (http1-client.ts Http1Request.base64Of).
 */
export const REQ = 0;
export const NO_BODY = 0;
export const BODY_TEXT = 1;
/** Bytes go as a latin1 string (a plain copy each way): a Buffer is often a view of a larger pooled one, which cloning would copy whole, and transferring a copy cost more. */
export const BODY_BYTES = 2;
export const NO_BASE64 = -1;
export const BASE64_BODY = -2;
/**
 * Answers to the event loop, flat too: per request its id, then its status
 * and body, or FAILED and the error's name and message.
 */
export type FromThread = unknown[];
export const FAILED = -1;

// CommonJS run with eval: loads the worker module next to this one (the .ts
// source through tsx when the server itself runs from source, as in tests).
const SOURCE = `
const { workerData } = require('node:worker_threads');
(async () => {
  if (workerData.tsx) (await import('tsx/esm/api')).register();
  await import(workerData.entry);
})().catch((e) => { process.stderr.write('hooker: HTTP client thread failed to start: ' + (e && e.stack || e) + '\\n'); process.exit(1); });
`;

interface Pending { resolve(a: Http1Answer): void; reject(e: Error): void; signal: AbortSignal | undefined }

class WireThread {
  private readonly worker: Worker;
  /** Requests not answered yet, by id (a ChurnMap: see src/churn-map.ts for why not a Map). */
  private readonly pending = new ChurnMap<number, Pending>();
  private flat: unknown[] = [];
  private texts: string[] = [];
  /** The last text put in `texts` and its index: an event's deliveries are launched one after another and share its text. */
  private lastText: string | undefined;
  private lastIndex = -1;
  private flushing = false;
  private nextId = 1;
  /**
   * The signals the pending requests were given, each with one 'abort'
   * listener that fails its requests: the deadline guard's signal is shared
   * by every delivery of a period and aborts rarely (a whenAborted
   * registration and its closure per request cost the event loop more).
   */
  private readonly watched = new WeakSet<AbortSignal>();

  constructor(private readonly onGone: (t: WireThread) => void, opens: Iterable<[number, Http1ClientOptions]>) {
    const fromSource = import.meta.url.endsWith('.ts');
    this.worker = new Worker(SOURCE, {
      eval: true,
      workerData: { entry: new URL(`./http1-thread-worker.${fromSource ? 'ts' : 'js'}`, import.meta.url).href, tsx: fromSource },
    });
    this.worker.on('message', (flat: FromThread) => this.answers(flat));
    this.worker.on('error', (e) => this.gone(e));
    this.worker.on('exit', (code) => this.gone(new Error(`exited with code ${code}`)));
    // After the listeners: a 'message' listener refs the worker's port again, and an idle thread (started
    // with the first client, before any request) must not keep the process up.
    this.worker.unref();
    for (const [id, options] of opens) this.post(OPEN, id, options);
  }

  /** A control message (OPEN, CLOSE, CANCEL) in this turn's batch. */
  post(op: number, id: number, options?: Http1ClientOptions): void {
    if (op === OPEN) this.flat.push(op, id, options); else this.flat.push(op, id);
    this.soon();
  }

  private soon(): void {
    if (this.flushing) return;
    this.flushing = true;
    // Every request of this turn of the loop (a lane launches several) in one message.
    setImmediate(this.flush);
  }

  private readonly flush = (): void => {
    this.flushing = false;
    const batch: ToThread = { texts: this.texts, flat: this.flat };
    this.flat = [];
    this.texts = [];
    this.lastText = undefined;
    this.worker.postMessage(batch);
  };

  /** The index of `text` in this batch's texts (added unless it was the last one added). */
  private textAt(text: string): number {
    if (text === this.lastText) return this.lastIndex;
    this.lastText = text;
    this.lastIndex = this.texts.length;
    this.texts.push(text);
    return this.lastIndex;
  }

  request(clientId: number, req: Http1Request): Promise<Http1Answer> {
    return new Promise<Http1Answer>((resolve, reject) => {
      const { signal } = req;
      if (signal?.aborted) { reject(abortReason(signal)); return; }
      const id = this.nextId++;
      if (signal && !this.watched.has(signal)) this.watch(signal);
      if (this.pending.size === 0) this.worker.ref(); // a request in flight keeps the process up, as a socket would
      this.pending.set(id, { resolve, reject, signal });
      const f = this.flat;
      f.push(REQ, id, clientId, this.textAt(typeof req.url === 'string' ? req.url : req.url.href), req.method);
      const headers = req.headers;
      if (headers === undefined) f.push(0);
      else {
        const at = f.length;
        f.push(0);
        let n = 0;
        for (const name in headers) { f.push(name, headers[name]); n++; }
        f[at] = n;
      }
      const body = req.body;
      if (body === undefined) f.push(NO_BODY);
      else if (typeof body === 'string') f.push(BODY_TEXT, this.textAt(body));
      else f.push(BODY_BYTES, this.textAt(latin1(body)));
      f.push(req.timeoutMs, req.base64Of === undefined ? NO_BASE64 : req.base64Of === body ? BASE64_BODY : this.textAt(req.base64Of));
      this.soon();
    });
  }

  /** Fails the pending requests given `signal` when it aborts, and tells the thread to drop them. */
  private watch(signal: AbortSignal): void {
    this.watched.add(signal);
    signal.addEventListener('abort', () => {
      const reason = abortReason(signal);
      const aborted: Array<[number, Pending]> = [];
      for (const [id, p] of this.pending) if (p.signal === signal) aborted.push([id, p]);
      for (const [id, p] of aborted) {
        this.pending.delete(id);
        this.post(CANCEL, id);
        p.reject(reason);
      }
      this.settled();
    }, { once: true });
  }

  private answers(flat: FromThread): void {
    for (let i = 0; i < flat.length;) {
      const id = flat[i] as number;
      const status = flat[i + 1] as number;
      const p = this.pending.get(id);
      if (p) this.pending.delete(id); // else aborted meanwhile
      if (status === FAILED) {
        if (p) {
          const e = new Error(flat[i + 3] as string);
          e.name = flat[i + 2] as string;
          p.reject(e);
        }
        i += 4;
      } else {
        p?.resolve({ status, body: flat[i + 2] as string });
        i += 3;
      }
    }
    this.settled();
  }

  private settled(): void {
    if (this.pending.size === 0) this.worker.unref();
  }

  private gone(e: Error): void {
    this.onGone(this);
    const pending = [...this.pending.values()];
    this.pending.clear();
    for (const p of pending) p.reject(new Error(`the HTTP client thread stopped: ${e.message}`));
  }
}

/**
 * A body's bytes as the latin1 text that crosses, once per Buffer: the http
 * action sends one Buffer per event, shared by its deliveries (an event
 * routed to 3 routes of one action crossed as 3 copies made one by one).
 */
const latin1Of = new WeakMap<Buffer, string>();
function latin1(b: Buffer): string {
  let text = latin1Of.get(b);
  if (text === undefined) latin1Of.set(b, text = b.toString('latin1'));
  return text;
}

let thread: WireThread | undefined;
const options = new Map<number, Http1ClientOptions>();
let nextClient = 1;
function wire(): WireThread {
  return thread ??= new WireThread((t) => { if (thread === t) thread = undefined; }, options);
}

/** Http1Client's interface, its sockets in the shared client thread. */
export class ThreadedHttp1Client {
  private readonly id = nextClient++;
  private closed = false;

  constructor(opts: Http1ClientOptions) {
    options.set(this.id, opts);
    if (thread) thread.post(OPEN, this.id, opts);
    else wire(); // started now, with this client open in it
  }

  request(req: Http1Request): Promise<Http1Answer> {
    if (this.closed) return Promise.reject(new Error('the HTTP client is closed'));
    const t = thread ?? wire(); // a new thread is sent every open client first
    return t.request(this.id, req);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    options.delete(this.id);
    thread?.post(CLOSE, this.id);
  }
}

/** Whether the client thread is running (started by the first client made; tests). */
export function clientThreadStarted(): boolean {
  return thread !== undefined;
}
