// Rows as both backends store them (same column names) turned into the
// records the Store interface returns.

import type { ActionKind } from '../delivery/plan.js';
import type { ScanRecord, ScanRequest, ScanState } from '../scan/types.js';
import type { DeliveryState, DeliverySummary } from './types.js';

export interface DeliveryRow {
  id: string; event_id: string; route: string; action: string; stage: number; kind: ActionKind; state: DeliveryState;
  attempts: number; next_at: number; created_at: number; updated_at: number; last_error: string | null; lease_until: number;
}

/** A pending delivery under a live lease is shown as running. */
export function shownState(r: { state: DeliveryState; lease_until: number }, now: number): DeliveryState {
  return r.state === 'pending' && r.lease_until > now ? 'running' : r.state;
}

export function summaryOf(r: DeliveryRow, now: number): DeliverySummary {
  return {
    id: r.id, eventId: r.event_id, route: r.route, action: r.action, state: shownState(r, now), attempts: r.attempts, stage: r.stage, kind: r.kind,
    nextAt: r.next_at, createdAt: r.created_at, updatedAt: r.updated_at, ...(r.last_error ? { lastError: r.last_error } : {}),
  };
}

export interface ScanRow {
  id: string; state: ScanState; scanner: string; target_key: string; request: string;
  created_at: number; started_at: number | null; finished_at: number | null; attempts: number; error: string | null; outcome: string | null;
}

export function scanOf(r: ScanRow): ScanRecord {
  return {
    id: r.id, state: r.state, request: JSON.parse(r.request) as ScanRequest, targetKey: r.target_key, createdAt: r.created_at,
    startedAt: r.started_at ?? undefined, finishedAt: r.finished_at ?? undefined, attempts: r.attempts, error: r.error ?? undefined,
  };
}
