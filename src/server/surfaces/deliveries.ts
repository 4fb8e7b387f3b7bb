// The deliveries admin API (bearer HOOKER_ADMIN_TOKEN): list by state and
// route, show one with its attempts and output, retry one or all dead
// letters, purge finished records. Details and logs are shown with secrets
// masked, records written before masking existed included.

import { redactFields, redactSecrets } from '../../logging/redact.js';
import { DELIVERY_STATES, type DeliveryFilter, type DeliveryState, type DeliveryRows } from '../../store/types.js';
import { HttpError } from '../http-errors.js';
import { requireAdmin, type Surface, type SurfaceContext } from '../surface-context.js';

/** One delivery with its attempts, secrets masked (records written before masking existed included). */
export async function shownDelivery(store: DeliveryRows, id: string) {
  const d = await store.get(id);
  if (!d) throw new HttpError(404, `no delivery ${id}`, 'not_found');
  return { ...redactFields(d), attemptLog: d.attemptLog.map((a) => ({ ...a, ...(a.detail ? { detail: redactSecrets(a.detail) } : {}), log: a.log.map(redactSecrets) })) };
}

/**
 * Replays dead letters: one by id (409 unless it is dead), or every dead one
 * matching route/action. The one path behind POST /deliveries/…/retry,
 * `hooker deliveries retry` and the console's replay buttons.
 */
export async function retryDeadLetters(ctx: Pick<SurfaceContext, 'poke'>, store: DeliveryRows, which: { id: string } | Pick<DeliveryFilter, 'route' | 'action'>): Promise<number> {
  let retried: number;
  if ('id' in which) {
    const d = await store.get(which.id);
    if (!d) throw new HttpError(404, `no delivery ${which.id}`, 'not_found');
    if (d.state !== 'dead') throw new HttpError(409, `delivery ${d.id} is ${d.state}; only dead deliveries are retried`, 'conflict');
    retried = await store.retryDead({ id: d.id });
  } else {
    retried = await store.retryDead({ route: which.route, action: which.action });
  }
  ctx.poke();
  return retried;
}

interface ListQuery { state?: string; route?: string; action?: string; event?: string; limit?: string }

const stateSchema = { type: 'string', enum: ['', ...DELIVERY_STATES] } as const;
const limitSchema = { type: 'string', pattern: '^\\s*\\d*\\s*$' } as const;
const listQuery = { type: 'object', properties: { state: stateSchema, route: { type: 'string' }, action: { type: 'string' }, event: { type: 'string' }, limit: limitSchema } } as const;
const idParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', minLength: 1 } } } as const;
const retryQuery = { type: 'object', properties: { route: { type: 'string' }, action: { type: 'string' } } } as const;
const purgeQuery = { type: 'object', properties: { 'older-than': { type: 'string' }, state: { type: 'string', enum: ['', 'succeeded', 'dead'] }, route: { type: 'string' } } } as const;

function stateOf(v: string | undefined): DeliveryState | undefined {
  return v === undefined || v === '' ? undefined : v as DeliveryState;
}

/** "7d", "12h", "30m", "45s" ago, or an ISO date. */
export function parseOlderThan(v: string | undefined, now = Date.now()): number | undefined {
  if (v === undefined || v === '') return undefined;
  const m = /^(\d+)(s|m|h|d)$/.exec(v.trim());
  if (m) return now - Number(m[1]) * { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 's' | 'm' | 'h' | 'd'];
  const t = Date.parse(v);
  if (Number.isNaN(t)) throw new HttpError(400, `older-than must be like 7d, 12h, 30m or an ISO date, got "${v}"`, 'bad_request');
  return t;
}

export const deliveriesSurface: Surface = async (app, ctx) => {
  const store = ctx.store;
  if (!store) return;
  app.addHook('onRequest', requireAdmin(ctx.settings));

  app.get<{ Querystring: ListQuery }>('/deliveries', { schema: { querystring: listQuery } }, async (req) => {
    const q = req.query;
    const limit = Math.min(Math.max(Number(q.limit ?? 100) || 100, 1), 10_000);
    const state = stateOf(q.state);
    return {
      counts: await store.countByState(),
      inbox: await store.openEvents(),
      deliveries: (await store.list({ ...(state ? { state } : {}), route: q.route, action: q.action, eventId: q.event, limit })).map((d) => redactFields(d)),
    };
  });

  app.get<{ Params: { id: string } }>('/deliveries/:id', { schema: { params: idParams } }, async (req) => shownDelivery(store, req.params.id));

  app.post<{ Params: { id: string } }>('/deliveries/:id/retry', { schema: { params: idParams } }, async (req) => ({ retried: await retryDeadLetters(ctx, store, { id: req.params.id }) }));

  app.post<{ Querystring: { route?: string; action?: string } }>('/deliveries/retry-dead', { schema: { querystring: retryQuery } }, async (req) => ({
    retried: await retryDeadLetters(ctx, store, { route: req.query.route, action: req.query.action }),
  }));

  app.post<{ Querystring: { 'older-than'?: string; state?: string; route?: string } }>('/deliveries/purge', { schema: { querystring: purgeQuery } }, async (req) => {
    const state = stateOf(req.query.state) as 'succeeded' | 'dead' | undefined;
    const before = parseOlderThan(req.query['older-than']);
    const purged = await store.purgeFinished({ ...(before !== undefined ? { before } : {}), ...(state ? { state } : {}), ...(req.query.route ? { route: req.query.route } : {}) });
    return { purgedEvents: purged };
  });
};
