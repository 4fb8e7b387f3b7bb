// The one body parser of the server (every surface, the scan API too):
// JSON bodies under the content types of content-type.ts, read up to
// HOOKER_MAX_BODY, checked by the request's body guard (the ingest HMAC,
// over the raw bytes, before any parsing), then parsed within the nesting,
// key and number limits.

import type { IncomingHttpHeaders } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { ACCEPTED_CONTENT_TYPES, bodyKindOf } from './content-type.js';
import { HttpError } from './http-errors.js';
import { type CanonicalBody, JsonBodyError, parseBodyKeepingText } from './json-body.js';
import type { JsonLimits } from './json-shape.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by a surface's onRequest hook to check the raw body before it is parsed (throws to refuse). */
    bodyGuard: ((raw: Buffer) => void) | null;
    /** The body's text and bytes when they are exactly stringifyJson of `body` (json-body.ts canonicalText decides whether they still are). */
    canonicalBody: CanonicalBody | null;
  }
}

/**
 * The body of an ingest request (a route with `config.ingest`) whose text is
 * canonical and valid JSON, left unparsed: its value is made from
 * `canonicalBody` when something reads the event (json-body.ts
 * parseBodyKeepingText's `defer`). Only the ingest surfaces see it.
 */
export const DEFERRED_BODY: unique symbol = Symbol('hooker.deferredBody');

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
  app.decorateRequest('canonicalBody', null);
  const parse: Parameters<typeof app.addContentTypeParser>[2] = (req, raw, done) => {
    const kind = bodyKindOf(req.headers['content-type']);
    if ('refused' in kind) { done(unsupportedContentType(kind.refused), undefined); return; }
    try {
      req.bodyGuard?.(raw as Buffer);
      let parsed: ReturnType<typeof parseBodyKeepingText>;
      try {
        parsed = parseBodyKeepingText(raw as Buffer, limits, req.routeOptions.config?.ingest === true);
      } catch (e) {
        // A text/plain body is taken only when it holds JSON.
        if (kind.kind === 'text' && e instanceof JsonBodyError && e.reason === 'malformed_json') throw unsupportedContentType(`text/plain body that is not JSON (${e.message})`);
        throw e;
      }
      req.canonicalBody = parsed.canonical ?? null;
      done(null, parsed.deferred ? DEFERRED_BODY : parsed.value);
    } catch (e) {
      done(e as Error, undefined);
    }
  };
  // One parser for every content type (it judges the header itself), also
  // registered under application/json by name: Fastify caches the parser it
  // finds for a header only when one is registered under that type, so with
  // '*' alone every request parsed its Content-Type header into an object
  // again (about 1 % of held ingest's event loop, issue 12).
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, parse);
  app.addContentTypeParser('*', { parseAs: 'buffer' }, parse);
}
