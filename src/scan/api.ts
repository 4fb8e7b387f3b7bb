// The scan API as a Fastify plugin (registered by the server next to the
// ingest routes): queue scans, read their status and results, list profiles
// and thresholds, and serve the OpenAPI document generated from the same
// schemas the routes validate with. Bearer tokens carry scopes.

import { timingSafeEqual } from 'node:crypto';
import type { FastifyError, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { createScanSchema, openApiDocument, scanIdParams } from './api-schemas.js';
import { ScanRequestError, type ScanService } from './service.js';
import type { ScanRequest, ScanTarget } from './types.js';

export type ScanScope = 'scans:read' | 'scans:write';
export const SCAN_SCOPES: readonly ScanScope[] = ['scans:read', 'scans:write'];

export interface ScanApiToken {
  token: string;
  scopes: ScanScope[];
}

export interface ScanApiOptions {
  service: ScanService;
  tokens: ScanApiToken[];
  /** Public base URL for the OpenAPI `servers` entry. */
  publicUrl?: string;
}

/**
 * Tokens from the environment: HOOKER_SCAN_API_TOKENS holds
 * `token=scope+scope` entries separated by commas, e.g.
 * `abc=scans:read+scans:write,def=scans:read`.
 */
export function scanApiTokensFromEnv(env: NodeJS.ProcessEnv): { tokens: ScanApiToken[]; problems: string[] } {
  const tokens: ScanApiToken[] = [];
  const problems: string[] = [];
  for (const entry of (env.HOOKER_SCAN_API_TOKENS ?? '').split(',').map((s) => s.trim()).filter(Boolean)) {
    const eq = entry.lastIndexOf('=');
    const token = eq > 0 ? entry.slice(0, eq) : '';
    const scopes = eq > 0 ? entry.slice(eq + 1).split('+') : [];
    const bad = scopes.filter((s) => !(SCAN_SCOPES as readonly string[]).includes(s));
    if (!token || scopes.length === 0 || bad.length) problems.push(`HOOKER_SCAN_API_TOKENS: an entry is not token=scans:read+scans:write${bad.length ? ` (unknown scope ${bad.join(', ')})` : ''}`);
    else tokens.push({ token, scopes: scopes as ScanScope[] });
  }
  return { tokens, problems };
}

function tokenEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

interface CreateBody {
  scanner: string;
  target: ScanTarget;
  profile?: string;
  threshold?: string;
  timeout_seconds?: number;
}

const iso = (t?: number): string | null => (t === undefined ? null : new Date(t).toISOString());

/** `/target/pod/name` or the missing property -> `target.pod.name`. */
function fieldOf(err: { instancePath?: string; params?: Record<string, unknown> }, context: string | undefined): string {
  const parts = (err.instancePath ?? '').split('/').filter(Boolean);
  const extra = err.params?.missingProperty ?? err.params?.additionalProperty;
  if (typeof extra === 'string') parts.push(extra);
  const field = parts.join('.');
  return context === 'body' || !context ? field || 'body' : `${context}.${field}`.replace(/\.$/, '');
}

export const scanApiPlugin: FastifyPluginAsync<ScanApiOptions> = async (app, opts) => {
  const { service } = opts;

  app.setErrorHandler((err: FastifyError, _req, reply) => {
    if (err.validation) {
      const first = err.validation[0]!;
      const field = fieldOf(first as { instancePath?: string; params?: Record<string, unknown> }, err.validationContext);
      return reply.code(400).send({ error: 'Bad Request', field, message: `${field}: ${first.message ?? 'is invalid'}` });
    }
    if (err.statusCode && err.statusCode < 500) return reply.code(err.statusCode).send({ error: err.name, message: err.message });
    app.log.error(err);
    return reply.code(500).send({ error: 'Internal Server Error', message: 'the scan API failed; see the server log' });
  });

  const requireScope = (scope: ScanScope) => async (req: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
    const presented = m?.[1];
    const token = presented === undefined ? undefined : opts.tokens.find((t) => tokenEqual(t.token, presented));
    if (!token) {
      await reply.code(401).header('www-authenticate', 'Bearer').send({ error: 'Unauthorized', message: 'a bearer token is required' });
      return reply;
    }
    if (!token.scopes.includes(scope)) {
      await reply.code(403).send({ error: 'Forbidden', message: `the token lacks the ${scope} scope` });
      return reply;
    }
  };

  app.get('/api/v1/openapi.json', async () => openApiDocument(opts.publicUrl));

  app.post<{ Body: CreateBody }>('/api/v1/scans', { schema: { body: createScanSchema }, preHandler: requireScope('scans:write') }, async (req, reply) => {
    const b = req.body;
    const request: ScanRequest = { scanner: b.scanner, target: b.target, profile: b.profile, threshold: b.threshold, timeoutMs: b.timeout_seconds ? b.timeout_seconds * 1000 : undefined };
    try {
      const r = await service.submit(request);
      return reply.code(202).header('location', `/api/v1/scans/${r.id}`).send(r);
    } catch (e) {
      if (e instanceof ScanRequestError) return reply.code(400).send({ error: 'Bad Request', field: e.field, message: `${e.field}: ${e.message}` });
      throw e;
    }
  });

  app.get<{ Params: { id: string } }>('/api/v1/scans/:id', { schema: { params: scanIdParams }, preHandler: requireScope('scans:read') }, async (req, reply) => {
    const rec = await service.get(req.params.id);
    if (!rec) return reply.code(404).send({ error: 'Not Found', message: `no scan ${req.params.id}` });
    return {
      id: rec.id, state: rec.state, scanner: rec.request.scanner, target: rec.request.target,
      profile: rec.request.profile ?? null, threshold: rec.request.threshold ?? null, error: rec.error ?? null,
      created_at: iso(rec.createdAt), started_at: iso(rec.startedAt), finished_at: iso(rec.finishedAt),
    };
  });

  app.get<{ Params: { id: string } }>('/api/v1/scans/:id/results', { schema: { params: scanIdParams }, preHandler: requireScope('scans:read') }, async (req, reply) => {
    const rec = await service.get(req.params.id);
    if (!rec) return reply.code(404).send({ error: 'Not Found', message: `no scan ${req.params.id}` });
    if (rec.state === 'queued' || rec.state === 'running') return reply.code(409).send({ error: 'Conflict', message: `scan ${rec.id} is ${rec.state}` });
    const outcome = await service.outcome(rec.id);
    return {
      id: rec.id, state: rec.state, error: rec.error ?? null,
      format: outcome?.report.format ?? null, artifact: outcome?.report.artifact ?? null,
      findings: outcome?.report.findings ?? [], threshold: outcome?.threshold ?? null, report: outcome?.raw ?? null,
    };
  });

  app.get('/api/v1/profiles', { preHandler: requireScope('scans:read') }, async () => ({ profiles: service.profiles() }));
  app.get('/api/v1/thresholds', { preHandler: requireScope('scans:read') }, async () => ({
    thresholds: service.thresholds().map((t) => ({ name: t.name, threshold: t.source })),
  }));
};
