// Prometheus metrics of one server instance (its own registry, so several
// servers can run in one process, as the tests do).

import { Registry, Counter, Histogram, Gauge, collectDefaultMetrics } from 'prom-client';
import { LabelledHistogram } from './labelled-histogram.js';

export type DeliveryOutcome = 'success' | 'retry' | 'dead';
const OUTCOMES: readonly DeliveryOutcome[] = ['success', 'retry', 'dead'];

export class ServerMetrics {
  readonly registry = new Registry();
  readonly eventsReceived = new Counter({ name: 'hooker_events_received_total', help: 'Events accepted for routing', registers: [this.registry] });
  readonly eventsMatched = new Counter({ name: 'hooker_events_matched_total', help: 'Events that matched at least one route', registers: [this.registry] });
  readonly eventsUnmatched = new Counter({ name: 'hooker_events_unmatched_total', help: 'Events that matched no route', registers: [this.registry] });
  readonly eventsRejected = new Counter({ name: 'hooker_events_rejected_total', help: 'Requests to the ingest endpoints that were refused', labelNames: ['reason'] as const, registers: [this.registry] });
  readonly hopsExceeded = new Counter({ name: 'hooker_hops_exceeded_total', help: 'Events refused because Hooker-Hops reached HOOKER_MAX_HOPS', registers: [this.registry] });
  readonly evaluationSeconds = new Histogram({ name: 'hooker_route_evaluation_seconds', help: 'Time to evaluate the route entrypoint for one event', buckets: [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1], registers: [this.registry] });
  /**
   * Attempts per action and outcome since the last collection (countDelivery), added to hooker_deliveries_total
   * when it is collected: an increment per delivery with its labels object was hashed and checked by prom-client
   * every time (issue 12, see labelled-histogram.ts).
   */
  private readonly outcomes = new Map<string, Record<DeliveryOutcome, number>>();
  readonly deliveries = new Counter({
    name: 'hooker_deliveries_total', help: 'Delivery attempts by action and outcome (success, retry, dead)', labelNames: ['action', 'outcome'] as const, registers: [this.registry],
    collect: () => this.addOutcomes(),
  });
  /** By action: observe(action, seconds). */
  readonly deliverySeconds = new LabelledHistogram('hooker_delivery_seconds', 'Time from enqueue to the end of a delivery', 'action', [0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30, 60], [this.registry]);
  readonly evaluationFailures = new Counter({ name: 'hooker_evaluation_failures_total', help: 'Route filter evaluations that failed for one event, by route and limit (memory, elements, result_size, time, or none)', labelNames: ['route', 'limit'] as const, registers: [this.registry] });
  readonly renderFailures = new Counter({ name: 'hooker_template_failures_total', help: 'Template renders that failed', labelNames: ['route'] as const, registers: [this.registry] });
  readonly reloads = new Counter({ name: 'hooker_config_reloads_total', help: 'Configuration reloads by outcome', labelNames: ['outcome'] as const, registers: [this.registry] });
  /** Where the inbox's size is read when the metrics are collected (pendingFrom). */
  private pendingSource?: () => number;
  readonly pending = new Gauge({
    name: 'hooker_deliveries_pending', help: 'Events with unfinished deliveries (the inbox)', registers: [this.registry],
    // Read at collection: setting it for every accepted event was a label lookup per event (issue 12).
    collect: () => { if (this.pendingSource) this.pending.set(this.pendingSource()); },
  });

  readonly duplicates = new Counter({ name: 'hooker_duplicates_dropped_total', help: 'Events dropped for a route by unique-message-props', labelNames: ['route'] as const, registers: [this.registry] });
  readonly aggregateFlushes = new Counter({ name: 'hooker_aggregate_flushes_total', help: 'Aggregated messages sent', labelNames: ['route'] as const, registers: [this.registry] });
  readonly inboxFull = new Counter({ name: 'hooker_inbox_full_total', help: 'Events refused with 503 because the inbox was over HOOKER_MAX_INBOX', registers: [this.registry] });
  readonly backpressureRefusals = new Counter({ name: 'hooker_backpressure_refusals_total', help: 'Events refused with 503 because deliveries lagged more than HOOKER_MAX_DELIVERY_LAG', registers: [this.registry] });
  readonly admissionRefusals = new Counter({ name: 'hooker_admission_refusals_total', help: 'Events refused with 503 because the inbox was above HOOKER_INBOX_HIGH_WATER and events arrived faster than deliveries finished them', registers: [this.registry] });
  readonly inboxLeaving = new Gauge({ name: 'hooker_inbox_leaving_per_second', help: 'Events leaving the inbox per second (their last delivery finished): the rate ingest is admitted at above HOOKER_INBOX_HIGH_WATER', registers: [this.registry] });
  readonly deliveryLag = new Gauge({ name: 'hooker_delivery_lag_seconds', help: 'Age of the oldest due delivery not yet started (actions without a rate limit)', registers: [this.registry] });
  readonly evicted = new Counter({ name: 'hooker_db_evicted_total', help: 'Records removed to respect max-db-size', labelNames: ['kind'] as const, registers: [this.registry] });
  readonly dbBytes = new Gauge({ name: 'hooker_db_bytes', help: 'Size of the SQLite database', registers: [this.registry] });

  /** One delivery attempt of `action` ended so (hooker_deliveries_total). */
  countDelivery(action: string, outcome: DeliveryOutcome): void {
    let counts = this.outcomes.get(action);
    if (!counts) { counts = { success: 0, retry: 0, dead: 0 }; this.outcomes.set(action, counts); }
    counts[outcome]++;
  }

  private addOutcomes(): void {
    for (const [action, counts] of this.outcomes) {
      for (const outcome of OUTCOMES) {
        if (counts[outcome] > 0) { this.deliveries.inc({ action, outcome }, counts[outcome]); counts[outcome] = 0; }
      }
    }
  }

  /** Reads the inbox's size from `source` whenever the metrics are collected (the server's delivery queue). */
  pendingFrom(source: () => number): void {
    this.pendingSource = source;
  }

  constructor(opts: { defaultMetrics?: boolean } = {}) {
    if (opts.defaultMetrics) collectDefaultMetrics({ register: this.registry });
  }
}
