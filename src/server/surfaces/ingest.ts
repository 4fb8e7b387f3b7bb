// POST / and POST /scan (Postee's path): one JSON event, answered 202 once it
// and its deliveries are committed to the database.

import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Surface } from '../surface-context.js';

const accepted = {
  type: 'object',
  properties: {
    eventId: { type: 'string' },
    matched: { type: 'array', items: { type: 'string' } },
    skipped: { type: 'array', items: { type: 'object', properties: { route: { type: 'string' }, reason: { type: 'string' } } } },
    removed: { type: 'array', items: { type: 'string' }, description: 'reserved top-level keys removed from the event (hooker)' },
  },
} as const;

export const ingestSurface: Surface = async (app, ctx) => {
  app.addHook('onRequest', ctx.ingest.onRequest);
  const options = { config: { ingest: true }, schema: { response: { 202: accepted } } };

  async function ingest(req: FastifyRequest, reply: FastifyReply) {
    const { event, removed } = ctx.ingest.eventOf(req);
    const { routed } = ctx.ingest.route(req, event);
    // The 202 is a promise: it is sent only once the event is in the database.
    await routed.committed;
    return reply.status(202).send({ eventId: routed.eventId, matched: routed.matched, skipped: routed.skipped, ...(removed.length ? { removed } : {}) });
  }
  app.post('/', options, ingest);
  app.post('/scan', options, ingest);
};
