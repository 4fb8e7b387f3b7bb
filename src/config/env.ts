// Server settings from the environment. Every HOOKER_* variable also accepts
// its POSTEE_* name, and Postee's other names (AQUAALERT_CERT_PEM,
// AQUAALERT_KEY_PEM, PATH_TO_DB) are read too, so Postee deployments keep
// working unchanged. Where Postee's image and Helm chart mount templates,
// filters and the database under /server, those directories are the
// defaults when they exist.

import { openSync, readSync, closeSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseDuration } from './duration.js';
import { workerThreads, type WorkerThreads } from './worker-threads.js';

export interface ServerSettings {
  cfgPath: string;
  /** host:port, or undefined when disabled. */
  http?: string;
  https?: string;
  certPem?: string;
  keyPem?: string;
  debug: boolean;
  filtersPath: string;
  templatesPath?: string;
  adminToken?: string;
  ingestToken?: string;
  hmacSecret?: string;
  hmacHeader: string;
  maxBody: number;
  maxHops: number;
  /** Public URL of this server, given to templates as input.hooker.url. */
  publicUrl?: string;
  /** SQLite file of the inbox, deliveries, dedup keys and aggregation buffers, or a postgres:// URL shared by replicas. */
  dbPath: string;
  /** Directory of compiled route policies reused across restarts (HOOKER_WASM_CACHE); absent: no cache. */
  wasmCacheDir?: string;
  /** PostgreSQL: connections in the pool (HOOKER_DB_POOL_SIZE). */
  dbPoolSize?: number;
  /** PostgreSQL: statements running longer are cancelled (HOOKER_DB_STATEMENT_TIMEOUT, ms or 5s). */
  dbStatementTimeoutMs?: number;
  /** How long a delivery claim holds without renewal (HOOKER_DELIVERY_LEASE). */
  deliveryLeaseMs?: number;
  /** Events with unfinished deliveries above which ingest answers 503. */
  maxInbox: number;
  /** Age of the oldest due delivery above which ingest answers 503 (backpressure); 0 disables. */
  maxDeliveryLagMs: number;
  /** Inbox size above which ingest is admitted only as fast as events leave the inbox (HOOKER_INBOX_HIGH_WATER); 0 disables. */
  inboxHighWater?: number;
  /** How long SIGTERM waits for running deliveries before leaving them stored. */
  shutdownTimeoutMs: number;
  /** "full" makes every accepted event survive an OS crash too, at a cost in throughput. */
  dbSynchronous: 'normal' | 'full';
  /** Nesting limit of an event body (objects and arrays), checked before parsing. */
  maxDepth: number;
  /** Limit on the number of object keys in one event body (bounds the work an event can cause). */
  maxKeys: number;
  /** Whole request (headers and body) must arrive within this; 0 disables. */
  requestTimeoutMs: number;
  /** A socket with no traffic is closed after this; 0 disables. */
  connectionTimeoutMs: number;
  /** Open connections per listener above which new ones are refused; 0 disables. */
  maxConnections: number;
  /** How far a timestamped HMAC signature's time may be from now. */
  hmacToleranceMs: number;
  /** Refuse plain (untimestamped) HMAC signatures. */
  hmacRequireTimestamp: boolean;
  logLevel: LogLevel;
  logFormat: 'json' | 'pretty';
  /** The SQLite writer thread and the HTTP client thread: on or off, and why (HOOKER_SQLITE_THREAD, HOOKER_HTTP_THREAD; worker-threads.ts). */
  workerThreads: WorkerThreads;
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = typeof LOG_LEVELS[number];

export const DEFAULT_DB_PATH = 'data/hooker.db';
export const DEFAULT_MAX_INBOX = 100_000;
export const DEFAULT_MAX_DELIVERY_LAG_MS = 10_000;
export const DEFAULT_INBOX_HIGH_WATER = 2_000;
export const DEFAULT_SHUTDOWN_TIMEOUT_MS = 10_000;

export const DEFAULT_MAX_BODY = 10 * 1024 * 1024;
export const DEFAULT_MAX_HOPS = 8;
export const DEFAULT_MAX_DEPTH = 512;
/**
 * The deepest HOOKER_MAX_DEPTH accepted. Storing, routing and rendering an
 * event recurse once or twice per level of nesting (the stored text's
 * serialisation, the native templates), and Node's default stack ran out
 * between 4,000 and 5,000 levels (a 500 for every such event, not the 400
 * the limit promises); half that leaves room for other Node versions and
 * deeper call stacks. test/e2e/deep-events.test.ts delivers an event this
 * deep through both native templates.
 */
export const MAX_SUPPORTED_DEPTH = 2048;
export const DEFAULT_MAX_KEYS = 100_000;
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
export const DEFAULT_CONNECTION_TIMEOUT_MS = 600_000;
export const DEFAULT_MAX_CONNECTIONS = 1024;
export const DEFAULT_HMAC_TOLERANCE_MS = 300_000;

/**
 * The worker threads `env` asks for (HOOKER_SQLITE_THREAD, HOOKER_HTTP_THREAD, or their POSTEE_ names) on `cores`
 * (usableCores() when absent): the server's settings, and what tests and benches expect the servers they start to run.
 */
export function workerThreadsOf(env: NodeJS.ProcessEnv, cores?: number): WorkerThreads {
  return workerThreads({ sqlite: envValue(env, 'SQLITE_THREAD'), http: envValue(env, 'HTTP_THREAD') }, cores);
}

/** HOOKER_<name>, else POSTEE_<name>; `undefined` when neither is set. */
export function envValue(env: NodeJS.ProcessEnv, name: string): string | undefined {
  return env[`HOOKER_${name}`] ?? env[`POSTEE_${name}`];
}

function positiveInt(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = envValue(env, name);
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`HOOKER_${name} must be a positive integer, got "${raw}"`);
  return n;
}

