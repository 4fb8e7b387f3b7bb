// PostgreSQL tables (migration set "hooker-core"), the same rows as the
// SQLite schema. Times are epoch milliseconds (BIGINT) taken from the
// replica's clock, JSON is stored as text (written and read whole, never
// queried inside). Steps are append-only: a shipped step is never edited.

import type pg from 'pg';

export const PG_MIGRATIONS: readonly string[] = [
  `CREATE TABLE events (
    id TEXT PRIMARY KEY,
    received_at BIGINT NOT NULL,
    hops INTEGER NOT NULL,
    body TEXT NOT NULL,
    open_deliveries INTEGER NOT NULL DEFAULT 0
  );
  CREATE INDEX events_open ON events(open_deliveries) WHERE open_deliveries > 0;
  CREATE INDEX events_received ON events(received_at);

  CREATE TABLE route_runs (
    event_id TEXT NOT NULL REFERENCES events(id) ON DELETE CASCADE,
    route TEXT NOT NULL,
    template TEXT,
    message TEXT NOT NULL,
    enriched TEXT,
    PRIMARY KEY (event_id, route)
  );

  CREATE TABLE deliveries (
    id TEXT PRIMARY KEY,
    seq BIGSERIAL,
    event_id TEXT NOT NULL,
    route TEXT NOT NULL,
    action TEXT NOT NULL,
    stage INTEGER NOT NULL,
    kind TEXT NOT NULL,
    -- waiting (an earlier stage runs) | pending | succeeded | dead; running = pending under a live lease
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    last_error TEXT,
    claimed_by TEXT,
    lease_until BIGINT NOT NULL DEFAULT 0,
    FOREIGN KEY (event_id, route) REFERENCES route_runs(event_id, route) ON DELETE CASCADE
  );
  CREATE INDEX deliveries_claim ON deliveries(action, next_at) WHERE state = 'pending';
  CREATE INDEX deliveries_run ON deliveries(event_id, route, stage);
  CREATE INDEX deliveries_state ON deliveries(state);

  CREATE TABLE attempts (
    id BIGSERIAL PRIMARY KEY,
    delivery_id TEXT NOT NULL REFERENCES deliveries(id) ON DELETE CASCADE,
    started_at BIGINT NOT NULL,
    finished_at BIGINT NOT NULL,
    ok BOOLEAN NOT NULL,
    detail TEXT,
    log TEXT NOT NULL
  );
  CREATE INDEX attempts_delivery ON attempts(delivery_id);

  -- The unique key is what makes unique-message-props hold across replicas.
  CREATE TABLE dedup_keys (
    route TEXT NOT NULL,
    key TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    PRIMARY KEY (route, key)
  );
  CREATE INDEX dedup_expiry ON dedup_keys(expires_at);

  CREATE TABLE aggregate_items (
    id BIGSERIAL PRIMARY KEY,
    route TEXT NOT NULL,
    event_id TEXT NOT NULL,
    message TEXT NOT NULL,
    created_at BIGINT NOT NULL
  );
  CREATE INDEX aggregate_route ON aggregate_items(route, id);

  CREATE TABLE schedule_ticks (
    name TEXT NOT NULL,
    tick BIGINT NOT NULL,
    PRIMARY KEY (name, tick)
  );

  CREATE TABLE scans (
    id TEXT PRIMARY KEY,
    seq BIGSERIAL,
    state TEXT NOT NULL,
    scanner TEXT NOT NULL,
    target_key TEXT NOT NULL,
    request TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    started_at BIGINT,
    finished_at BIGINT,
    attempts INTEGER NOT NULL DEFAULT 0,
    error TEXT,
    outcome TEXT,
    claimed_by TEXT,
    lease_until BIGINT NOT NULL DEFAULT 0
  );
  CREATE INDEX scans_by_state ON scans (state, created_at);
  CREATE INDEX scans_active_target ON scans (target_key) WHERE state IN ('queued', 'running');`,
  // Step 1: the web console's lists (postgres/console-rows.ts) page newest first by (time, id)
  // through an index, for every filter, as the SQLite schema's step 1 does.
  `CREATE INDEX events_newest ON events (received_at, id);
  DROP INDEX events_received;
  CREATE INDEX deliveries_route_newest ON deliveries (route, created_at, event_id);
  CREATE INDEX deliveries_action_newest ON deliveries (action, created_at, event_id);
  CREATE INDEX deliveries_state_newest ON deliveries (state, created_at, event_id);
  DROP INDEX deliveries_state;
  CREATE INDEX scans_newest ON scans (created_at, id);`,
];

/** One lock id for every replica's migration run (pg_advisory_lock takes a bigint). */
const MIGRATION_LOCK = 7_262_031_001;

/**
 * Applies the steps this database has not seen, each in its own transaction
 * with its record, while holding a session advisory lock: replicas starting
 * together run them once, the others wait and then find nothing to do.
 */
export async function migratePostgres(client: pg.ClientBase, name = 'hooker-core', steps: readonly string[] = PG_MIGRATIONS): Promise<number> {
  await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
  try {
    await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      name TEXT NOT NULL, step INTEGER NOT NULL, applied_at BIGINT NOT NULL, PRIMARY KEY (name, step))`);
    const { rows } = await client.query<{ last: number }>('SELECT COALESCE(MAX(step), -1)::int AS last FROM schema_migrations WHERE name = $1', [name]);
    let count = 0;
    for (let step = rows[0]!.last + 1; step < steps.length; step++) {
      await client.query('BEGIN');
      try {
        await client.query(steps[step]!);
        await client.query('INSERT INTO schema_migrations (name, step, applied_at) VALUES ($1, $2, $3)', [name, step, Date.now()]);
        await client.query('COMMIT');
      } catch (e) {
        await client.query('ROLLBACK').catch(() => {});
        throw new Error(`migration ${name} step ${step} failed: ${(e as Error).message}`);
      }
      count++;
    }
    return count;
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => {});
  }
}
