// The worker side of http1-thread.ts: runs the http and webhook actions'
// requests through Http1Client in this thread and answers in batches
// (what crosses: http1-thread-wire.ts).

import { parentPort } from 'node:worker_threads';
import { Http1Client } from './http1-client.js';
import { answerError, answerOk, readBatch, type FromThread, type ToThread } from './http1-thread-wire.js';

const port = parentPort!;
const clients = new Map<number, Http1Client>();
const running = new Map<number, (reason: Error) => void>();
let out: FromThread = [];
let flushing = false;

function flushSoon(): void {
  if (flushing) return;
  flushing = true;
  // Every answer of this turn of the loop in one message.
  setImmediate(() => { flushing = false; const batch = out; out = []; port.postMessage(batch); });
}

port.on('message', (batch: ToThread) => readBatch(batch, {
  open(clientId, options) { void clients.get(clientId)?.close(); clients.set(clientId, new Http1Client(options)); },
  close(clientId) { void clients.get(clientId)?.close(); clients.delete(clientId); },
  cancel(id) { running.get(id)?.(new Error('cancelled')); },
  request(id, clientId, req) {
    const client = clients.get(clientId);
    if (!client) { answerError(out, id, new Error('the HTTP client is closed')); flushSoon(); return; }
    client.request({ ...req, onCancel: (cancel) => running.set(id, cancel) }).then(
      (a) => { running.delete(id); answerOk(out, id, a); flushSoon(); },
      (e: unknown) => { running.delete(id); answerError(out, id, e); flushSoon(); },
    );
  },
}));
