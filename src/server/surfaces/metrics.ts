// GET /metrics: the Prometheus registry of this server.

import type { Surface } from '../surface-context.js';

export const metricsSurface: Surface = async (app, ctx) => {
  app.get('/metrics', async (_req, reply) => reply.type(ctx.metrics.registry.contentType).send(await ctx.metrics.registry.metrics()));
};
