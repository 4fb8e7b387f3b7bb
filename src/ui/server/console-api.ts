// The console's JSON API (/api/ui/...), mounted behind the session hook of
// console-surface.ts. Lists page by cursor; replay goes through the same
// function as POST /deliveries/:id/retry and `hooker deliveries retry`;
// the playground never delivers.

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { formatProblem } from '../../config/problems.js';
import { isSecretName, REDACTED, redactSecrets } from '../../logging/redact.js';
import { resolveFilterFile } from '../../routing/route-modules.js';
import { parseRun } from '../../routing/split-items.js';
import { CursorError } from '../../store/console-queries.js';
import { DELIVERY_STATES, type DeliveryState } from '../../store/types.js';
import { HttpError } from '../../server/http-errors.js';
import type { Surface } from '../../server/surface-context.js';
import { parseOlderThan, retryDeadLetters, shownDelivery } from '../../server/surfaces/deliveries.js';
import { runPlayground } from './playground.js';

const text = (max = 512) => ({ type: 'string', maxLength: max }) as const;
const cursorSchema = { type: 'string', maxLength: 512 } as const;
const limitSchema = { type: 'string', pattern: '^\\s*\\d{0,4}\\s*$' } as const;
const timeSchema = { type: 'string', maxLength: 64 } as const;
const eventsQuery = {
  type: 'object', additionalProperties: false,
  properties: { text: text(), route: text(), action: text(), state: { type: 'string', enum: ['', ...DELIVERY_STATES] }, since: timeSchema, until: timeSchema, limit: limitSchema, cursor: cursorSchema },
} as const;
const idParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', minLength: 1, maxLength: 200 } } } as const;
const deadQuery = { type: 'object', additionalProperties: false, properties: { route: text(), action: text(), limit: limitSchema, cursor: cursorSchema } } as const;
const replayBody = {
  type: 'object', additionalProperties: false,
  properties: {
    ids: { type: 'array', items: { type: 'string', minLength: 1, maxLength: 200 }, minItems: 1, maxItems: 1000 },
    route: { type: 'string', minLength: 1, maxLength: 512 }, action: { type: 'string', minLength: 1, maxLength: 512 },
  },
} as const;
const purgeBody = {
  type: 'object', additionalProperties: false, required: ['confirm'],
  properties: { confirm: { const: true }, route: { type: 'string', maxLength: 512 }, olderThan: { type: 'string', maxLength: 64 } },
} as const;
const playgroundBody = {
  type: 'object', additionalProperties: false,
  properties: {
    event: {}, eventId: { type: 'string', maxLength: 200 },
    route: { type: 'string', minLength: 1, maxLength: 512 },
    input: { type: 'string', maxLength: 65_536 }, template: { type: 'string', maxLength: 262_144 },
  },
} as const;
const scansQuery = { type: 'object', additionalProperties: false, properties: { state: text(32), limit: limitSchema, cursor: cursorSchema } } as const;

/** "2026-11-25T10:00", an ISO date, or epoch milliseconds -> ms. */
function timeOf(v: string | undefined, name: string): number | undefined {
  if (v === undefined || v.trim() === '') return undefined;
  const t = /^\d+$/.test(v.trim()) ? Number(v) : Date.parse(v);
  if (Number.isNaN(t)) throw new HttpError(400, `${name} must be an ISO date or epoch milliseconds, got "${v}"`, 'bad_request');
  return t;
}

const limitOf = (v: string | undefined) => (v === undefined || v.trim() === '' ? undefined : Number(v));

/** The running config as the Config page shows it: secret-named keys and credentials in strings masked. */
export function redactConfig(v: unknown, key = ''): unknown {
  if (typeof v === 'string') return key && isSecretName(key) && v !== '' ? REDACTED : redactSecrets(v);
  if (Array.isArray(v)) return v.map((x) => redactConfig(x));
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, redactConfig(x, k)]));
  return v;
}

async function pageOf<T>(fn: () => Promise<T>): Promise<T> {
  try { return await fn(); } catch (e) {
    if (e instanceof CursorError) throw new HttpError(400, `cursor: ${e.message}`, 'bad_request');
    throw e;
  }
}

