// The http and webhook actions' requests sent from a worker thread: the
// server's event loop only hands each request over (batched per turn of the
// loop) and takes its answer back, while the sockets, the kernel's send and
// the answers' parsing cost the other thread.
//
// Opt-in (HOOKER_HTTP_THREAD=1, see actionClient in http-send.ts): in
// bench:delivery the main thread's CPU per delivery fell by about a third,
// but the process's rose and, on the idle 2-core machine shared with the
// load generator and the receiver, the drain was slower than on the event
// loop (BENCHMARKS.md, "Issue 12, session 6: wire").
//
// One thread for all actions, started with the first request (nothing at
// start-up). If it dies, the requests in flight fail (their deliveries are
// retried) and the next request starts a new one.

import { Worker } from 'node:worker_threads';
import { abortReason, whenAborted, type Http1Answer, type Http1ClientOptions, type Http1Request } from './http1-client.js';
import { ChurnMap } from '../churn-map.js';

export type ToThread =
  | ['open', number, Http1ClientOptions]
  | ['close', number]
  | ['cancel', number]
  | ['req', number, number, string, string, Record<string, string | string[]> | undefined, ['s' | 'b', string] | undefined, number, BaseOf];
/**
 * A request's base64Of: absent, 1 when it is the body's text (it crosses
 * once), or the text. The text crosses as it is and the thread encodes it
 * (http1-client.ts Http1Request.base64Of).
 */
export type BaseOf = string | 1 | undefined;
/** [id, status, body] or [id, -1, error name, error message]. */
export type FromThread = [number, number, string] | [number, -1, string, string];

// CommonJS run with eval: loads the worker module next to this one (the .ts
// source through tsx when the server itself runs from source, as in tests).
const SOURCE = `
const { workerData } = require('node:worker_threads');
(async () => {
  if (workerData.tsx) (await import('tsx/esm/api')).register();
  await import(workerData.entry);
})().catch((e) => { process.stderr.write('hooker: HTTP client thread failed to start: ' + (e && e.stack || e) + '\\n'); process.exit(1); });
`;

interface Pending { resolve(a: Http1Answer): void; reject(e: Error): void; offAbort?: () => void }

class WireThread {
  private readonly worker: Worker;
  /** Requests not answered yet, by id (a ChurnMap: see src/churn-map.ts for why not a Map). */
  private readonly pending = new ChurnMap<number, Pending>();
  private outbox: ToThread[] = [];
  private flushing = false;
  private nextId = 1;

  constructor(private readonly onGone: (t: WireThread) => void, opens: Iterable<[number, Http1ClientOptions]>) {
    const fromSource = import.meta.url.endsWith('.ts');
    this.worker = new Worker(SOURCE, {
      eval: true,
      workerData: { entry: new URL(`./http1-thread-worker.${fromSource ? 'ts' : 'js'}`, import.meta.url).href, tsx: fromSource },
    });
    this.worker.unref();
    this.worker.on('message', (batch: FromThread[]) => this.answers(batch));
    this.worker.on('error', (e) => this.gone(e));
    this.worker.on('exit', (code) => this.gone(new Error(`exited with code ${code}`)));
    for (const [id, options] of opens) this.post(['open', id, options]);
  }

  post(m: ToThread): void {
    this.outbox.push(m);
    if (this.flushing) return;
    this.flushing = true;
    // Every request of this turn of the loop (a lane launches several) in one message.
    setImmediate(() => {
      this.flushing = false;
      const batch = this.outbox;
      this.outbox = [];
      this.worker.postMessage(batch);
    });
  }

  request(clientId: number, req: Http1Request): Promise<Http1Answer> {
    return new Promise<Http1Answer>((resolve, reject) => {
      const { signal } = req;
      if (signal?.aborted) { reject(abortReason(signal)); return; }
      const id = this.nextId++;
      const p: Pending = { resolve, reject };
      if (signal) {
        p.offAbort = whenAborted(signal, (reason) => {
          if (!this.pending.delete(id)) return;
          this.settled();
          this.post(['cancel', id]);
          reject(reason);
        });
      }
      if (this.pending.size === 0) this.worker.ref(); // a request in flight keeps the process up, as a socket would
      this.pending.set(id, p);
      // Bytes go as a latin1 string (a plain copy each way): a Buffer is often a view of a larger pooled one, which cloning would copy whole, and transferring a copy cost more.
      const body: ['s' | 'b', string] | undefined = req.body === undefined ? undefined
        : typeof req.body === 'string' ? ['s', req.body] : ['b', latin1(req.body)];
      const baseOf: BaseOf = req.base64Of === undefined ? undefined : req.base64Of === req.body ? 1 : req.base64Of;
      this.post(['req', id, clientId, typeof req.url === 'string' ? req.url : req.url.href, req.method, req.headers, body, req.timeoutMs, baseOf]);
    });
  }

  private answers(batch: FromThread[]): void {
    for (const m of batch) {
      const p = this.pending.get(m[0]);
      if (!p) continue; // aborted meanwhile
      this.pending.delete(m[0]);
      p.offAbort?.();
      if (m[1] === -1) {
        const e = new Error((m as [number, -1, string, string])[3]);
        e.name = (m as [number, -1, string, string])[2];
        p.reject(e);
      } else p.resolve({ status: m[1], body: m[2] });
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
    for (const p of pending) {
      p.offAbort?.();
      p.reject(new Error(`the HTTP client thread stopped: ${e.message}`));
    }
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
    if (thread) thread.post(['open', this.id, opts]);
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
    thread?.post(['close', this.id]);
  }
}