function atMost(n: number, name: string, max: number, why: string): number {
  if (n > max) throw new Error(`HOOKER_${name} must be at most ${max} (${why}), got ${n}`);
  return n;
}

function nonNegativeInt(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = envValue(env, name);
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new Error(`HOOKER_${name} must be a non-negative integer, got "${raw}"`);
  return n;
}

/** A duration like "30s" or a number of seconds; 0 disables where allowed. */
function durationMs(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = envValue(env, name);
  if (raw === undefined || raw === '') return fallback;
  const d = parseDuration(raw);
  if ('error' in d) throw new Error(`HOOKER_${name}: ${d.error}`);
  return d.ms;
}

function truthy(v: string | undefined): boolean {
  return v !== undefined && /^(1|true|yes|on)$/i.test(v.trim());
}

/** Where Postee's image keeps templates, filters and its database (Postee's Helm chart and manifests mount volumes there). */
export const POSTEE_SERVER_DIR = '/server';

const isDir = (p: string) => { try { return statSync(p).isDirectory(); } catch { return false; } };

/** True when `file` exists and is not an SQLite database (e.g. Postee's BoltDB webhooks.db). */
function isForeignDatabase(file: string): boolean {
  let fd: number | undefined;
  try {
    if (!statSync(file).isFile()) return false;
    fd = openSync(file, 'r');
    const head = Buffer.alloc(16);
    const n = readSync(fd, head, 0, 16, 0);
    return n > 0 && head.subarray(0, n).toString('latin1') !== 'SQLite format 3\0'.slice(0, n);
  } catch {
    return false;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * HOOKER_DB / POSTEE_DB, else Postee's PATH_TO_DB, else /server/database/hooker.db
 * when that directory exists (Postee's volume), else data/hooker.db. PATH_TO_DB
 * naming Postee's own BoltDB file (webhooks.db) is not reused: Hooker keeps
 * hooker.db next to it.
 */
export function resolveDbPath(env: NodeJS.ProcessEnv, serverDir = POSTEE_SERVER_DIR): string {
  // A PostgreSQL URL usually comes from a Secret as HOOKER_DATABASE_URL.
  const url = envValue(env, 'DATABASE_URL');
  if (url) return url;
  const own = envValue(env, 'DB');
  if (own) return own;
  const postee = env['PATH_TO_DB'];
  if (postee) return isForeignDatabase(postee) ? join(dirname(postee), 'hooker.db') : postee;
  const volume = join(serverDir, 'database');
  return isDir(volume) ? join(volume, 'hooker.db') : DEFAULT_DB_PATH;
}

/**
 * HOOKER_WASM_CACHE: a directory, or off/false/0/none to compile at every
 * start; by default wasm-cache/ beside the SQLite file (none for PostgreSQL
 * or an in-memory database, unless a directory is given).
 */
export function resolveWasmCacheDir(env: NodeJS.ProcessEnv, dbPath: string): string | undefined {
  const raw = envValue(env, 'WASM_CACHE')?.trim();
  if (raw !== undefined && raw !== '') return /^(off|false|0|no|none)$/i.test(raw) ? undefined : raw;
  if (dbPath === ':memory:' || dbPath.startsWith('file:') || /^[a-z][a-z0-9+.-]*:\/\//i.test(dbPath)) return undefined;
  return join(dirname(dbPath), 'wasm-cache');
}

export interface SettingsDefaults {
  cfgPath: string;
  /** Postee's image directory looked at for rego-templates, rego-filters and database (default /server). */
  serverDir?: string;
  /** The cores the worker threads' `auto` sees (default: usableCores(), worker-threads.ts). */
  cores?: number;
}

export function readServerSettings(env: NodeJS.ProcessEnv, defaults: SettingsDefaults): ServerSettings {
  const http = envValue(env, 'HTTP');
  const https = envValue(env, 'HTTPS');
  const serverDir = defaults.serverDir ?? POSTEE_SERVER_DIR;
  const dbPath = resolveDbPath(env, serverDir);
  const wasmCacheDir = resolveWasmCacheDir(env, dbPath);
  const imageDir = (name: string) => { const p = join(serverDir, name); return isDir(p) ? p : undefined; };
  return {
    cfgPath: envValue(env, 'CFG') || defaults.cfgPath,
    http: http === undefined ? '0.0.0.0:8082' : http || undefined,
    https: https === undefined ? '0.0.0.0:8445' : https || undefined,
    certPem: envValue(env, 'CERT_PEM') || env['AQUAALERT_CERT_PEM'] || undefined,
    keyPem: envValue(env, 'KEY_PEM') || env['AQUAALERT_KEY_PEM'] || undefined,
    debug: truthy(envValue(env, 'DEBUG')),
    filtersPath: env['REGO_FILTERS_PATH'] || imageDir('rego-filters') || 'rego/filters',
    templatesPath: env['REGO_TEMPLATES_PATH'] || imageDir('rego-templates'),
    adminToken: envValue(env, 'ADMIN_TOKEN') || undefined,
    ingestToken: envValue(env, 'TOKEN') || undefined,
    hmacSecret: envValue(env, 'HMAC_SECRET') || undefined,
    hmacHeader: (envValue(env, 'HMAC_HEADER') || 'x-hooker-signature').toLowerCase(),
    maxBody: positiveInt(env, 'MAX_BODY', DEFAULT_MAX_BODY),
    maxHops: positiveInt(env, 'MAX_HOPS', DEFAULT_MAX_HOPS),
    publicUrl: envValue(env, 'URL') || undefined,
    dbPath,
    ...(wasmCacheDir ? { wasmCacheDir } : {}),
    ...(envValue(env, 'DB_POOL_SIZE') ? { dbPoolSize: positiveInt(env, 'DB_POOL_SIZE', 10) } : {}),
    ...(envValue(env, 'DB_STATEMENT_TIMEOUT') ? { dbStatementTimeoutMs: durationMs(env, 'DB_STATEMENT_TIMEOUT', 30_000) } : {}),
    ...(envValue(env, 'DELIVERY_LEASE') ? { deliveryLeaseMs: durationMs(env, 'DELIVERY_LEASE', 60_000) } : {}),
    maxInbox: positiveInt(env, 'MAX_INBOX', DEFAULT_MAX_INBOX),
    maxDeliveryLagMs: durationMs(env, 'MAX_DELIVERY_LAG', DEFAULT_MAX_DELIVERY_LAG_MS),
    inboxHighWater: nonNegativeInt(env, 'INBOX_HIGH_WATER', DEFAULT_INBOX_HIGH_WATER),
    shutdownTimeoutMs: shutdownTimeout(env),
    dbSynchronous: /^full$/i.test(envValue(env, 'DB_SYNCHRONOUS') ?? '') ? 'full' : 'normal',
    maxDepth: atMost(positiveInt(env, 'MAX_DEPTH', DEFAULT_MAX_DEPTH), 'MAX_DEPTH', MAX_SUPPORTED_DEPTH, 'deeper events exceed the JavaScript stack while they are stored and rendered'),
    maxKeys: positiveInt(env, 'MAX_KEYS', DEFAULT_MAX_KEYS),
    requestTimeoutMs: durationMs(env, 'REQUEST_TIMEOUT', DEFAULT_REQUEST_TIMEOUT_MS),
    connectionTimeoutMs: durationMs(env, 'CONNECTION_TIMEOUT', DEFAULT_CONNECTION_TIMEOUT_MS),
    maxConnections: nonNegativeInt(env, 'MAX_CONNECTIONS', DEFAULT_MAX_CONNECTIONS),
    hmacToleranceMs: durationMs(env, 'HMAC_TOLERANCE', DEFAULT_HMAC_TOLERANCE_MS),
    hmacRequireTimestamp: truthy(envValue(env, 'HMAC_REQUIRE_TIMESTAMP')),
    logLevel: logLevel(env),
    logFormat: logFormat(env),
    workerThreads: workerThreadsOf(env, defaults.cores),
  };
}

function logLevel(env: NodeJS.ProcessEnv): LogLevel {
  const raw = (envValue(env, 'LOG_LEVEL') ?? '').trim().toLowerCase();
  if (raw === '') return truthy(envValue(env, 'DEBUG')) ? 'debug' : 'info';
  if (!(LOG_LEVELS as readonly string[]).includes(raw)) throw new Error(`HOOKER_LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got "${raw}"`);
  return raw as LogLevel;
}

/** JSON lines unless asked for pretty; pretty by default only on a terminal. */
function logFormat(env: NodeJS.ProcessEnv): 'json' | 'pretty' {
  const raw = (envValue(env, 'LOG_FORMAT') ?? '').trim().toLowerCase();
  if (raw === '') return process.stderr.isTTY ? 'pretty' : 'json';
  if (raw !== 'json' && raw !== 'pretty') throw new Error(`HOOKER_LOG_FORMAT must be json or pretty, got "${raw}"`);
  return raw;
}

function shutdownTimeout(env: NodeJS.ProcessEnv): number {
  const raw = envValue(env, 'SHUTDOWN_TIMEOUT');
  if (raw === undefined || raw === '') return DEFAULT_SHUTDOWN_TIMEOUT_MS;
  const d = parseDuration(raw);
  if ('error' in d) throw new Error(`HOOKER_SHUTDOWN_TIMEOUT: ${d.error}`);
  return d.ms;
}

/** Splits "host:port" (IPv6 in brackets allowed). */
export function parseListen(addr: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(addr.trim());
  if (!m) throw new Error(`listen address "${addr}" must be host:port`);
  return { host: m[1] ?? (m[2] || '0.0.0.0'), port: Number(m[3]) };
}