export const consoleApi: Surface = async (app, ctx) => {
  const store = ctx.store;
  const queries = ctx.consoleQueries;
  const need = () => {
    if (!store) throw new HttpError(503, 'this server has no delivery store', 'unavailable');
    if (!queries) throw new HttpError(503, 'this server has no event store to list', 'unavailable');
    return { store, queries };
  };

  app.get('/api/ui/overview', async () => {
    const metrics = await ctx.metrics.registry.getMetricsAsJSON();
    const pick = (name: string) => metrics.find((m) => m.name === name)?.values ?? [];
    const sum = (name: string) => pick(name).reduce((n, v) => n + Number(v.value), 0);
    const evalValues = pick('hooker_route_evaluation_seconds') as Array<{ metricName?: string; value: number }>;
    const s = store ? await store.countByState() : undefined;
    return {
      at: Date.now(),
      events: { received: sum('hooker_events_received_total'), matched: sum('hooker_events_matched_total'), unmatched: sum('hooker_events_unmatched_total'), rejected: sum('hooker_events_rejected_total') },
      deliveries: pick('hooker_deliveries_total').map((v) => ({ action: String(v.labels['action']), outcome: String(v.labels['outcome']), count: Number(v.value) })),
      evaluation: {
        seconds: evalValues.find((v) => v.metricName?.endsWith('_sum'))?.value ?? 0,
        count: evalValues.find((v) => v.metricName?.endsWith('_count'))?.value ?? 0,
      },
      states: s ?? null,
      inbox: store ? await store.openEvents() : 0,
      dead: s?.dead ?? 0,
      routes: ctx.holder.current.routes.size,
    };
  });

  app.get<{ Querystring: Record<string, string | undefined> }>('/api/ui/events', { schema: { querystring: eventsQuery } }, async (req) => {
    const { queries } = need();
    const q = req.query;
    return pageOf(() => queries.listEvents({
      ...(q['text'] ? { text: q['text'] } : {}), ...(q['route'] ? { route: q['route'] } : {}), ...(q['action'] ? { action: q['action'] } : {}),
      ...(q['state'] ? { state: q['state'] as DeliveryState } : {}),
      since: timeOf(q['since'], 'since'), until: timeOf(q['until'], 'until'), limit: limitOf(q['limit']), cursor: q['cursor'],
    }));
  });

  app.get<{ Params: { id: string } }>('/api/ui/events/:id', { schema: { params: idParams } }, async (req) => {
    const { store, queries } = need();
    const event = await queries.event(req.params.id);
    if (!event) throw new HttpError(404, `no stored event ${req.params.id} (events no route matched are not stored)`, 'not_found');
    const summaries = await store.list({ eventId: event.id, limit: 1000 });
    const deliveries = [];
    for (const d of summaries) deliveries.push(await shownDelivery(store, d.id));
    // Why the other routes did not take it: as routed, while the server remembers; else evaluated now.
    const logged = ctx.eventLog.recent(200).find((e) => e.eventId === event.id);
    let routing: { when: 'received' | 'now'; matched: string[]; skipped: Array<{ route: string; reason: string }> };
    if (logged) {
      const told = new Set([...logged.matched, ...logged.skipped.map((s) => s.route)]);
      const others = [...ctx.holder.current.routes.keys()].filter((r) => !told.has(r)).map((r) => ({ route: r, reason: 'its filter did not accept this event' }));
      routing = { when: 'received', matched: logged.matched, skipped: [...logged.skipped, ...others] };
    }
    else {
      const rt = ctx.holder.current;
      const outcome = rt.matcher.matchOrFail?.(event.body) ?? { matched: rt.matcher.match(event.body), failed: [] };
      const failed = new Map(outcome.failed.map((f) => [f.route, f.reason]));
      routing = {
        when: 'now', matched: [...outcome.matched],
        skipped: [...rt.routes.keys()].filter((r) => !outcome.matched.includes(r)).map((r) => ({ route: r, reason: failed.has(r) ? `evaluation failed: ${failed.get(r)}` : 'its filter does not accept this event' })),
      };
    }
    return { event: { ...event, runs: event.runs.map((r) => ({ ...r, message: { ...r.message, body: redactSecrets(r.message.body) } })) }, deliveries, routing };
  });

  app.get('/api/ui/dead-letters/groups', async () => ({ groups: await need().queries.deadLetterGroups() }));

  app.get<{ Querystring: Record<string, string | undefined> }>('/api/ui/dead-letters', { schema: { querystring: deadQuery } }, async (req) => {
    const { queries } = need();
    const q = req.query;
    return pageOf(() => queries.deadLetters({ route: q['route'] || undefined, action: q['action'] || undefined, limit: limitOf(q['limit']), cursor: q['cursor'] }));
  });

  app.post<{ Body: { ids?: string[]; route?: string; action?: string } }>('/api/ui/dead-letters/replay', { schema: { body: replayBody } }, async (req) => {
    const { store } = need();
    const b = req.body;
    if (b.ids) {
      if (b.route || b.action) throw new HttpError(400, 'replay either ids or a route/action, not both', 'bad_request');
      let retried = 0;
      for (const id of b.ids) retried += await retryDeadLetters(ctx, store, { id });
      return { retried };
    }
    if (!b.route) throw new HttpError(400, 'replay needs ids, or a route (and optionally an action)', 'bad_request');
    return { retried: await retryDeadLetters(ctx, store, { route: b.route, ...(b.action ? { action: b.action } : {}) }) };
  });

  app.post<{ Body: { confirm: true; route?: string; olderThan?: string } }>('/api/ui/dead-letters/purge', { schema: { body: purgeBody } }, async (req) => {
    const { store } = need();
    const before = parseOlderThan(req.body.olderThan);
    const purged = await store.purgeFinished({ state: 'dead', ...(req.body.route ? { route: req.body.route } : {}), ...(before !== undefined ? { before } : {}) });
    return { purgedEvents: purged };
  });

  app.get('/api/ui/routes', async () => {
    const rt = ctx.holder.current;
    const counters = store ? await need().queries.routeCounters() : [];
    // The runs of a split route's items (`<route>[<index>]`) count for the route.
    const byRoute = new Map<string, Record<DeliveryState, number>>();
    for (const c of counters) {
      const { route } = parseRun(c.route, (n) => rt.routes.has(n));
      const sum = byRoute.get(route);
      if (!sum) { byRoute.set(route, { ...c.states }); continue; }
      for (const k of DELIVERY_STATES) sum[k] += c.states[k];
    }
    const filtersPath = ctx.holder.buildOptions.filtersPath;
    return {
      routes: rt.config.routes.map((r) => ({
        name: r.name, input: r.input ?? null,
        inputFiles: r.inputFiles.map((name) => {
          let source: string | null = null;
          try { source = readFileSync(resolveFilter(name, filtersPath), 'utf8'); } catch { /* shown as missing */ }
          return { name, source };
        }),
        template: r.template ?? null, templateSource: templateSourceOf(rt.config.templates.find((t) => t.name === r.template)?.source),
        actions: r.actions.map((a) => ({ name: a, enabled: rt.actions.has(a), type: rt.config.actions.find((x) => x.name === a)?.type ?? null })),
        plugins: r.plugins, serializeActions: r.serializeActions,
        counters: byRoute.get(r.name) ?? Object.fromEntries(DELIVERY_STATES.map((s) => [s, 0])),
      })),
    };
  });

  app.post<{ Body: { event?: unknown; eventId?: string; route?: string; input?: string; template?: string } }>('/api/ui/playground', { schema: { body: playgroundBody } }, async (req) => {
    const b = req.body;
    let event = b.event;
    if (b.eventId) {
      const stored = await need().queries.event(b.eventId);
      if (!stored) throw new HttpError(404, `no stored event ${b.eventId}`, 'not_found');
      event = stored.body;
    }
    if (event === undefined) throw new HttpError(400, 'event: give an event (JSON) or the id of a stored one', 'bad_request');
    const o = ctx.holder.buildOptions;
    return runPlayground(ctx.holder.current, { event, route: b.route, input: b.input, template: b.template }, {
      filtersPath: o.filtersPath, bundledTemplatesDir: o.bundledTemplatesDir, templatesPath: o.templatesPath,
      serverUrl: ctx.holder.current.config.serverUrl, hookerUrl: ctx.settings.publicUrl,
    });
  });

  app.get<{ Querystring: Record<string, string | undefined> }>('/api/ui/scans', { schema: { querystring: scansQuery } }, async (req) => {
    const { queries } = need();
    const page = await pageOf(() => queries.scans({ state: req.query['state'] || undefined, limit: limitOf(req.query['limit']), cursor: req.query['cursor'] }));
    const items = [];
    for (const s of page.items) items.push({ ...s, events: s.finishedAt ? await queries.eventsMentioning(s.id, 3) : [] });
    return { ...page, items };
  });

  app.get('/api/ui/config', async () => {
    const rt = ctx.holder.current;
    let hash: string | null = null;
    try { hash = createHash('sha256').update(readFileSync(rt.config.file)).digest('hex'); } catch { /* file gone since the load */ }
    const last = ctx.holder.lastReload;
    return {
      file: rt.config.file, loadedAt: rt.loadedAt, sha256: hash, config: redactConfig(rt.config),
      lastReload: last ? { at: last.at, ok: last.ok, problems: last.problems.map(formatProblem) } : null,
    };
  });

  app.post('/api/ui/reload', async () => {
    const outcome = await ctx.holder.reload();
    return { ok: outcome.ok, routes: ctx.holder.current.routes.size, problems: outcome.problems.map(formatProblem) };
  });
};

function templateSourceOf(s: { kind: string; package?: string; body?: string; url?: string; renderer?: string } | undefined): string | null {
  if (!s) return null;
  if (s.kind === 'body') return s.body ?? null;
  if (s.kind === 'rego-package') return `rego-package: ${s.package}`;
  if (s.kind === 'url') return `url: ${redactSecrets(s.url ?? '')}`;
  return `legacy renderer: ${s.renderer}`;
}

function resolveFilter(name: string, filtersPath: string): string {
  const p = resolveFilterFile(name, filtersPath);
  if (!p) throw new Error('not found');
  return p;
}
