// Starts Hooker: builds the runtime from cfg.yaml (refusing to start on
// errors), serves HTTP and HTTPS with the same routes, reloads on SIGHUP
// and on changes of the config file.

import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { ServerSettings } from '../config/env.js';
import { DEFAULT_INBOX_HIGH_WATER, DEFAULT_MAX_DELIVERY_LAG_MS, parseListen } from '../config/env.js';
import { describeWorkerThreads } from '../config/worker-threads.js';
import { Backpressure } from './backpressure.js';
import { IdleGc } from './idle-gc.js';
import { ConfigError, formatProblem, hasErrors, type Problem } from '../config/problems.js';
import { createLogger, silentLogger, type Logger } from '../logging/logger.js';
import { watchConfigFile } from './config-watcher.js';
import { buildApp, serverTimeouts } from './app.js';
import { EventLog } from './event-log.js';
import { signatureVerifierFor } from './surfaces/ingest-pipeline.js';
import { createDeliveryEngine, openEngineStore, type DeliveryEngine } from './delivery-engine.js';
import { redactLocation, storeOptionsOf } from '../store/open-store.js';
import { redactSecrets } from '../logging/redact.js';
import { ServerMetrics } from './metrics.js';
import { buildRuntime } from './runtime.js';
import { wasmCache } from '../rego/wasm-cache.js';
import { RuntimeHolder } from './runtime-holder.js';
import { loadOrCreateTls } from './tls-files.js';
import { startScanning, type Scanning } from './scanning.js';
import type { ScanService } from '../scan/service.js';
import type { Store } from '../store/types.js';

export interface RunningServer {
  httpUrl?: string;
  httpsUrl?: string;
  holder: RuntimeHolder;
  metrics: ServerMetrics;
  engine: DeliveryEngine;
  reload(): ReturnType<RuntimeHolder['reload']>;
  close(): Promise<void>;
}

export interface StartOptions {
  settings: ServerSettings;
  env: NodeJS.ProcessEnv;
  /** Writes human-readable lines (warnings, reload outcomes) instead of the structured log. */
  log?: (line: string) => void;
  /** The structured log (pino); made from HOOKER_LOG_LEVEL and HOOKER_LOG_FORMAT when absent. */
  logger?: Logger;
  watchConfig?: boolean;
  handleSignals?: boolean;
  bundledTemplatesDir?: string;
  /** How often dedup keys are purged and max-db-size is checked. */
  housekeepingMs?: number;
  /**
   * The store of settings.dbPath, already being opened by the caller (`hooker serve` starts it before it loads
   * the server's modules, see cli/serve.ts); opened here when absent. Closed here if the start fails.
   */
  storeOpening?: Promise<Store>;
}

function urlOf(scheme: string, addr: AddressInfo | string | null): string | undefined {
  if (!addr || typeof addr === 'string') return undefined;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  return `${scheme}://${host}:${addr.port}`;
}

