// The one body parser of the server (every surface, the scan API too):
// JSON bodies under the content types of content-type.ts, read up to
// HOOKER_MAX_BODY, checked by the request's body guard (the ingest HMAC,
// over the raw bytes, before any parsing), then parsed within the nesting,
// key and number limits.

import type { IncomingHttpHeaders } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { ACCEPTED_CONTENT_TYPES, bodyKindOf } from './content-type.js';
import { HttpError } from './http-errors.js';
import { bodyText, JsonBodyError, parseJsonText } from './json-body.js';
import type { JsonLimits } from './json-shape.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by a surface's onRequest hook to check the raw body before it is parsed (throws to refuse). */
    bodyGuard: ((raw: Buffer) => void) | null;
  }
}

export function unsupportedContentType(what: string): HttpError {
  return new HttpError(415, `unsupported ${what}: send ${ACCEPTED_CONTENT_TYPES}`, 'content_type');
}

/** 415 for a request whose body the parser would refuse anyway (checked before reading it). */
export function checkContentType(req: { headers: IncomingHttpHeaders }): void {
  const hasBody = req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
  if (!hasBody) return;
  const kind = bodyKindOf(req.headers['content-type']);
  if ('refused' in kind) throw unsupportedContentType(kind.refused);
}

export function registerBodyParser(app: FastifyInstance, limits: JsonLimits): void {
  app.removeAllContentTypeParsers();
  app.decorateRequest('bodyGuard', null);
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (req, raw, done) => {
    const kind = bodyKindOf(req.headers['content-type']);
    if ('refused' in kind) { done(unsupportedContentType(kind.refused), undefined); return; }
    try {
      req.bodyGuard?.(raw as Buffer);
      const text = bodyText(raw as Buffer);
      if (kind.kind === 'text') {
        try {
          done(null, parseJsonText(text, limits));
        } catch (e) {
          // A text/plain body is taken only when it holds JSON.
          if (e instanceof JsonBodyError && e.reason === 'malformed_json') throw unsupportedContentType(`text/plain body that is not JSON (${e.message})`);
          throw e;
        }
        return;
      }
      done(null, parseJsonText(text, limits));
    } catch (e) {
      done(e as Error, undefined);
    }
  });
}
