// The Fastify application: one plugin per surface (surfaces/), auth as
// scoped onRequest hooks (a token is checked before any body is read), one
// body parser with the size, nesting, key and number limits, and one error
// table (http-errors.ts) behind every error answer. Adding a surface is one
// line in SURFACES.

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest, type FastifyServerOptions } from 'fastify';
import { DEFAULT_MAX_DEPTH, DEFAULT_MAX_KEYS } from '../config/env.js';
import { silentLogger, type Logger } from '../logging/logger.js';
import { lazyChildLogger } from '../logging/lazy-child.js';
import type { EventRouter } from '../routing/event-router.js';
import type { DeliveryQueue } from '../delivery/scheduler.js';
import type { DeliveryRows, StoreHealth } from '../store/types.js';
import type { ConsoleReads } from '../store/console-queries.js';
import type { SignatureVerifier } from './auth.js';
import { registerBodyParser } from './body-parser.js';
import { lazySchemaCompilers } from './lazy-schema-compilers.js';
import { EventLog } from './event-log.js';
import { answerFor, HttpError, sendError } from './http-errors.js';
import type { ServerMetrics } from './metrics.js';
import type { RuntimeHolder } from './runtime-holder.js';
import type { AppSettings, Surface, SurfaceContext } from './surface-context.js';
import { adminSurface } from './surfaces/admin.js';
import { deliveriesSurface } from './surfaces/deliveries.js';
import { healthSurface } from './surfaces/health.js';
import { IngestPipeline } from './surfaces/ingest-pipeline.js';
import type { Backpressure } from './backpressure.js';
import { ingestSurface } from './surfaces/ingest.js';
import { metricsSurface } from './surfaces/metrics.js';
import { tenantSurface } from './surfaces/tenant.js';
import { consoleSurface } from '../ui/server/console-surface.js';

export { PING_TEXT } from './surfaces/health.js';
export { HOPS_HEADER } from './surfaces/ingest-pipeline.js';
export { HttpError };

/** Every HTTP surface of the server, in registration order. */
export const SURFACES: readonly Surface[] = [healthSurface, metricsSurface, ingestSurface, tenantSurface, adminSurface, deliveriesSurface, consoleSurface];

/** 503 reasons that are deliberate refusals, not failures. */
const SHEDDING_REASONS = new Set(['backpressure', 'admission', 'inbox_full']);

export interface AppDeps {
  settings: AppSettings;
  holder: RuntimeHolder;
  queue: DeliveryQueue;
  router: EventRouter;
  /** Enables the deliveries admin API. */
  store?: DeliveryRows;
  /** The web console's list queries (absent on PostgreSQL for now). */
  consoleQueries?: ConsoleReads;
  /** Whether the database answers (readyz). */
  storeHealth?: () => StoreHealth;
  /** Wakes the scheduler after an admin retry. */
  poke?: () => void;
  metrics: ServerMetrics;
  eventLog?: EventLog;
  /** The server's structured log (silent when absent). */
  logger?: Logger;
  /** Shared by the HTTP and HTTPS apps so a signature replayed on the other listener is caught. */
  signatures?: SignatureVerifier;
  /** Sees every accepted event (the cluster exporter reads trivy-operator reports from it). */
  observe?: (event: unknown) => void;
  /** More surfaces (the scan API is mounted by the server itself). */
  surfaces?: readonly Surface[];
  /** Delivery lag and whether ingest is refused for it (HOOKER_MAX_DELIVERY_LAG). */
  backpressure?: Backpressure;
}

/** Node's own server options for the request, connection and header timeouts. */
export function serverTimeouts(settings: AppSettings) {
  const requestTimeout = settings.requestTimeoutMs ?? 0;
  return {
    requestTimeout,
    // Headers must come in within the request timeout too (Node requires headersTimeout <= requestTimeout).
    headersTimeout: requestTimeout > 0 ? Math.min(requestTimeout, 60_000) : 60_000,
    keepAliveTimeout: 72_000,
    // Node checks the request timeout at this interval (30 s by default: too coarse for short limits).
    connectionsCheckingInterval: requestTimeout > 0 ? Math.max(250, Math.min(requestTimeout / 4, 30_000)) : 30_000,
    connectionTimeout: settings.connectionTimeoutMs ?? 0,
  };
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The request listener ahead of Fastify (IngestPipeline.listener: ingest's share of each turn, the early overload refusals): a server built outside Fastify (HTTPS) uses it around `routing`. */
    ingestListener(next: (req: IncomingMessage, res: ServerResponse) => void): (req: IncomingMessage, res: ServerResponse) => void;
  }
}

/** Bodies declared over HOOKER_MAX_BODY are read and dropped after their 413 up to this size (drainDeclaredBody). */
export function drainLimit(maxBody: number): number {
  return Math.max(4 * maxBody, 64 * 1024 * 1024);
}

