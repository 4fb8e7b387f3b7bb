// GET /events (the most recent events and their deliveries) and POST /reload,
// behind HOOKER_ADMIN_TOKEN.

import { formatProblem } from '../../config/problems.js';
import { requireAdmin, type Surface } from '../surface-context.js';

const eventsQuery = { type: 'object', properties: { limit: { type: 'string', pattern: '^\\s*\\d*\\s*$' } } } as const;

export const adminSurface: Surface = async (app, ctx) => {
  app.addHook('onRequest', requireAdmin(ctx.settings));

  app.get<{ Querystring: { limit?: string } }>('/events', { schema: { querystring: eventsQuery } }, async (req) => {
    const limit = Math.min(Math.max(Number(req.query.limit ?? 50) || 50, 1), 200);
    return { events: ctx.eventLog.recent(limit) };
  });

  app.post('/reload', async (_req, reply) => {
    const outcome = await ctx.holder.reload();
    const warnings = outcome.problems.filter((p) => p.severity === 'warning').map(formatProblem);
    if (!outcome.ok) {
      return reply.status(422).send({
        error: 'Unprocessable Entity',
        message: 'the new configuration has errors; the running configuration stays in place',
        problems: outcome.problems.filter((p) => p.severity === 'error').map(formatProblem),
        warnings,
      });
    }
    return { status: 'reloaded', routes: ctx.holder.current.routes.size, warnings };
  });
};
