// `type: scan`: queues a scan of an image, pod or URL named by the event.
// The scan runs in the ScanService (durable queue); its result comes back as
// a `scan.completed` event. A scan result can never trigger the same scan
// again, and a target already queued or running is not queued twice.

import type { Action, ActionFactory, ConfigProblem, DeliveryContext, DeliveryResult } from './types.js';
import { defineAction } from './define.js';
import { EventRefError, isEventRef, parseEventRef, resolveEventRefText } from './event-ref.js';
import { scanOfEvent } from '../scan/events.js';
import { ScanRequestError, type ScanService } from '../scan/service.js';
import { targetKey, type ScanTarget } from '../scan/types.js';

export const SCAN_KEYS = ['scanner', 'target', 'profile', 'threshold', 'timeout'];

/** Target with literal values or event references, resolved per delivery. */
type TargetTemplate = { image: string } | { url: string } | { pod: { namespace: string; name: string; container?: string } };

interface ScanActionConfig {
  name: string;
  scanner: string;
  target: TargetTemplate;
  profile?: string;
  threshold?: string;
  timeoutMs?: number;
}

function parseTarget(raw: unknown, problems: ConfigProblem[]): TargetTemplate | undefined {
  const check = (path: string, v: unknown): v is string => {
    if (typeof v !== 'string' || v === '') { problems.push({ path, message: 'required: a value or an event.input reference' }); return false; }
    if (isEventRef(v)) {
      try { parseEventRef(v); } catch (e) { problems.push({ path, message: e instanceof EventRefError ? e.message : String(e) }); return false; }
    }
    return true;
  };
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    problems.push({ path: 'target', message: 'required: {image: ...}, {pod: {namespace, name, container}} or {url: ...}' });
    return undefined;
  }
  const t = raw as Record<string, unknown>;
  const kinds = ['image', 'pod', 'url'].filter((k) => k in t);
  if (kinds.length !== 1) { problems.push({ path: 'target', message: 'give exactly one of image, pod, url' }); return undefined; }
  if ('image' in t) return check('target.image', t.image) ? { image: t.image } : undefined;
  if ('url' in t) return check('target.url', t.url) ? { url: t.url } : undefined;
  const pod = t.pod as Record<string, unknown> | null;
  if (typeof pod !== 'object' || pod === null) { problems.push({ path: 'target.pod', message: 'must be {namespace, name, container}' }); return undefined; }
  const okNs = check('target.pod.namespace', pod.namespace);
  const okName = check('target.pod.name', pod.name);
  const okContainer = pod.container === undefined || check('target.pod.container', pod.container);
  if (!okNs || !okName || !okContainer) return undefined;
  return { pod: { namespace: pod.namespace as string, name: pod.name as string, container: pod.container as string | undefined } };
}

function resolveTarget(t: TargetTemplate, event: unknown): ScanTarget {
  const r = (v: string): string => (isEventRef(v) ? resolveEventRefText(event, v) : v);
  if ('image' in t) return { image: r(t.image) };
  if ('url' in t) return { url: r(t.url) };
  return { pod: { namespace: r(t.pod.namespace), name: r(t.pod.name), ...(t.pod.container ? { container: r(t.pod.container) } : {}) } };
}

class ScanAction implements Action {
  readonly type = 'scan';
  readonly name: string;

  constructor(private readonly cfg: ScanActionConfig, private readonly service: () => ScanService | undefined) {
    this.name = cfg.name;
  }

  async deliver(ctx: DeliveryContext): Promise<DeliveryResult> {
    const service = this.service();
    if (!service) return { ok: false, retryable: true, detail: 'the scan service is not running' };
    let target: ScanTarget;
    try {
      target = resolveTarget(this.cfg.target, ctx.event);
    } catch (e) {
      if (e instanceof EventRefError) return { ok: false, retryable: false, detail: `cannot resolve ${e.ref}: ${e.message}` };
      throw e;
    }
    const key = targetKey(this.cfg.scanner, target);
    const origin = scanOfEvent(ctx.event);
    if (origin && origin.scanner === this.cfg.scanner && origin.target_key === key) {
      ctx.log(`loop guard: the event is the result of a ${this.cfg.scanner} scan of this target; not scanning it again`);
      return { ok: true, detail: 'skipped: a scan result cannot trigger the same scan' };
    }
    try {
      const r = await service.submit({
        scanner: this.cfg.scanner, target, profile: this.cfg.profile, threshold: this.cfg.threshold, timeoutMs: this.cfg.timeoutMs,
        trigger: { eventId: ctx.eventId, route: ctx.routeName, hops: ctx.hops },
      });
      ctx.log(r.deduplicated ? `scan ${r.id} of this target is already ${r.state}: not queued again` : `scan ${r.id} queued`);
      return { ok: true, detail: r.deduplicated ? `scan ${r.id} already ${r.state}` : `scan ${r.id} queued`, changed: r.deduplicated ? [] : [`scan ${r.id} queued`] };
    } catch (e) {
      if (e instanceof ScanRequestError) return { ok: false, retryable: false, detail: e.message };
      return { ok: false, retryable: true, detail: `queueing the scan failed: ${e instanceof Error ? e.message : String(e)}` };
    }
  }
}

type ScanSettings = Omit<ScanActionConfig, 'name'>;

function scanActionType(bound?: () => ScanService | undefined): ActionFactory {
  return defineAction<ScanSettings>({
    type: 'scan',
    keys: SCAN_KEYS,
    parse(reader) {
      const config = reader.config;
      const scanner = reader.string('scanner', true);
      const profile = reader.string('profile');
      const threshold = reader.string('threshold');
      const timeoutMs = config.timeout === undefined ? undefined : reader.timeout('timeout', 0);
      const target = parseTarget(config.target, reader.problems);
      if (!scanner || !target) return undefined;
      // Scanner/profile/threshold names are checked against the scan config when the scan is queued.
      return { scanner, target, profile, threshold, timeoutMs };
    },
    build(settings, { name, services }) {
      const service = bound ?? services.scan ?? (() => undefined);
      return new ScanAction({ name, ...settings }, service);
    },
  });
}

/** A factory bound to a given service (tests, embedders); `scanAction` uses the one the server passes in. */
export function createScanActionFactory(service: () => ScanService | undefined): ActionFactory {
  return scanActionType(service);
}

export const scanAction: ActionFactory = scanActionType();
