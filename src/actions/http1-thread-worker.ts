// The worker side of http1-thread.ts: runs the http and webhook actions'
// requests through Http1Client in this thread and answers in batches.

import { parentPort } from 'node:worker_threads';
import { Http1Client, type Http1ClientOptions, type Http1Request } from './http1-client.js';
import {
  BASE64_BODY, BODY_TEXT, CANCEL, CLOSE, FAILED, NO_BASE64, NO_BODY, OPEN, REQ, type FromThread, type ToThread,
} from './http1-thread.js';

const port = parentPort!;
const clients = new Map<number, Http1Client>();
const running = new Map<number, (reason: Error) => void>();
let out: FromThread = [];
let flushing = false;

function soon(): void {
  if (flushing) return;
  flushing = true;
  // Every answer of this turn of the loop in one message.
  setImmediate(() => { flushing = false; const batch = out; out = []; port.postMessage(batch); });
}

function answered(id: number, status: number, body: string): void {
  out.push(id, status, body);
  soon();
}

function failed(id: number, name: string, message: string): void {
  out.push(id, FAILED, name, message);
  soon();
}

port.on('message', ({ texts, flat }: ToThread) => {
  for (let i = 0; i < flat.length;) {
    const op = flat[i] as number;
    const id = flat[i + 1] as number;
    if (op === OPEN) { clients.get(id)?.close(); clients.set(id, new Http1Client(flat[i + 2] as Http1ClientOptions)); i += 3; continue; }
    if (op === CLOSE) { void clients.get(id)?.close(); clients.delete(id); i += 2; continue; }
    if (op === CANCEL) { running.get(id)?.(new Error('cancelled')); i += 2; continue; }
    if (op !== REQ) throw new Error(`the HTTP client thread got op ${op}`);
    const clientId = flat[i + 2] as number;
    const url = texts[flat[i + 3] as number]!;
    const method = flat[i + 4] as string;
    const nHeaders = flat[i + 5] as number;
    i += 6;
    let headers: Record<string, string | string[]> | undefined;
    if (nHeaders > 0) {
      headers = {};
      for (let h = 0; h < nHeaders; h++, i += 2) headers[flat[i] as string] = flat[i + 1] as string | string[];
    }
    const bodyKind = flat[i++] as number;
    // Bytes come as a latin1 string: one byte per character, cloned as a plain copy.
    const text = bodyKind === NO_BODY ? undefined : texts[flat[i++] as number]!;
    const timeoutMs = flat[i] as number;
    const baseOf = flat[i + 1] as number;
    i += 2;
    const client = clients.get(clientId);
    if (!client) { failed(id, 'Error', 'the HTTP client is closed'); continue; }
    const req: Http1Request = { url, method, timeoutMs, onCancel: (cancel) => running.set(id, cancel) };
    if (headers) req.headers = headers;
    if (text !== undefined) req.body = bodyKind === BODY_TEXT ? text : Buffer.from(text, 'latin1');
    // The same string object as the body when it was the body's text: the client encodes it once for both.
    if (baseOf !== NO_BASE64) req.base64Of = baseOf === BASE64_BODY ? text : texts[baseOf];
    client.request(req).then(
      (a) => { running.delete(id); answered(id, a.status, a.body); },
      (e: Error) => { running.delete(id); failed(id, e?.name ?? 'Error', e?.message ?? String(e)); },
    );
  }
});
