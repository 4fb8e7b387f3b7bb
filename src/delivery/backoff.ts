// How long a failed delivery waits before its next attempt.

import type { DeliveryPolicy } from '../config/types.js';

/** Exponential backoff with "equal jitter": the n-th retry waits between half and all of base*2^(n-1), capped. */
export function retryDelayMs(failures: number, policy: Pick<DeliveryPolicy, 'retryBackoffMs' | 'retryMaxBackoffMs'>, random: () => number = Math.random): number {
  const full = Math.min(policy.retryMaxBackoffMs, policy.retryBackoffMs * 2 ** Math.max(0, failures - 1));
  return Math.round(full / 2 + random() * (full / 2));
}

/** A service's Retry-After is honoured up to this long. */
export const MAX_RETRY_AFTER_MS = 24 * 3_600_000;
