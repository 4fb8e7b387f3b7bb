// GET /ping (Postee's liveness text), /healthz and /readyz.

import type { Surface } from '../surface-context.js';

export const PING_TEXT = 'Hooker alive!';

export const healthSurface: Surface = async (app, ctx) => {
  app.get('/ping', async (_req, reply) => reply.type('text/plain; charset=utf-8').send(PING_TEXT));
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_req, reply) => {
    const rt = ctx.holder.current;
    const bp = ctx.backpressure?.current;
    const body = {
      routes: rt.routes.size, actions: rt.actions.size, inbox: ctx.queue.pending(), loadedAt: new Date(rt.loadedAt).toISOString(),
      ...(rt.configHash ? { configHash: rt.configHash } : {}),
      ...(bp ? { deliveryLagSeconds: bp.lagMs / 1000, maxDeliveryLagSeconds: bp.maxLagMs / 1000 } : {}),
      ...(bp?.highWater ? { inboxHighWater: bp.highWater, inboxLeavingPerSecond: Math.round(bp.leavingPerSecond) } : {}),
    };
    if (ctx.closing()) return reply.status(503).send({ status: 'closing', error: 'Service Unavailable', message: 'shutting down', ...body });
    // A replica whose database does not answer takes no events: the load balancer sends them elsewhere.
    const db = ctx.storeHealth?.() ?? { ok: true };
    if (!db.ok) return reply.status(503).send({ status: 'database_unreachable', error: 'Service Unavailable', message: `database unreachable: ${db.reason ?? 'unknown'}`, ...body });
    // Not ready while ingest refuses for lag: a load balancer sends events to another replica meanwhile.
    if (bp?.refusing) return reply.status(503).send({ status: 'lagging', message: 'deliveries lag more than HOOKER_MAX_DELIVERY_LAG: ingest answers 503 until they catch up', ...body });
    return { status: 'ready', ...body };
  });
};
