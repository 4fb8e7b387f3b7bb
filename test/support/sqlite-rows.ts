// The SQLite store's rows with the shortcuts the console query tests and
// bench:ui use to fill a database: insert plans, and record an outcome as the
// delivery's owner would (it takes the lease first, as a claim does).

import type { EventPlan } from '../../src/delivery/plan.js';
import type { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { AttemptOutcome, FinishResult, PurgeFilter } from '../../src/store/types.js';
import type { SqliteDatabase } from '../../src/store/sqlite/db.js';

/**
 * Leases a delivery to the owner 'filler' for a minute, as a claim would write it: claimed_by
 * holds the owner's code (lease_owners, SQLite core step 8), not its name.
 */
export function leaseToFiller(db: SqliteDatabase, id: string): void {
  db.prepare("INSERT INTO lease_owners (owner) VALUES ('filler') ON CONFLICT (owner) DO NOTHING").run();
  db.prepare("UPDATE deliveries SET claimed_by = (SELECT code FROM lease_owners WHERE owner = 'filler'), lease_until = ? WHERE id = ?").run(Date.now() + 60_000, id);
}

export class SqliteStoreRows {
  constructor(readonly store: SqliteStore) {}

  get db() { return this.store.db; }

  insertPlans(plans: EventPlan[]) { return this.store.deliveries.insertPlans(plans); }

  async finishAttempt(id: string, outcome: AttemptOutcome): Promise<FinishResult | undefined> {
    leaseToFiller(this.store.db, id);
    return (await this.store.deliveries.finishAttempts([{ id, owner: 'filler', outcome }]))[0];
  }

  purgeFinished(opts: PurgeFilter) { return this.store.deliveries.purgeFinished(opts); }
}
