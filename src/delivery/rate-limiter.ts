// Per-action `rate-limit` (count per period) as a token bucket: up to `count`
// attempts may start at once, then one more each period/count. Deliveries
// over the limit stay queued in the store; nothing fails for being early.

import type { RateLimit } from '../config/rate-limit.js';

export class RateLimiter {
  private tokens: number;
  private updatedAt: number;

  constructor(readonly limit: RateLimit, now: number) {
    this.tokens = limit.count;
    this.updatedAt = now;
  }

  private refill(now: number): void {
    if (now <= this.updatedAt) return;
    this.tokens = Math.min(this.limit.count, this.tokens + ((now - this.updatedAt) * this.limit.count) / this.limit.perMs);
    this.updatedAt = now;
  }

  /** Whole attempts that may start now. */
  available(now: number): number {
    this.refill(now);
    return Math.floor(this.tokens + 1e-9);
  }

  take(n: number, now: number): void {
    this.refill(now);
    this.tokens -= n;
  }

  /** When the next attempt may start. */
  nextAt(now: number): number {
    this.refill(now);
    if (this.tokens >= 1) return now;
    return now + Math.ceil(((1 - this.tokens) * this.limit.perMs) / this.limit.count);
  }
}
