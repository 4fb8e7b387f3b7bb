// The deliveries admin API (bearer HOOKER_ADMIN_TOKEN): list by state and
// route, show one with its attempts and output, retry one or all dead
// letters, purge finished records.

import type { FastifyInstance, FastifyRequest } from 'fastify';
import { DELIVERY_STATES, type DeliveryState, type DeliveryStore } from '../store/delivery-store.js';

export interface AdminDeps {
  store: DeliveryStore;
  requireAdmin(req: FastifyRequest, what: string): void;
  poke(): void;
}

interface ListQuery { state?: string; route?: string; action?: string; event?: string; limit?: string }

function badRequest(message: string): Error {
  return Object.assign(new Error(message), { statusCode: 400 });
}

function stateOf(v: string | undefined): DeliveryState | undefined {
  if (v === undefined || v === '') return undefined;
  if (!(DELIVERY_STATES as readonly string[]).includes(v)) throw badRequest(`state must be one of ${DELIVERY_STATES.join(', ')}`);
  return v as DeliveryState;
}

/** "7d", "12h", "30m", "45s" ago, or an ISO date. */
export function parseOlderThan(v: string | undefined, now = Date.now()): number | undefined {
  if (v === undefined || v === '') return undefined;
  const m = /^(\d+)(s|m|h|d)$/.exec(v.trim());
  if (m) return now - Number(m[1]) * { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 's' | 'm' | 'h' | 'd'];
  const t = Date.parse(v);
  if (Number.isNaN(t)) throw badRequest(`older-than must be like 7d, 12h, 30m or an ISO date, got "${v}"`);
  return t;
}

export function registerAdminRoutes(app: FastifyInstance, deps: AdminDeps): void {
  const { store, requireAdmin } = deps;

  app.get<{ Querystring: ListQuery }>('/deliveries', async (req) => {
    requireAdmin(req, 'GET /deliveries');
    const q = req.query;
    const limit = Math.min(Math.max(Number(q.limit ?? 100) || 100, 1), 10_000);
    const state = stateOf(q.state);
    return {
      counts: store.countByState(),
      inbox: store.openEvents(),
      deliveries: store.list({ ...(state ? { state } : {}), route: q.route, action: q.action, eventId: q.event, limit }),
    };
  });

  app.get<{ Params: { id: string } }>('/deliveries/:id', async (req, reply) => {
    requireAdmin(req, 'GET /deliveries/:id');
    const d = store.get(req.params.id);
    if (!d) return reply.status(404).send({ error: 'Not Found', message: `no delivery ${req.params.id}` });
    return d;
  });

  app.post<{ Params: { id: string } }>('/deliveries/:id/retry', async (req, reply) => {
    requireAdmin(req, 'POST /deliveries/:id/retry');
    const d = store.get(req.params.id);
    if (!d) return reply.status(404).send({ error: 'Not Found', message: `no delivery ${req.params.id}` });
    if (d.state !== 'dead') return reply.status(409).send({ error: 'Conflict', message: `delivery ${d.id} is ${d.state}; only dead deliveries are retried` });
    const retried = store.retryDead({ id: d.id });
    deps.poke();
    return { retried };
  });

  app.post<{ Querystring: { route?: string; action?: string } }>('/deliveries/retry-dead', async (req) => {
    requireAdmin(req, 'POST /deliveries/retry-dead');
    const retried = store.retryDead({ route: req.query.route, action: req.query.action });
    deps.poke();
    return { retried };
  });

  app.post<{ Querystring: { 'older-than'?: string; state?: string; route?: string } }>('/deliveries/purge', async (req) => {
    requireAdmin(req, 'POST /deliveries/purge');
    const state = stateOf(req.query.state);
    if (state && state !== 'succeeded' && state !== 'dead') throw badRequest('purge removes finished events only: state must be succeeded or dead');
    const before = parseOlderThan(req.query['older-than']);
    const purged = store.purgeFinished({ ...(before !== undefined ? { before } : {}), ...(state ? { state } : {}), ...(req.query.route ? { route: req.query.route } : {}) });
    return { purgedEvents: purged };
  });
}
