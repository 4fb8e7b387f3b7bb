// What POST /, /scan and /tenant/:route share: the onRequest checks that run
// before the body is read (bearer token, content type, Hooker-Hops, inbox
// room), the HMAC check over the raw body, and handing the event to the
// router. Events from outside never carry the top-level `hooker` key: it is
// Hooker's own namespace (scan results carry hooker.scan, scheduled scans
// hooker.schedule), so an incoming one is removed and the answer says so.

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { bearerMatches, SignatureVerifier } from '../auth.js';
import { checkContentType, DEFERRED_BODY } from '../body-parser.js';
import { HttpError, statusText } from '../http-errors.js';
import { redactSecrets } from '../../logging/redact.js';
import { type CanonicalBody, canonicalText, parseCanonical } from '../json-body.js';
import type { SurfaceContext } from '../surface-context.js';
import { TurnGate } from '../turn-gate.js';

export const HOPS_HEADER = 'hooker-hops';
/** Top-level keys only Hooker itself may set on an event. */
export const RESERVED_KEYS = ['hooker'] as const; // (json-shape.ts JsonFacts.hookerKey finds it in a canonical body)

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

/** Why the inbox refuses one more event (see IngestPipeline.inboxRefusal). */
interface InboxRefusal {
  reason: 'backpressure' | 'admission' | 'inbox_full';
  message: string;
  retryAfter: string;
}

/** Marks a request whose inbox check the http server's request listener already made (it admitted the event). */
const ADMITTED = Symbol('hooker.admitted');
type GatedRequest = IncomingMessage & { [ADMITTED]?: true };

/** POST paths of the ingest surface whose refusals the request listener may answer (the querystring aside). */
function isIngestPath(url: string | undefined): boolean {
  if (url === undefined) return false;
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  return path === '/' || path === '/scan';
}

/**
 * Ingest requests started per turn of the event loop at most (turn-gate.ts).
 * 16, the bench's http action's concurrency: sustained --quick with 256
 * senders delivered 2,589 / 2,824 deliveries/s with 16 against 1,360 / 1,410
 * with 32 (alternating, issue 12, BENCHMARKS.md "senders").
 */
const INGEST_PER_TURN = 16;

/**
 * The parse of a deferred body, made outside route(): it outlives the request
 * in the plan's event (a held delivery reads it, delivery/plan.ts LazyEvent),
 * and a closure made in route() kept that scope's variables too: the body's
 * bytes (a slice of an 8 KiB pool buffer, which it kept whole) and the event
 * log's entry, for as long as a backlogged delivery waited (issue 12).
 */
function parserOf(body: CanonicalBody): () => unknown {
  const kept = { text: body.text, inexact: body.inexact };
  return () => parseCanonical(kept);
}

export class IngestPipeline {
  /** Ingest's share of each turn of the event loop (turn-gate.ts). */
  private readonly gate = new TurnGate(INGEST_PER_TURN);
  /** The HMAC verifier with its replay memory; share one between the HTTP and HTTPS listeners. */
  private readonly verifier?: SignatureVerifier;

  constructor(private readonly ctx: Omit<SurfaceContext, 'ingest'>, verifier?: SignatureVerifier) {
    this.verifier = verifier ?? signatureVerifierFor(ctx.settings);
  }

  /**
   * Everything that can be refused before the body is read. A callback hook,
   * not an async one: Fastify then runs it without a promise per request.
   */
  readonly onRequest = (req: FastifyRequest, _reply: FastifyReply, done: (err?: Error) => void): void => {
    try {
      this.check(req);
    } catch (e) {
      done(e as Error);
      return;
    }
    done();
  };

