// POSTs raw bytes with node:http, as a sender that writes its whole body at
// once does (Node sets the Content-Length), over a real connection: the
// answer, or the socket error that replaced it (a reset shows as EPIPE or
// ECONNRESET instead of a status). Used by tests and by scripts/try-out.ts.
import { request, type Agent } from 'node:http';

export type PostAnswer = { status: number; text: string; connection?: string } | { error: string };

/** `type`: the Content-Type (JSON by default); `agent`: a kept connection to reuse. */
export function postBytes(url: string, bytes: Buffer | string, opts: { agent?: Agent; type?: string } = {}): Promise<PostAnswer> {
  return new Promise((resolve) => {
    const req = request(`${url}/`, { method: 'POST', agent: opts.agent, headers: { 'content-type': opts.type ?? 'application/json' } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c) => { text += c; });
      res.on('end', () => resolve({ status: res.statusCode!, text, connection: res.headers.connection }));
    });
    req.on('error', (e: NodeJS.ErrnoException) => resolve({ error: e.code ?? e.message }));
    req.end(bytes);
  });
}
