// The Fastify application: ingest, tenant, health, metrics and admin
// endpoints. Every error answer is JSON with a `message`.

import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { ServerSettings } from '../config/env.js';
import { formatProblem } from '../config/problems.js';
import type { EventRouter } from '../routing/event-router.js';
import type { DeliveryQueue, DeliveryRecord } from '../routing/delivery-queue.js';
import type { DeliveryStore } from '../store/delivery-store.js';
import { registerAdminRoutes } from './admin-routes.js';
import { bearerMatches, signatureMatches } from './auth.js';
import { EventLog } from './event-log.js';
import { parseJsonBody, JsonBodyError } from './json-body.js';
import type { ServerMetrics } from './metrics.js';
import type { RuntimeHolder } from './runtime-holder.js';

export const PING_TEXT = 'Hooker alive!';
export const HOPS_HEADER = 'hooker-hops';

export interface AppDeps {
  settings: Pick<ServerSettings, 'adminToken' | 'ingestToken' | 'hmacSecret' | 'hmacHeader' | 'maxBody' | 'maxHops' | 'publicUrl' | 'debug'> & { maxInbox?: number };
  holder: RuntimeHolder;
  queue: DeliveryQueue;
  router: EventRouter;
  /** Enables the deliveries admin API. */
  store?: DeliveryStore;
  /** Wakes the scheduler after an admin retry. */
  poke?: () => void;
  metrics: ServerMetrics;
  eventLog?: EventLog;
  logger?: boolean;
  /** Sees every accepted event (the cluster exporter reads trivy-operator reports from it). */
  observe?: (event: unknown) => void;
}

export class HttpError extends Error {
  constructor(readonly statusCode: number, message: string, readonly reason: string) { super(message); }
}

const INGEST_PATHS = new Set(['/', '/scan']);
const rawBodies = new WeakMap<FastifyRequest, Buffer>();

function summary(records: DeliveryRecord[]) {
  return records.map((r) => ({ route: r.routeName, action: r.actionName, deliveryId: r.deliveryId, ok: r.ok, state: r.state, detail: r.detail, log: r.log }));
}

