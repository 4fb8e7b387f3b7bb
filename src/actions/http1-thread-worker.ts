// The worker side of http1-thread.ts: runs the http and webhook actions'
// requests through Http1Client in this thread and answers in batches.

import { parentPort } from 'node:worker_threads';
import { Http1Client, type Http1ClientOptions, type Http1Request } from './http1-client.js';
import type { ToThread, FromThread } from './http1-thread.js';

const port = parentPort!;
const clients = new Map<number, Http1Client>();
const running = new Map<number, (reason: Error) => void>();
let out: FromThread[] = [];
let flushing = false;

function answer(m: FromThread): void {
  out.push(m);
  if (flushing) return;
  flushing = true;
  // Every answer of this turn of the loop in one message.
  setImmediate(() => { flushing = false; const batch = out; out = []; port.postMessage(batch); });
}

port.on('message', (batch: ToThread[]) => {
  for (const m of batch) {
    switch (m[0]) {
      case 'open': clients.get(m[1])?.close(); clients.set(m[1], new Http1Client(m[2] as Http1ClientOptions)); break;
      case 'close': void clients.get(m[1])?.close(); clients.delete(m[1]); break;
      case 'cancel': running.get(m[1])?.(new Error('cancelled')); break;
      case 'req': {
        const [, id, clientId, url, method, headers, body, timeoutMs, baseOf] = m;
        const client = clients.get(clientId);
        if (!client) { answer([id, -1, 'Error', 'the HTTP client is closed']); break; }
        // Bytes come as a latin1 string: one byte per character, cloned as a plain copy.
        const sent = body === undefined ? undefined : body[0] === 's' ? body[1] : Buffer.from(body[1], 'latin1');
        // The same string object as the body when it was the body's text: the client encodes it once for both.
        const base64Of = baseOf === 1 ? sent as string : baseOf;
        const req: Http1Request = { url, method, headers, timeoutMs, onCancel: (cancel) => running.set(id, cancel) };
        if (sent !== undefined) req.body = sent;
        if (base64Of !== undefined) req.base64Of = base64Of;
        client.request(req).then(
          (a) => { running.delete(id); answer([id, a.status, a.body]); },
          (e: Error) => { running.delete(id); answer([id, -1, e?.name ?? 'Error', e?.message ?? String(e)]); },
        );
        break;
      }
    }
  }
});
