// POST /tenant/:route: evaluates one route for the event and answers with
// what its deliveries did (first attempts), secrets in details masked.

import { redactSecrets } from '../../logging/redact.js';
import type { DeliveryRecord } from '../../delivery/scheduler.js';
import { HttpError } from '../http-errors.js';
import type { Surface } from '../surface-context.js';

const params = { type: 'object', required: ['route'], properties: { route: { type: 'string', minLength: 1 } } } as const;

function summary(records: DeliveryRecord[]) {
  return records.map((r) => ({
    route: r.routeName, action: r.actionName, deliveryId: r.deliveryId, ok: r.ok, state: r.state,
    detail: r.detail === undefined ? undefined : redactSecrets(r.detail), log: r.log.map(redactSecrets),
  }));
}

export const tenantSurface: Surface = async (app, ctx) => {
  app.addHook('onRequest', ctx.ingest.onRequest);
  // An unknown route is refused before its body is read.
  app.addHook('onRequest', async (req) => {
    const name = (req.params as { route?: string }).route ?? '';
    if (!ctx.holder.current.routes.has(name)) throw new HttpError(404, `unknown route "${name}"`, 'unknown_route');
  });

  app.post<{ Params: { route: string } }>('/tenant/:route', { config: { ingest: true }, schema: { params } }, async (req, reply) => {
    const name = req.params.route;
    const { event, removed } = ctx.ingest.eventOf(req);
    const { routed, done } = ctx.ingest.route(req, event, name);
    await routed.committed;
    const records = await done;
    return reply.status(200).send({
      eventId: routed.eventId, route: name, matched: routed.matched.includes(name),
      skipped: routed.skipped.map((s) => s.reason), deliveries: summary(records), ...(removed.length ? { removed } : {}),
    });
  });
};
