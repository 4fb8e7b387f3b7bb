// Every 5xx answer is logged (issue 15, case 14): a real Fastify app with
// the server's pino logger writing into a collector, and a router that fails
// the way the engine fails on an event it cannot take (a stack overflow).
import { afterEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/server/app.js';
import { ServerMetrics } from '../../src/server/metrics.js';
import { createLogger } from '../../src/logging/logger.js';
import type { EventRouter } from '../../src/routing/event-router.js';
import type { DeliveryQueue } from '../../src/delivery/scheduler.js';
import type { RuntimeHolder } from '../../src/server/runtime-holder.js';

let app: FastifyInstance | undefined;
afterEach(async () => { await app?.close(); app = undefined; });

function make(route: EventRouter['route']) {
  const lines: string[] = [];
  const logger = createLogger({ level: 'info', format: 'json', destination: { write: (s: string) => { lines.push(s); } } });
  app = buildApp({
    settings: { hmacHeader: 'x-hooker-signature', maxBody: 1_000_000, maxHops: 3, debug: false, maxDepth: 100_000 },
    holder: { current: { routes: new Map() } } as unknown as RuntimeHolder,
    queue: { pending: () => 0 } as unknown as DeliveryQueue,
    router: { route } as unknown as EventRouter,
    metrics: new ServerMetrics(),
    logger,
  });
  return { app, records: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

describe('5xx answers are logged with their ids', () => {
  it('a failure inside routing answers 500 naming the request id, and the log line carries it with level and time', async () => {
    const { app, records } = make(() => { throw new RangeError('Maximum call stack size exceeded'); });
    const res = await app.inject({ method: 'POST', url: '/', headers: { 'content-type': 'application/json' }, payload: '{"a":1}' });
    expect(res.statusCode).toBe(500);
    const reqId = /request (\S+); see the server log/.exec(res.json().message)?.[1];
    expect(reqId).toBeDefined();
    const line = records().find((r) => r['reqId'] === reqId);
    expect(line).toMatchObject({ level: 'error', status: 500, method: 'POST', url: '/' });
    expect(Number.isNaN(Date.parse(String(line!['time'])))).toBe(false);
    expect((line!['err'] as { message: string }).message).toContain('Maximum call stack size exceeded');
  });

  it('a commit that fails answers 503 with Retry-After (never a 202), names the event, and masks secrets', async () => {
    const { app, records } = make((_e, _o) => {
      const err = new Error('commit failed for http://bob:pw123@db.local/x?token=abcdef');
      return { eventId: 'ev-1', matched: [], skipped: [], evaluationMs: 0, committed: Promise.reject(err), done: Promise.resolve([]) };
    });
    const res = await app.inject({ method: 'POST', url: '/', headers: { 'content-type': 'application/json' }, payload: '{"a":1}' });
    expect(res.statusCode).toBe(503);
    expect(res.headers['retry-after']).toBeDefined();
    expect(res.json().message).toContain('the event was not stored');
    expect(res.body).not.toContain('pw123');
    const line = records().find((r) => r['level'] === 'error')!;
    expect(line).toMatchObject({ eventId: 'ev-1', status: 503 });
    expect(JSON.stringify(line)).not.toContain('pw123');
    expect(JSON.stringify(line)).not.toContain('abcdef');
  });
});
