// What every HTTP surface (a Fastify plugin under surfaces/) is given: the
// settings, the running configuration, the delivery queue and router, the
// metrics, and the shared hooks (admin auth). A new surface is a plugin of
// type Surface added to the list in app.ts.

import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { ServerSettings } from '../config/env.js';
import type { EventRouter } from '../routing/event-router.js';
import type { DeliveryQueue } from '../delivery/scheduler.js';
import type { DeliveryRows, StoreHealth } from '../store/types.js';
import type { ConsoleReads } from '../store/console-queries.js';
import { bearerMatches } from './auth.js';
import type { EventLog } from './event-log.js';
import { HttpError } from './http-errors.js';
import type { ServerMetrics } from './metrics.js';
import type { RuntimeHolder } from './runtime-holder.js';
import type { IngestPipeline } from './surfaces/ingest-pipeline.js';
import type { Backpressure } from './backpressure.js';

export type AppSettings = Pick<ServerSettings, 'adminToken' | 'ingestToken' | 'hmacSecret' | 'hmacHeader' | 'maxBody' | 'maxHops' | 'publicUrl' | 'debug'>
  & Partial<Pick<ServerSettings, 'maxInbox' | 'maxDepth' | 'maxKeys' | 'requestTimeoutMs' | 'connectionTimeoutMs' | 'maxConnections' | 'hmacToleranceMs' | 'hmacRequireTimestamp'>>;

export interface SurfaceContext {
  settings: AppSettings;
  holder: RuntimeHolder;
  queue: DeliveryQueue;
  router: EventRouter;
  metrics: ServerMetrics;
  eventLog: EventLog;
  /** Enables the deliveries admin API. */
  store?: DeliveryRows;
  /** The web console's list queries (absent on PostgreSQL for now). */
  consoleQueries?: ConsoleReads;
  /** Whether the database answers (readyz says why not). */
  storeHealth?(): StoreHealth;
  /** Wakes the scheduler after an admin retry. */
  poke(): void;
  /** Sees every accepted event (the cluster exporter reads trivy-operator reports from it). */
  observe?(event: unknown): void;
  /** True once the server is closing (readyz answers 503). */
  closing(): boolean;
  /** Delivery lag and whether ingest is refused for it (absent: never refused for lag). */
  backpressure?: Backpressure;
  /** The checks and routing POST /, /scan and /tenant share. */
  ingest: IngestPipeline;
}

export type Surface = FastifyPluginAsync<SurfaceContext>;

/**
 * onRequest hook of the admin surfaces: 404 while HOOKER_ADMIN_TOKEN is
 * unset (the endpoints do not exist then), 401 without the token. Runs
 * before any body is read.
 */
export function requireAdmin(settings: AppSettings) {
  return async (req: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    const what = `${req.method} ${req.routeOptions.url ?? req.url}`;
    if (!settings.adminToken) throw new HttpError(404, `${what} is disabled: set HOOKER_ADMIN_TOKEN to enable it`, 'admin');
    if (!bearerMatches(req.headers.authorization, settings.adminToken)) throw new HttpError(401, 'missing or wrong admin bearer token', 'admin', { 'www-authenticate': 'Bearer' });
  };
}