export function buildApp(deps: AppDeps): FastifyInstance {
  const { settings, holder, queue, metrics } = deps;
  const eventLog = deps.eventLog ?? new EventLog();
  const app = Fastify({ bodyLimit: settings.maxBody, logger: deps.logger ?? false, return503OnClosing: true });
  let closing = false;
  app.addHook('onClose', async () => { closing = true; });

  const router = deps.router;

  app.removeAllContentTypeParsers();
  app.addContentTypeParser(/^application\/([a-z0-9.+-]+\+)?json$/i, { parseAs: 'buffer' }, (req, body, done) => {
    rawBodies.set(req, body as Buffer);
    try { done(null, parseJsonBody(body as Buffer)); } catch (e) { done(e as Error, undefined); }
  });

  app.setErrorHandler((err: Error & { statusCode?: number; code?: string; reason?: string }, req, reply) => {
    const status = err.statusCode && err.statusCode >= 400 ? err.statusCode : 500;
    if (INGEST_PATHS.has(req.routeOptions.url ?? '') || req.url.startsWith('/tenant/')) {
      const reason = err instanceof HttpError ? err.reason
        : err instanceof JsonBodyError ? 'malformed_json'
          : err.code === 'FST_ERR_CTP_BODY_TOO_LARGE' ? 'too_large'
            : err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' ? 'content_type'
              : status >= 500 ? 'error' : 'bad_request';
      metrics.eventsRejected.inc({ reason });
    }
    let message = err.message;
    if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') message = `request body is larger than ${settings.maxBody} bytes (HOOKER_MAX_BODY)`;
    if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') message = `unsupported content type "${req.headers['content-type'] ?? '(none)'}": send application/json`;
    if (status >= 500) app.log.error({ err }, 'request failed');
    void reply.status(status).type('application/json').send({ error: statusText(status), message });
  });
  app.setNotFoundHandler((req, reply) => {
    void reply.status(404).send({ error: 'Not Found', message: `no endpoint ${req.method} ${req.url}` });
  });

  function checkIngestAuth(req: FastifyRequest) {
    if (settings.ingestToken && !bearerMatches(req.headers.authorization, settings.ingestToken)) {
      throw new HttpError(401, 'missing or wrong bearer token (HOOKER_TOKEN)', 'unauthorized');
    }
    if (settings.hmacSecret) {
      const header = req.headers[settings.hmacHeader];
      const raw = rawBodies.get(req) ?? Buffer.alloc(0);
      if (!signatureMatches(Array.isArray(header) ? header[0] : header, raw, settings.hmacSecret)) {
        throw new HttpError(401, `missing or wrong HMAC-SHA256 signature in ${settings.hmacHeader}`, 'bad_signature');
      }
    }
  }

  function readHops(req: FastifyRequest): number {
    const raw = req.headers[HOPS_HEADER];
    if (raw === undefined) return 0;
    const text = Array.isArray(raw) ? raw[0]! : raw;
    if (!/^\d+$/.test(text.trim())) throw new HttpError(400, `${HOPS_HEADER} must be a non-negative integer, got "${text}"`, 'bad_request');
    const hops = Number(text);
    if (hops >= settings.maxHops) {
      metrics.hopsExceeded.inc();
      throw new HttpError(508, `event has travelled ${hops} hops, the limit is ${settings.maxHops} (HOOKER_MAX_HOPS): dropped to stop a loop`, 'hops');
    }
    return hops;
  }

  function requireAdmin(req: FastifyRequest, what: string) {
    if (!settings.adminToken) throw new HttpError(404, `${what} is disabled: set HOOKER_ADMIN_TOKEN to enable it`, 'admin');
    if (!bearerMatches(req.headers.authorization, settings.adminToken)) throw new HttpError(401, 'missing or wrong admin bearer token', 'admin');
  }

  function routeEvent(event: unknown, hops: number, only?: string) {
    const routed = router.route(event, { hops, only });
    deps.observe?.(event);
    metrics.evaluationSeconds.observe(routed.evaluationMs / 1000);
    metrics.eventsReceived.inc();
    if (routed.matched.length) metrics.eventsMatched.inc(); else metrics.eventsUnmatched.inc();
    const entry = eventLog.add({ eventId: routed.eventId, receivedAt: new Date().toISOString(), hops, matched: routed.matched, skipped: routed.skipped, deliveries: [] });
    metrics.pending.set(queue.pending());
    const done = routed.done.then((records) => {
      entry.deliveries = records;
      return records;
    });
    return { routed, done };
  }

  function checkInbox(reply: FastifyReply) {
    const max = settings.maxInbox;
    if (max === undefined || queue.pending() < max) return;
    metrics.inboxFull.inc();
    void reply.header('retry-after', '5');
    throw new HttpError(503, `the inbox holds ${queue.pending()} undelivered events, the limit is ${max} (HOOKER_MAX_INBOX): retry later`, 'inbox_full');
  }

  async function ingest(req: FastifyRequest, reply: FastifyReply) {
    if (req.body === undefined) throw new HttpError(415, 'send the event as a JSON body with content-type application/json', 'content_type');
    checkIngestAuth(req);
    const hops = readHops(req);
    checkInbox(reply);
    const { routed } = routeEvent(req.body, hops);
    // The 202 is a promise: it is sent only once the event is in the database.
    await routed.committed;
    return reply.status(202).send({ eventId: routed.eventId, matched: routed.matched, skipped: routed.skipped });
  }
  app.post('/', ingest);
  app.post('/scan', ingest);

  app.post<{ Params: { route: string } }>('/tenant/:route', async (req, reply) => {
    if (req.body === undefined) throw new HttpError(415, 'send the event as a JSON body with content-type application/json', 'content_type');
    checkIngestAuth(req);
    const name = req.params.route;
    if (!holder.current.routes.has(name)) throw new HttpError(404, `unknown route "${name}"`, 'unknown_route');
    const hops = readHops(req);
    checkInbox(reply);
    const { routed, done } = routeEvent(req.body, hops, name);
    await routed.committed;
    const records = await done;
    return reply.status(200).send({
      eventId: routed.eventId, route: name, matched: routed.matched.includes(name),
      skipped: routed.skipped.map((s) => s.reason), deliveries: summary(records),
    });
  });

  app.get('/ping', async (_req, reply) => reply.type('text/plain; charset=utf-8').send(PING_TEXT));
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_req, reply) => {
    if (closing) return reply.status(503).send({ error: 'Service Unavailable', message: 'shutting down' });
    const rt = holder.current;
    return { status: 'ready', routes: rt.routes.size, actions: rt.actions.size, inbox: queue.pending(), loadedAt: new Date(rt.loadedAt).toISOString() };
  });
  app.get('/metrics', async (_req, reply) => reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()));

  app.get<{ Querystring: { limit?: string } }>('/events', async (req) => {
    requireAdmin(req, 'GET /events');
    const limit = Math.min(Math.max(Number(req.query.limit ?? 50) || 50, 1), 200);
    return { events: eventLog.recent(limit) };
  });

  app.post('/reload', async (req, reply) => {
    requireAdmin(req, 'POST /reload');
    const outcome = await holder.reload();
    const warnings = outcome.problems.filter((p) => p.severity === 'warning').map(formatProblem);
    if (!outcome.ok) {
      return reply.status(422).send({
        error: 'Unprocessable Entity',
        message: 'the new configuration has errors; the running configuration stays in place',
        problems: outcome.problems.filter((p) => p.severity === 'error').map(formatProblem),
        warnings,
      });
    }
    return { status: 'reloaded', routes: holder.current.routes.size, warnings };
  });

  if (deps.store) registerAdminRoutes(app, { store: deps.store, requireAdmin, poke: deps.poke ?? (() => {}) });

  return app;
}

function statusText(status: number): string {
  const map: Record<number, string> = {
    400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 413: 'Payload Too Large',
    415: 'Unsupported Media Type', 422: 'Unprocessable Entity', 500: 'Internal Server Error', 503: 'Service Unavailable', 508: 'Loop Detected',
  };
  return map[status] ?? 'Error';
}