/**
 * A body whose Content-Length is over the limit is refused before a byte of it
 * is read, and Fastify closes the connection. The client is still sending it:
 * the kernel answers the unread bytes with a reset, and a reset throws away
 * the 413 before many clients read it (Node's http client got EPIPE for
 * half or more of 12-20 MiB posts). Up to drainLimit, the connection stays open instead, and
 * Node reads and drops the unread body (what it does for any request a
 * handler left unread), so the sender finishes and reads its 413. Larger
 * declared bodies, and chunked ones that only turn out too large while read
 * (their end is unknown), still close at once: the server never reads more
 * than a bounded amount for a refused request, and requestTimeout bounds a
 * slow sender as for any body.
 */
function drainDeclaredBody(req: FastifyRequest, reply: FastifyReply, maxBody: number): void {
  const declared = Number(req.headers['content-length']);
  if (declared > maxBody && declared <= drainLimit(maxBody)) reply.removeHeader('connection');
}

export function buildApp(deps: AppDeps): FastifyInstance {
  const { settings, metrics } = deps;
  const t = serverTimeouts(settings);
  let closing = false;
  const base = {
    settings, holder: deps.holder, queue: deps.queue, router: deps.router, metrics,
    eventLog: deps.eventLog ?? new EventLog(), store: deps.store, consoleQueries: deps.consoleQueries, storeHealth: deps.storeHealth, poke: deps.poke ?? (() => {}),
    observe: deps.observe, closing: () => closing, backpressure: deps.backpressure,
  };
  const ingest = new IngestPipeline(base, deps.signatures);
  // The inbox gauge is read when /metrics is collected, not set by every accepted event.
  metrics.pendingFrom(() => deps.queue.pending());
  const logger = deps.logger ?? silentLogger();
  const app: FastifyInstance = Fastify({
    // Fastify's own server, with the overload refusals answered in its request listener before Fastify sees the request.
    serverFactory: (handler) => {
      const server = createServer({ headersTimeout: t.headersTimeout, connectionsCheckingInterval: t.connectionsCheckingInterval }, ingest.listener(handler));
      // What Fastify sets on a server it makes itself.
      server.keepAliveTimeout = t.keepAliveTimeout;
      server.requestTimeout = t.requestTimeout;
      server.setTimeout(t.connectionTimeout);
      return server;
    },
    bodyLimit: settings.maxBody,
    loggerInstance: logger as FastifyBaseLogger,
    // Fastify's per-request info lines are off; onResponse logs each request at trace level.
    logController: new LogController({ disableRequestLogging: true }),
    // A request's child logger is made only if the request writes a line (logging/lazy-child.ts).
    childLoggerFactory: lazyChildLogger as unknown as NonNullable<FastifyServerOptions['childLoggerFactory']>,
    return503OnClosing: true,
    // Schemas are compiled on their route's first request, not at start.
    schemaController: { compilersFactory: lazySchemaCompilers },
    requestTimeout: t.requestTimeout,
    connectionTimeout: t.connectionTimeout,
    keepAliveTimeout: t.keepAliveTimeout,
  });
  if (settings.maxConnections) app.server.maxConnections = settings.maxConnections;
  app.decorate('ingestListener', (next: (req: IncomingMessage, res: ServerResponse) => void) => ingest.listener(next));
  app.addHook('onClose', async () => { closing = true; });

  registerBodyParser(app, { maxDepth: settings.maxDepth ?? DEFAULT_MAX_DEPTH, maxKeys: settings.maxKeys ?? DEFAULT_MAX_KEYS });
  app.decorateRequest('hops', 0);
  app.decorateRequest('eventId', '');

  app.setErrorHandler((error, req, reply) => {
    const err = error as Parameters<typeof answerFor>[0];
    const a = answerFor(err, req, { maxBody: settings.maxBody });
    if (req.routeOptions.config?.ingest) metrics.eventsRejected.inc({ reason: a.reason });
    // Load shedding (503 for delivery lag or a full inbox) is expected under
    // overload: one line per refusal would cost the CPU the refusal saves; the
    // server logs when refusing starts and stops instead.
    if (a.status >= 500 && !SHEDDING_REASONS.has(a.reason)) {
      req.log.error({ err, reqId: req.id, method: req.method, url: req.url, status: a.status, ...(req.eventId ? { eventId: req.eventId } : {}) }, `request failed with ${a.status}: ${err.message}`);
    } else {
      req.log.debug({ reqId: req.id, method: req.method, url: req.url, status: a.status, reason: a.reason }, a.message);
    }
    if (a.status === 413) drainDeclaredBody(req, reply, settings.maxBody);
    return sendError(reply, a);
  });
  app.setNotFoundHandler((req, reply) => sendError(reply, { status: 404, reason: 'not_found', message: `no endpoint ${req.method} ${req.url}` }));
  // A hook costs every request its run (and a promise) even when the line is
  // not written: added only when the log level writes trace lines.
  if (logger.isLevelEnabled('trace')) {
    app.addHook('onResponse', (req, reply, done) => {
      req.log.trace({ reqId: req.id, method: req.method, url: req.url, status: reply.statusCode, ms: Math.round(reply.elapsedTime) }, 'request');
      done();
    });
  }

  const ctx: SurfaceContext = { ...base, ingest };
  for (const surface of [...SURFACES, ...(deps.surfaces ?? [])]) void app.register(surface, ctx);
  return app;
}
