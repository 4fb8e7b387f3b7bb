// What POST /, /scan and /tenant/:route share: the onRequest checks that run
// before the body is read (bearer token, content type, Hooker-Hops, inbox
// room), the HMAC check over the raw body, and handing the event to the
// router. Events from outside never carry the top-level `hooker` key: it is
// Hooker's own namespace (scan results carry hooker.scan, scheduled scans
// hooker.schedule), so an incoming one is removed and the answer says so.

import type { FastifyReply, FastifyRequest } from 'fastify';
import { bearerMatches, SignatureVerifier } from '../auth.js';
import { checkContentType } from '../body-parser.js';
import { HttpError } from '../http-errors.js';
import { redactSecrets } from '../../logging/redact.js';
import type { SurfaceContext } from '../surface-context.js';

export const HOPS_HEADER = 'hooker-hops';
/** Top-level keys only Hooker itself may set on an event. */
export const RESERVED_KEYS = ['hooker'] as const;

declare module 'fastify' {
  interface FastifyRequest {
    /** Hooker-Hops of an ingest request, read in onRequest. */
    hops: number;
    /** The event id once the event is routed (5xx log lines name it). */
    eventId: string;
  }
  interface FastifyContextConfig {
    /** Refusals of this route count in hooker_events_rejected_total. */
    ingest?: boolean;
  }
}

/** Removes the reserved keys of an incoming event; returns the ones it had. */
export function removeReservedKeys(event: unknown): string[] {
  if (typeof event !== 'object' || event === null || Array.isArray(event)) return [];
  const removed: string[] = [];
  for (const k of RESERVED_KEYS) {
    if (Object.prototype.hasOwnProperty.call(event, k)) { delete (event as Record<string, unknown>)[k]; removed.push(k); }
  }
  return removed;
}

export function signatureVerifierFor(s: SurfaceContext['settings']): SignatureVerifier | undefined {
  if (!s.hmacSecret) return undefined;
  return new SignatureVerifier({ secret: s.hmacSecret, header: s.hmacHeader, toleranceMs: s.hmacToleranceMs ?? 300_000, requireTimestamp: s.hmacRequireTimestamp ?? false });
}

export class IngestPipeline {
  /** The HMAC verifier with its replay memory; share one between the HTTP and HTTPS listeners. */
  private readonly verifier?: SignatureVerifier;

  constructor(private readonly ctx: Omit<SurfaceContext, 'ingest'>, verifier?: SignatureVerifier) {
    this.verifier = verifier ?? signatureVerifierFor(ctx.settings);
  }

  /** Everything that can be refused before the body is read. */
  readonly onRequest = async (req: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    const s = this.ctx.settings;
    if (s.ingestToken && !bearerMatches(req.headers.authorization, s.ingestToken)) {
      throw new HttpError(401, 'missing or wrong bearer token (HOOKER_TOKEN)', 'unauthorized', { 'www-authenticate': 'Bearer' });
    }
    checkContentType(req);
    req.hops = this.readHops(req);
    this.checkInbox();
    const verifier = this.verifier;
    if (verifier) {
      req.bodyGuard = (raw) => {
        const header = req.headers[s.hmacHeader];
        const outcome = verifier.verify(Array.isArray(header) ? header[0] : header, raw);
        if (!outcome.ok) throw new HttpError(401, outcome.message, outcome.reason);
      };
    }
  };

  private readHops(req: FastifyRequest): number {
    const raw = req.headers[HOPS_HEADER];
    if (raw === undefined) return 0;
    const text = Array.isArray(raw) ? raw[0]! : raw;
    if (!/^\d+$/.test(text.trim())) throw new HttpError(400, `${HOPS_HEADER} must be a non-negative integer, got "${text}"`, 'bad_request');
    const hops = Number(text);
    const max = this.ctx.settings.maxHops;
    if (hops >= max) {
      this.ctx.metrics.hopsExceeded.inc();
      throw new HttpError(508, `event has travelled ${hops} hops, the limit is ${max} (HOOKER_MAX_HOPS): dropped to stop a loop`, 'hops');
    }
    return hops;
  }

  private checkInbox(): void {
    const bp = this.ctx.backpressure;
    if (bp?.current.refusing) {
      const { lagMs, maxLagMs } = bp.current;
      this.ctx.metrics.backpressureRefusals.inc();
      throw new HttpError(503, `deliveries are ${(lagMs / 1000).toFixed(1)} s behind, the limit is ${maxLagMs / 1000} s (HOOKER_MAX_DELIVERY_LAG): retry later`, 'backpressure', { 'retry-after': String(bp.retryAfterSeconds()) });
    }
    if (bp && !bp.admit()) {
      const { highWater, leavingPerSecond } = bp.current;
      this.ctx.metrics.admissionRefusals.inc();
      throw new HttpError(503, `the inbox holds ${this.ctx.queue.pending()} undelivered events, above HOOKER_INBOX_HIGH_WATER (${highWater}): events are admitted only as fast as their deliveries finish (${leavingPerSecond.toFixed(0)}/s now); retry later`, 'admission', { 'retry-after': '1' });
    }
    const max = this.ctx.settings.maxInbox;
    const pending = this.ctx.queue.pending();
    if (max === undefined || pending < max) return;
    this.ctx.metrics.inboxFull.inc();
    throw new HttpError(503, `the inbox holds ${pending} undelivered events, the limit is ${max} (HOOKER_MAX_INBOX): retry later`, 'inbox_full', { 'retry-after': '5' });
  }

  /** The parsed body as an event, with Hooker's reserved keys removed. */
  eventOf(req: FastifyRequest): { event: unknown; removed: string[] } {
    if (req.body === undefined) throw new HttpError(415, 'send the event as a JSON body with content-type application/json', 'content_type');
    const event = req.body;
    return { event, removed: removeReservedKeys(event) };
  }

  /** Routes an event; the caller acknowledges it once `routed.committed` resolves. */
  route(req: FastifyRequest, event: unknown, only?: string) {
    const { router, metrics, queue, eventLog } = this.ctx;
    const routed = router.route(event, { hops: req.hops, only });
    req.eventId = routed.eventId;
    // Not stored means not accepted: the sender retries (503 + Retry-After), never a 202 for a lost event.
    routed.committed = routed.committed.catch((e: Error) => {
      throw new HttpError(503, `the event was not stored, the database did not answer: ${redactSecrets(e.message)}; retry later`, 'store_unavailable', { 'retry-after': '2' });
    });
    this.ctx.observe?.(event);
    metrics.evaluationSeconds.observe(routed.evaluationMs / 1000);
    metrics.eventsReceived.inc();
    if (routed.matched.length) metrics.eventsMatched.inc(); else metrics.eventsUnmatched.inc();
    const entry = eventLog.add({ eventId: routed.eventId, receivedAt: new Date().toISOString(), hops: req.hops, matched: routed.matched, skipped: routed.skipped, deliveries: [] });
    metrics.pending.set(queue.pending());
    const done = routed.done.then((records) => {
      entry.deliveries = records;
      return records;
    });
    // POST / does not wait for the deliveries: a commit that failed is answered through `committed`, not here.
    done.catch(() => {});
    return { routed, done };
  }
}
