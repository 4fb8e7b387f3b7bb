// The 202 of POST / is written with JSON.stringify and sent as text
// (src/server/surfaces/ingest.ts): its bytes must be the ones Fastify's
// serialiser (fast-json-stringify, compiled from the documented response
// schema) wrote before, whatever the route names, skip reasons and removed
// keys hold, and its headers Fastify's JSON ones.
import { afterEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createRequire } from 'node:module';
import type { FastifyInstance } from 'fastify';
import { ACCEPTED_SCHEMA } from '../../src/server/surfaces/ingest.js';
import { buildApp } from '../../src/server/app.js';
import { ServerMetrics } from '../../src/server/metrics.js';
import type { EventRouter } from '../../src/routing/event-router.js';
import type { DeliveryQueue } from '../../src/delivery/scheduler.js';
import type { RuntimeHolder } from '../../src/server/runtime-holder.js';

// Fastify's own serialiser library (a dependency of fastify), as Fastify compiles a response schema.
const require = createRequire(import.meta.url);
const fjs = require(require.resolve('fast-json-stringify', { paths: [require.resolve('fastify')] })) as (schema: object) => (v: unknown) => string;
const serialise = fjs(ACCEPTED_SCHEMA);

let app: FastifyInstance | undefined;
afterEach(async () => { await app?.close(); app = undefined; });

const text = fc.oneof(fc.string({ maxLength: 12 }), fc.string({ unit: 'binary', maxLength: 8 }), fc.constantFrom('', '"', '\\', '\n', '\u0000', '\u2028', '\ud800', 'a\udc00b', '</script>', '😀'));

describe('the 202 answer', () => {
  it('JSON.stringify gives the bytes of the schema serialiser for any names, reasons and removed keys', () => {
    fc.assert(fc.property(text, fc.array(text, { maxLength: 4 }), fc.array(fc.record({ route: text, reason: text }), { maxLength: 3 }), fc.boolean(), (eventId, matched, skipped, removed) => {
      const answer = removed ? { eventId, matched, skipped, removed: ['hooker'] } : { eventId, matched, skipped };
      expect(JSON.stringify(answer)).toBe(serialise(answer));
    }), { seed: 20261127, numRuns: 3000 });
  });

  it('POST / answers with those bytes, Fastify\'s JSON content type and the right length, removed keys listed', async () => {
    const skipped = [{ route: 'r"2', reason: 'evaluation failed: \u0001 limit' }];
    const route = ((_e: unknown) => ({
      eventId: '01a2-x', matched: ['r1', 'r\\3'], skipped, evaluationMs: 0,
      committed: Promise.resolve({ duplicates: [] }), done: Promise.resolve([]),
    })) as unknown as EventRouter['route'];
    app = buildApp({
      settings: { hmacHeader: 'x-hooker-signature', maxBody: 1_000_000, maxHops: 3, debug: false },
      holder: { current: { routes: new Map() } } as unknown as RuntimeHolder,
      queue: { pending: () => 0 } as unknown as DeliveryQueue,
      router: { route } as unknown as EventRouter,
      metrics: new ServerMetrics(),
    });
    for (const [payload, removed] of [['{"a":1}', false], ['{"hooker":{"x":1},"a":1}', true]] as const) {
      const res = await app.inject({ method: 'POST', url: '/', headers: { 'content-type': 'application/json' }, payload });
      expect(res.statusCode).toBe(202);
      const expected = serialise({ eventId: '01a2-x', matched: ['r1', 'r\\3'], skipped, ...(removed ? { removed: ['hooker'] } : {}) });
      expect(res.body).toBe(expected);
      expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(res.headers['content-length']).toBe(String(Buffer.byteLength(expected)));
    }
  });
});