export async function startServer(opts: StartOptions): Promise<RunningServer> {
  const { settings, env } = opts;
  // The scan service starts after the first runtime is built (it shares the
  // delivery engine's database); the scan action asks for it per delivery.
  let scanService: ScanService | undefined;
  const logger = opts.logger ?? (opts.log ? silentLogger() : createLogger({ level: settings.logLevel, format: settings.logFormat }));
  const log = opts.log ?? ((line: string) => logger.info(line));
  const warn = opts.log ?? ((line: string) => logger.warn(line));
  const buildOptions = {
    cfgPath: settings.cfgPath, env, filtersPath: settings.filtersPath, templatesPath: settings.templatesPath,
    bundledTemplatesDir: opts.bundledTemplatesDir,
    services: { scan: () => scanService, httpThread: settings.workerThreads.http },
    ...(settings.wasmCacheDir ? { wasmCache: wasmCache(settings.wasmCacheDir, (m) => warn(m)) } : {}),
  };
  const storeOptions = { dbPath: settings.dbPath, ...storeOptionsOf(settings), log };
  // Which worker threads run (HOOKER_SQLITE_THREAD, HOOKER_HTTP_THREAD) and why, as one line with its fields.
  const threads = settings.workerThreads;
  if (opts.log) log(describeWorkerThreads(threads));
  else logger.info({ sqliteThread: threads.sqlite, httpThread: threads.http, cores: threads.cores }, describeWorkerThreads(threads));
  // The database opens while the routes compile: with the SQLite writer
  // thread (settings.workerThreads.sqlite) its start, a new isolate loading the
  // backend, runs on another core meanwhile instead of adding to the time to
  // /ping. A failure to open is reported below, after the configuration's.
  const storeOpening = opts.storeOpening ?? openEngineStore(storeOptions);
  storeOpening.catch(() => {});
  const closeOpened = () => storeOpening.then((s) => s.close(), () => {});
  let built: Awaited<ReturnType<typeof buildRuntime>>;
  try {
    built = await buildRuntime(buildOptions);
  } catch (e) {
    await closeOpened();
    throw e;
  }
  const report = (problems: Problem[]) => { for (const p of problems) (p.severity === 'error' ? warn : log)(formatProblem(p)); };
  if (!built.runtime || hasErrors(built.problems)) {
    await closeOpened();
    throw new ConfigError(built.problems);
  }
  report(built.problems);
  if (built.runtime.routesFromCache) log(`route policy loaded from the compiled-policy cache in ${settings.wasmCacheDir} (HOOKER_WASM_CACHE)`);

  const metrics = new ServerMetrics({ defaultMetrics: true });
  const holder: RuntimeHolder = new RuntimeHolder(built.runtime, buildOptions, (outcome) => {
    metrics.reloads.inc({ outcome: outcome.ok ? 'success' : 'failure' });
    if (outcome.ok) log(`configuration reloaded from ${settings.cfgPath}`);
    else warn(`configuration reload rejected, the running configuration stays:`);
    report(outcome.problems);
  });
  // One log of recent events for every listener, fed each delivery's record by the scheduler (EventLog.fedRecords).
  const eventLog = new EventLog(undefined, true);
  let engine: DeliveryEngine;
  try {
    engine = await createDeliveryEngine({
      onRecord: (r) => eventLog.record(r),
      ...storeOptions,
      ...(settings.deliveryLeaseMs ? { leaseMs: settings.deliveryLeaseMs } : {}),
      table: () => holder.current,
      metrics,
      hookerUrl: settings.publicUrl,
      log,
      ...(opts.log ? {} : { logger }),
      hooks: {
        onRenderFailure: (route, e) => { metrics.renderFailures.inc({ route }); warn(`route "${route}": template failed: ${e.message}`); },
        onEvaluationFailure: (route, reason, limit) => { metrics.evaluationFailures.inc({ route, limit: limit ?? 'none' }); warn(`route "${route}": evaluation failed for an event: ${reason}`); },
      },
      maxDbSize: () => holder.current.config.maxDbSize,
      retentionDays: () => holder.current.config.deleteOldDataDays,
      housekeepingMs: opts.housekeepingMs,
    }, storeOpening);
  } catch (e) {
    await holder.close();
    // The message never carries the URL's password.
    throw new Error(redactSecrets(`cannot open the database ${redactLocation(settings.dbPath)} (HOOKER_DB): ${(e as Error).message}`));
  }
  let scanning: Scanning;
  try {
    scanning = await startScanning({
      store: engine.store,
      config: built.runtime.config.scan,
      env,
      // Scan results and scheduled scans enter like any event (inbox first).
      ingest: async (event) => { await engine.router.route(event, { hops: 0 }).committed; },
      log,
      publicUrl: settings.publicUrl,
      registry: metrics.registry,
    });
  } catch (e) {
    await engine.close(0);
    await holder.close();
    throw e;
  }
  scanService = scanning.service;
  let refusingForLag = false;
  let metering = false;
  const backpressure = new Backpressure({
    actions: () => (holder.current.config.actions ?? []).filter((a) => a.enable && !a.delivery?.rateLimit).map((a) => a.name),
    oldestPendingAt: (action) => engine.scheduler.oldestWaitingAt(action),
    inbox: () => engine.scheduler.inboxCounts(),
  }, {
    maxLagMs: settings.maxDeliveryLagMs ?? DEFAULT_MAX_DELIVERY_LAG_MS,
    highWater: settings.inboxHighWater ?? DEFAULT_INBOX_HIGH_WATER,
    onSample: (s) => {
      metrics.deliveryLag.set(s.lagMs / 1000);
      metrics.inboxLeaving.set(s.leavingPerSecond);
      // Logged once per episode: the inbox hovers at the mark while metered, so it must fall to half of it to end one.
      const open = engine.scheduler.pending();
      const above = s.highWater > 0 && (metering ? open >= s.highWater / 2 : open >= s.highWater);
      if (above !== metering) {
        metering = above;
        if (above) warn(`the inbox holds ${open} events (HOOKER_INBOX_HIGH_WATER ${s.highWater}): ingest is admitted only as fast as deliveries finish events (${s.leavingPerSecond.toFixed(0)}/s), the rest answered 503`);
        else log(`the inbox fell to ${open} events, half of HOOKER_INBOX_HIGH_WATER (${s.highWater}): ingest accepts every event`);
      }
      if (s.refusing === refusingForLag) return;
      refusingForLag = s.refusing;
      if (s.refusing) warn(`deliveries are ${(s.lagMs / 1000).toFixed(1)} s behind (HOOKER_MAX_DELIVERY_LAG ${s.maxLagMs / 1000} s): ingest answers 503 until they catch up`);
      else log(`deliveries caught up (${(s.lagMs / 1000).toFixed(1)} s behind): ingest accepts events again`);
    },
  });
  backpressure.start();
  const idleGc = new IdleGc();
  idleGc.start();
  const deps = {
    backpressure, eventLog,
    settings, holder, metrics, logger, signatures: signatureVerifierFor(settings),
    queue: engine.scheduler, router: engine.router, store: engine.store.deliveries, poke: () => engine.scheduler.poke(),
    storeHealth: () => engine.store.health(),
    consoleQueries: engine.store.console,
    ...(scanning.observes ? { observe: (event: unknown) => scanning.observe(event) } : {}),
  };

  const apps: FastifyInstance[] = [];
  let httpUrl: string | undefined;
  let httpsUrl: string | undefined;
  try {
    if (settings.http) {
      const app = buildApp(deps);
      apps.push(app);
      await scanning.register(app);
      const { host, port } = parseListen(settings.http);
      await app.listen({ host, port });
      httpUrl = urlOf('http', app.server.address());
    }
    if (settings.https) {
      const tls = loadOrCreateTls({ certPem: settings.certPem, keyPem: settings.keyPem, warn: log });
      const app = buildApp(deps);
      // Fastify's https option types are narrow; build the server ourselves.
      apps.push(app);
      await scanning.register(app);
      const { host, port } = parseListen(settings.https);
      const t = serverTimeouts(settings);
      const server = createHttpsServer({
        cert: tls.cert, key: tls.key,
        requestTimeout: t.requestTimeout, headersTimeout: t.headersTimeout, keepAliveTimeout: t.keepAliveTimeout,
        connectionsCheckingInterval: t.connectionsCheckingInterval,
      }, app.ingestListener((req, res) => app.routing(req, res)));
      server.setTimeout(t.connectionTimeout);
      if (settings.maxConnections) server.maxConnections = settings.maxConnections;
      // Hooks must be added before ready().
      app.addHook('onClose', (_i, done) => { server.close(() => done()); server.closeAllConnections?.(); });
      await app.ready();
      await new Promise<void>((resolve, reject) => { server.once('error', reject); server.listen(port, host, () => resolve()); });
      httpsUrl = urlOf('https', server.address());
    }
  } catch (e) {
    backpressure.stop();
    idleGc.stop();
    await Promise.allSettled(apps.map((a) => a.close()));
    await scanning.close();
    await engine.close(0);
    await holder.close();
    throw e;
  }

  // Saved in place, replaced (sed -i, editors) or swapped by a ConfigMap update: see config-watcher.ts.
  const watcher = (opts.watchConfig ?? true) ? watchConfigFile(settings.cfgPath, () => { void holder.reload(); }, { log }) : undefined;
  const onHup = () => { void holder.reload(); };
  if (opts.handleSignals ?? false) process.on('SIGHUP', onHup);

  return {
    httpUrl, httpsUrl, holder, metrics, engine,
    reload: () => holder.reload(),
    async close() {
      watcher?.close();
      process.off('SIGHUP', onHup);
      // Stop accepting first; then running deliveries get HOOKER_SHUTDOWN_TIMEOUT
      // to finish, and whatever is left stays stored for the next start.
      await Promise.allSettled(apps.map((a) => a.close()));
      backpressure.stop();
      idleGc.stop();
      await scanning.close();
      scanService = undefined;
      await engine.close(settings.shutdownTimeoutMs);
      await holder.close();
    },
  };
}
