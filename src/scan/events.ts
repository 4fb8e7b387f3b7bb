// The events scans put back into the inbox. `hooker.scan` marks an event as a
// scan's own, which is what the loop guard of the scan action looks at. No
// sender can fake it: the HTTP ingest removes a top-level `hooker` key from
// every event it receives (src/server/surfaces/ingest-pipeline.ts), so only
// events Hooker makes itself carry one.

import type { ScanOutcome, ScanRecord, ScanState } from './types.js';
import { describeTarget } from './types.js';

export const SCAN_COMPLETED = 'scan.completed';
export const SCAN_SCHEDULED = 'scan.scheduled';

export interface ScanCompletedEvent {
  type: typeof SCAN_COMPLETED;
  hooker: {
    scan: {
      id: string;
      trigger_event: string | null;
      route: string | null;
      passed: boolean;
      state: ScanState;
      scanner: string;
      target: string;
      target_key: string;
      profile: string | null;
      threshold: string | null;
      compliance: number | null;
      broken: Array<{ limit: string; actual: number; allowed: number }>;
      error: string | null;
      started_at: string | null;
      finished_at: string | null;
    };
  };
  artifact: string | null;
  format: string | null;
  findings: ScanOutcome['report']['findings'];
  report: unknown;
}

export function scanCompletedEvent(rec: ScanRecord, outcome: ScanOutcome | undefined): ScanCompletedEvent {
  const iso = (t?: number): string | null => (t === undefined ? null : new Date(t).toISOString());
  return {
    type: SCAN_COMPLETED,
    hooker: {
      scan: {
        id: rec.id,
        trigger_event: rec.request.trigger?.eventId ?? null,
        route: rec.request.trigger?.route ?? null,
        passed: rec.state === 'passed',
        state: rec.state,
        scanner: rec.request.scanner,
        target: describeTarget(rec.request.target),
        target_key: rec.targetKey,
        profile: rec.request.profile ?? null,
        threshold: rec.request.threshold ?? null,
        compliance: outcome?.threshold?.compliance ?? null,
        broken: outcome?.threshold?.broken ?? [],
        error: rec.error ?? null,
        started_at: iso(rec.startedAt),
        finished_at: iso(rec.finishedAt),
      },
    },
    artifact: outcome?.report.artifact ?? null,
    format: outcome?.report.format ?? null,
    findings: outcome?.report.findings ?? [],
    report: outcome?.raw ?? null,
  };
}

/** The scan an event reports on, when it is a scan result (any event carrying hooker.scan). */
export function scanOfEvent(event: unknown): { scanner?: string; target_key?: string } | undefined {
  if (typeof event !== 'object' || event === null) return undefined;
  const hooker = (event as { hooker?: unknown }).hooker;
  if (typeof hooker !== 'object' || hooker === null) return undefined;
  const scan = (hooker as { scan?: unknown }).scan;
  return typeof scan === 'object' && scan !== null ? scan as { scanner?: string; target_key?: string } : undefined;
}