  private check(req: FastifyRequest): void {
    const s = this.ctx.settings;
    if (s.ingestToken && !bearerMatches(req.headers.authorization, s.ingestToken)) {
      throw new HttpError(401, 'missing or wrong bearer token (HOOKER_TOKEN)', 'unauthorized', { 'www-authenticate': 'Bearer' });
    }
    checkContentType(req);
    req.hops = this.readHops(req);
    if (!(req.raw as GatedRequest)[ADMITTED]) this.checkInbox();
    const verifier = this.verifier;
    if (verifier) {
      req.bodyGuard = (raw) => {
        const header = req.headers[s.hmacHeader];
        const outcome = verifier.verify(Array.isArray(header) ? header[0] : header, raw);
        if (!outcome.ok) throw new HttpError(401, outcome.message, outcome.reason);
      };
    }
  }

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
    const r = this.inboxRefusal();
    if (r) throw new HttpError(503, r.message, r.reason, { 'retry-after': r.retryAfter });
  }

  /**
   * Whether the inbox may refuse an event now (lag, admission, or the inbox
   * limit): a few comparisons, so the request listener can let every request
   * through untouched while nothing is refused.
   */
  private mayRefuse(): boolean {
    const bp = this.ctx.backpressure;
    if (bp && (bp.current.refusing || bp.overHighWater())) return true;
    const max = this.ctx.settings.maxInbox;
    return max !== undefined && this.ctx.queue.pending() >= max;
  }

  /**
   * Why the inbox refuses one more event now, counted in its metric; or
   * undefined, and then the event is admitted (admission takes one of its
   * tokens): ask once per request.
   */
  private inboxRefusal(): InboxRefusal | undefined {
    const { metrics, backpressure: bp } = this.ctx;
    if (bp?.current.refusing) {
      const { lagMs, maxLagMs } = bp.current;
      metrics.backpressureRefusals.inc();
      return { reason: 'backpressure', retryAfter: String(bp.retryAfterSeconds()), message: `deliveries are ${(lagMs / 1000).toFixed(1)} s behind, the limit is ${maxLagMs / 1000} s (HOOKER_MAX_DELIVERY_LAG): retry later` };
    }
    if (bp && !bp.admit()) {
      const { highWater, leavingPerSecond } = bp.current;
      metrics.admissionRefusals.inc();
      return { reason: 'admission', retryAfter: '1', message: `the inbox holds ${this.ctx.queue.pending()} undelivered events, above HOOKER_INBOX_HIGH_WATER (${highWater}): events are admitted only as fast as their deliveries finish (${leavingPerSecond.toFixed(0)}/s now); retry later` };
    }
    const max = this.ctx.settings.maxInbox;
    const pending = this.ctx.queue.pending();
    if (max === undefined || pending < max) return undefined;
    metrics.inboxFull.inc();
    return { reason: 'inbox_full', retryAfter: '5', message: `the inbox holds ${pending} undelivered events, the limit is ${max} (HOOKER_MAX_INBOX): retry later` };
  }

  /**
   * The http server's request listener, ahead of Fastify: while the inbox
   * refuses events, a POST / or /scan that passes the checks answered before
   * it (token, content type, Hooker-Hops) gets its 503 + Retry-After here,
   * with the body unread and no request, reply, logger or error object made.
   * Under overload most requests are refused: answered in Fastify's onRequest
   * each cost about as much CPU as a delivery, which the refusals then took
   * from the deliveries (issue 12). Returns true when it answered; anything
   * else (and every request while nothing is refused) goes on to Fastify
   * unchanged, whose onRequest makes the same checks for app.inject.
   */
  /**
   * The http server's request listener: an ingest POST starts in a turn of
   * the event loop that has room for it (see turn-gate.ts: the deliveries'
   * answers are read between turns, so ingest must not fill every turn),
   * is refused early there or goes on to `next` (Fastify's handler);
   * everything else goes on at once.
   */
  listener(next: (req: IncomingMessage, res: ServerResponse) => void): (req: IncomingMessage, res: ServerResponse) => void {
    return (req, res) => {
      if (req.method !== 'POST' || !isIngestPath(req.url)) { next(req, res); return; }
      this.gate.run(() => {
        // The sender went away while it waited: nothing was accepted, nothing to answer.
        if (req.socket.destroyed) return;
        if (!this.refuseEarly(req, res)) next(req, res);
      });
    };
  }

  readonly refuseEarly = (req: IncomingMessage, res: ServerResponse): boolean => {
    if (req.method !== 'POST' || !this.mayRefuse() || !isIngestPath(req.url)) return false;
    // Refusals the onRequest hook would give first are left to it, so the answer does not depend on the path taken.
    const s = this.ctx.settings;
    if (s.ingestToken && !bearerMatches(req.headers.authorization, s.ingestToken)) return false;
    try { checkContentType(req); } catch { return false; }
    if (!this.hopsAcceptable(req.headers[HOPS_HEADER])) return false;
    const r = this.inboxRefusal();
    if (!r) {
      (req as GatedRequest)[ADMITTED] = true;
      return false;
    }
    this.ctx.metrics.eventsRejected.inc({ reason: r.reason });
    const body = JSON.stringify({ error: statusText(503), message: r.message });
    // Node reads and drops the unread body once the answer is sent, so the connection stays usable.
    res.writeHead(503, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body), 'retry-after': r.retryAfter });
    res.end(body);
    return true;
  };

  /** Whether readHops would accept the header (without counting anything). */
  private hopsAcceptable(raw: string | string[] | undefined): boolean {
    if (raw === undefined) return true;
    const text = (Array.isArray(raw) ? raw[0]! : raw).trim();
    return /^\d+$/.test(text) && Number(text) < this.ctx.settings.maxHops;
  }

  /**
   * The parsed body as an event, with Hooker's reserved keys removed. A body
   * left unparsed (DEFERRED_BODY) stays so, and is passed on to `route` as
   * is, when it is an object without a reserved key and nothing here reads
   * it (no observer); else it is parsed now.
   */
  eventOf(req: FastifyRequest): { event: unknown; removed: string[] } {
    if (req.body === undefined) throw new HttpError(415, 'send the event as a JSON body with content-type application/json', 'content_type');
    let event: unknown = req.body;
    if (event === DEFERRED_BODY) {
      const body = req.canonicalBody!;
      if (!this.ctx.observe && body.text.charCodeAt(0) === 123 /* { */ && !body.hookerKey) return { event, removed: [] };
      event = parseCanonical(body);
      (req as { body: unknown }).body = event;
    }
    return { event, removed: removeReservedKeys(event) };
  }

  /**
   * Routes an event; the caller acknowledges it once `routed.committed`
   * resolves. `done` (the first attempts' records) is tracked for /tenant,
   * which answers with them, and for the event log unless the server feeds
   * the log the delivery records itself (EventLog.fedRecords): POST / and
   * /scan answer before any delivery and track nothing then.
   */
  route(req: FastifyRequest, event: unknown, only?: string) {
    const { router, metrics, eventLog } = this.ctx;
    const track = only !== undefined || !eventLog.fedRecords;
    // The body's own text when it is exactly the event's JSON text: the router then does not serialise the event again,
    // and a body left unparsed (eventOf) is parsed only if the router or a delivery reads the event.
    const deferred = event === DEFERRED_BODY ? req.canonicalBody! : undefined;
    const text = deferred ? { text: deferred.text, bytes: deferred.bytes, parse: parserOf(deferred) } : canonicalText(req.canonicalBody, event);
    const routed = router.route(deferred ? undefined : event, { hops: req.hops, only, firstAttempts: track, ...(text ? { text } : {}) });
    req.eventId = routed.eventId;
    // Not stored means not accepted: the sender retries (503 + Retry-After), never a 202 for a lost event.
    routed.committed = routed.committed.catch((e: Error) => {
      throw new HttpError(503, `the event was not stored, the database did not answer: ${redactSecrets(e.message)}; retry later`, 'store_unavailable', { 'retry-after': '2' });
    });
    // Set only when something observes events (eventOf then parsed the body).
    this.ctx.observe?.(event);
    metrics.evaluationSeconds.observe(routed.evaluationMs / 1000);
    metrics.eventsReceived.inc();
    if (routed.matched.length) metrics.eventsMatched.inc(); else metrics.eventsUnmatched.inc();
    const entry = eventLog.add({ eventId: routed.eventId, receivedMs: routed.receivedAt ?? Date.now(), hops: req.hops, matched: routed.matched, skipped: routed.skipped, deliveries: [] });
    if (!track) return { routed, done: routed.done };
    const done = routed.done.then((records) => {
      entry.deliveries = records;
      return records;
    });
    // POST / does not wait for the deliveries: a commit that failed is answered through `committed`, not here.
    done.catch(() => {});
    return { routed, done };
  }
}
