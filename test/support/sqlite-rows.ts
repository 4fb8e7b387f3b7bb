// The SQLite store's rows with the shortcuts the console query tests and
// bench:ui use to fill a database: insert plans, and record an outcome as the
// delivery's owner would (it takes the lease first, as a claim does).

import type { EventPlan } from '../../src/delivery/plan.js';
import type { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { AttemptOutcome, FinishResult, PurgeFilter } from '../../src/store/types.js';

export class SqliteStoreRows {
  constructor(readonly store: SqliteStore) {}

  get db() { return this.store.db; }

  insertPlans(plans: EventPlan[]) { return this.store.deliveries.insertPlans(plans); }

  async finishAttempt(id: string, outcome: AttemptOutcome): Promise<FinishResult | undefined> {
    this.store.db.prepare("UPDATE deliveries SET claimed_by = 'filler', lease_until = ? WHERE id = ?").run(Date.now() + 60_000, id);
    return (await this.store.deliveries.finishAttempts([{ id, owner: 'filler', outcome }]))[0];
  }

  purgeFinished(opts: PurgeFilter) { return this.store.deliveries.purgeFinished(opts); }
}
