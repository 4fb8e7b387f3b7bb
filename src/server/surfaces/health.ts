// GET /ping (Postee's liveness text), /healthz and /readyz.

import type { Surface } from '../surface-context.js';

export const PING_TEXT = 'Hooker alive!';

export const healthSurface: Surface = async (app, ctx) => {
  app.get('/ping', async (_req, reply) => reply.type('text/plain; charset=utf-8').send(PING_TEXT));
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_req, reply) => {
    if (ctx.closing()) return reply.status(503).send({ error: 'Service Unavailable', message: 'shutting down' });
    const rt = ctx.holder.current;
    return { status: 'ready', routes: rt.routes.size, actions: rt.actions.size, inbox: ctx.queue.pending(), loadedAt: new Date(rt.loadedAt).toISOString() };
  });
};
