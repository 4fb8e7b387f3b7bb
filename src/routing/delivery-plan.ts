// The order of a route's actions, as stages: deliveries of one stage run
// together, the next stage starts when all of them are finished (succeeded or
// dead). Higher `priority` first; within a priority each ReadAndWrite action
// is its own stage (in the listed order), then one stage of every ReadOnly
// action. `serialize-actions` makes every action its own stage, as listed.

import { randomUUID } from 'node:crypto';
import { DEFAULT_DELIVERY_POLICY, type DeliveryPolicy } from '../config/types.js';
import type { PlannedDelivery } from '../store/delivery-store.js';

export function planStages(actions: string[], policyOf: (action: string) => DeliveryPolicy | undefined, serialize: boolean, newId: () => string = randomUUID): PlannedDelivery[] {
  const policy = (a: string) => policyOf(a) ?? DEFAULT_DELIVERY_POLICY;
  if (serialize) return actions.map((action, stage) => ({ id: newId(), action, stage, kind: policy(action).kind }));
  const priorities = [...new Set(actions.map((a) => policy(a).priority))].sort((x, y) => y - x);
  const out: PlannedDelivery[] = [];
  let stage = 0;
  for (const p of priorities) {
    const group = actions.filter((a) => policy(a).priority === p);
    for (const a of group.filter((x) => policy(x).kind === 'ReadAndWrite')) out.push({ id: newId(), action: a, stage: stage++, kind: 'ReadAndWrite' });
    const readOnly = group.filter((x) => policy(x).kind === 'ReadOnly');
    if (readOnly.length) {
      for (const a of readOnly) out.push({ id: newId(), action: a, stage, kind: 'ReadOnly' });
      stage++;
    }
  }
  return out;
}

/** Exponential backoff with "equal jitter": the n-th retry waits between half and all of base*2^(n-1), capped. */
export function retryDelayMs(failures: number, policy: Pick<DeliveryPolicy, 'retryBackoffMs' | 'retryMaxBackoffMs'>, random: () => number = Math.random): number {
  const full = Math.min(policy.retryMaxBackoffMs, policy.retryBackoffMs * 2 ** Math.max(0, failures - 1));
  return Math.round(full / 2 + random() * (full / 2));
}

/**
 * A ReadAndWrite action's output merged into the event: objects merge key by
 * key, anything else replaces it. The top-level `hooker` key stays the
 * event's own: it is what Hooker asserts (hooker.scan), which an action's
 * answer may not add or change.
 */
export function mergeEvent(event: unknown, update: unknown): unknown {
  const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
  if (!isObj(update)) return update;
  const merged: Record<string, unknown> = isObj(event) ? { ...event, ...update } : { ...update };
  if (Object.prototype.hasOwnProperty.call(update, 'hooker')) {
    if (isObj(event) && Object.prototype.hasOwnProperty.call(event, 'hooker')) merged['hooker'] = event['hooker'];
    else delete merged['hooker'];
  }
  return merged;
}
