// SQLite tables of the inbox, deliveries, dedup keys, aggregation buffers
// and once-per-cluster records (migration set "hooker-core").
// Steps are append-only: a shipped step is never edited, a new one is added.

import { migrate, type SqliteDatabase } from './db.js';

export const CORE_MIGRATIONS: readonly string[] = [
  `CREATE TABLE events (
    id TEXT PRIMARY KEY,
    received_at INTEGER NOT NULL,
    hops INTEGER NOT NULL,
    body TEXT NOT NULL,
    -- deliveries of this event not yet succeeded or dead; > 0 means the event is in the inbox
    open_deliveries INTEGER NOT NULL DEFAULT 0
  );
  CREATE INDEX events_open ON events(open_deliveries) WHERE open_deliveries > 0;
  CREATE INDEX events_received ON events(received_at);

  -- One matched route of one event: its rendered message and, after a
  -- ReadAndWrite action changed it, the enriched event.
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
    event_id TEXT NOT NULL,
    route TEXT NOT NULL,
    action TEXT NOT NULL,
    stage INTEGER NOT NULL,
    kind TEXT NOT NULL,
    -- waiting (an earlier stage runs) | pending | running | succeeded | dead
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_at INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    last_error TEXT,
    FOREIGN KEY (event_id, route) REFERENCES route_runs(event_id, route) ON DELETE CASCADE
  );
  CREATE INDEX deliveries_due ON deliveries(state, next_at);
  CREATE INDEX deliveries_run ON deliveries(event_id, route, stage);
  CREATE INDEX deliveries_route ON deliveries(route, state);
  CREATE INDEX deliveries_claim ON deliveries(action, state, next_at);

  CREATE TABLE attempts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    delivery_id TEXT NOT NULL REFERENCES deliveries(id) ON DELETE CASCADE,
    started_at INTEGER NOT NULL,
    finished_at INTEGER NOT NULL,
    ok INTEGER NOT NULL,
    detail TEXT,
    log TEXT NOT NULL
  );
  CREATE INDEX attempts_delivery ON attempts(delivery_id);

  CREATE TABLE dedup_keys (
    route TEXT NOT NULL,
    key TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (route, key)
  );
  CREATE INDEX dedup_expiry ON dedup_keys(expires_at);

  CREATE TABLE aggregate_items (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    route TEXT NOT NULL,
    event_id TEXT NOT NULL,
    message TEXT NOT NULL,
    created_at INTEGER NOT NULL
  );
  CREATE INDEX aggregate_route ON aggregate_items(route, id);`,
  // Step 1: what the web console (src/ui) filters and pages by, newest first:
  // events by time (cursor on received_at, id), deliveries by route, action
  // and state (cursor on created_at, event_id; a delivery's created_at is its
  // event's received_at), and the event text (a contentless FTS5 index; see step 2).
  `CREATE INDEX events_newest ON events(received_at, id);
  CREATE INDEX deliveries_state_newest ON deliveries(state, created_at, event_id);
  CREATE INDEX deliveries_route_newest ON deliveries(route, created_at, event_id);
  CREATE INDEX deliveries_action_newest ON deliveries(action, created_at, event_id);
  CREATE VIRTUAL TABLE events_text USING fts5(body, content='', contentless_delete=1);
  INSERT INTO events_text(rowid, body) SELECT rowid, body FROM events;
  CREATE TRIGGER events_text_insert AFTER INSERT ON events BEGIN
    INSERT INTO events_text(rowid, body) VALUES (new.rowid, new.body);
  END;
  CREATE TRIGGER events_text_delete AFTER DELETE ON events BEGIN
    DELETE FROM events_text WHERE rowid = old.rowid;
  END;`,
  // Step 2: the text index is filled behind the write path (ConsoleQueries: a worker
  // thread while the console is on, and each text search for the newest), not by an
  // insert trigger: tokenizing every body in the commit made inserts 2.5-7x slower.
  // events_text_progress holds the last events rowid indexed; deleting the newest
  // events lowers it, so a reused rowid is indexed again.
  `DROP TRIGGER events_text_insert;
  CREATE TABLE events_text_progress (id INTEGER PRIMARY KEY CHECK (id = 1), last_rowid INTEGER NOT NULL);
  INSERT INTO events_text_progress (id, last_rowid) SELECT 1, IFNULL(MAX(rowid), 0) FROM events;
  DROP TRIGGER events_text_delete;
  CREATE TRIGGER events_text_delete AFTER DELETE ON events BEGIN
    DELETE FROM events_text WHERE rowid = old.rowid;
    UPDATE events_text_progress SET last_rowid = (SELECT IFNULL(MAX(rowid), 0) FROM events)
      WHERE last_rowid > (SELECT IFNULL(MAX(rowid), 0) FROM events);
  END;`,
  // Step 3: claims are leases (claimed_by, lease_until) instead of a written
  // 'running' state: a claim no longer moves rows between states, and work a
  // dead process held comes back when its lease is freed or expires.
  `ALTER TABLE deliveries ADD COLUMN claimed_by TEXT;
  ALTER TABLE deliveries ADD COLUMN lease_until INTEGER NOT NULL DEFAULT 0;
  UPDATE deliveries SET state = 'pending' WHERE state = 'running';
  CREATE TABLE schedule_ticks (
    name TEXT NOT NULL,
    tick INTEGER NOT NULL,
    PRIMARY KEY (name, tick)
  );`,
  // Step 4: the scheduler's indexes hold pending deliveries only (as on
  // PostgreSQL). Keyed by state, every finished delivery moved its entries
  // from the pending to the succeeded part of two indexes; now it only leaves
  // them, and they stay as small as the inbox (issue 12). Lists by state use
  // deliveries_state_newest.
  `DROP INDEX deliveries_due;
  DROP INDEX deliveries_claim;
  CREATE INDEX deliveries_pending ON deliveries(next_at) WHERE state = 'pending';
  CREATE INDEX deliveries_claim_pending ON deliveries(action, next_at) WHERE state = 'pending';`,
  // Step 5 (issue 12, fewer bytes and B-tree writes per event): a message
  // several routes of one event share (a template rendered once per event,
  // raw-json in every route) is stored once, in events.message, and those
  // route runs hold '' (a rendered message is never empty text); and
  // events_received goes, events_newest (received_at, id) serves its queries.
  `ALTER TABLE events ADD COLUMN message TEXT;
  DROP INDEX events_received;`,
  // Step 6 (issue 12, fewer B-tree writes per delivery): two of the console's
  // four indexes on deliveries go. Their entries sat in the middle of their
  // B-trees (keyed by route or state), so every commit rewrote several pages
  // of each, and every finished delivery moved its entry in both.
  // - deliveries_route (route, state) served only the per-route counters:
  //   delivery_counts holds them (a commit writes one small page);
  // - deliveries_state_newest (state, created_at, event_id) served the lists by
  //   state: dead letters now have their own partial index (written only when a
  //   delivery dies), the inbox states are found through the events in the inbox
  //   (events_inbox replaces events_open: the same rows, ordered by time), and
  //   succeeded ones through the events by time (most events have one).
  `DROP INDEX deliveries_route;
  DROP INDEX deliveries_state_newest;
  DROP INDEX events_open;
  CREATE INDEX events_inbox ON events(received_at, id) WHERE open_deliveries > 0;
  CREATE INDEX deliveries_dead ON deliveries(created_at, event_id) WHERE state = 'dead';
  CREATE TABLE delivery_counts (
    route TEXT NOT NULL,
    state TEXT NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (route, state)
  ) WITHOUT ROWID;
  INSERT INTO delivery_counts (route, state, n) SELECT route, state, COUNT(*) FROM deliveries GROUP BY route, state;
  -- Inserts are counted by insertPlans, once per batch and (route, state) (a trigger per
  -- row cost about what the index did); state changes and deletes, by these triggers.
  CREATE TRIGGER delivery_counts_update AFTER UPDATE OF state ON deliveries WHEN old.state <> new.state BEGIN
    UPDATE delivery_counts SET n = n - 1 WHERE route = old.route AND state = old.state;
    INSERT INTO delivery_counts (route, state, n) VALUES (new.route, new.state, 1) ON CONFLICT (route, state) DO UPDATE SET n = n + 1;
  END;
  CREATE TRIGGER delivery_counts_delete AFTER DELETE ON deliveries BEGIN
    UPDATE delivery_counts SET n = n - 1 WHERE route = old.route AND state = old.state;
  END;`,
  // Step 7 (issue 12, fewer B-tree writes per commit): the console's route and
  // action filters find their events through spans instead of an index entry
  // per delivery. deliveries_route_newest and deliveries_action_newest took an
  // entry of every delivery in the middle of their B-trees (one range per
  // route or action), the largest share of a commit's pages after the rows
  // themselves. A span says "this route (kind 'r') or action ('a') has
  // deliveries among the events received from first_at to last_at": a commit
  // adds one per route and action it wrote (a few tiny rows), and the console
  // walks the events of the spans newest first (ConsoleQueries). Spans are at
  // most SPAN_MAX_MS long, so those covering a cursor's time are found by a
  // bounded look above it. Existing deliveries get one span per millisecond.
  `CREATE TABLE delivery_spans (
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    last_at INTEGER NOT NULL,
    first_at INTEGER NOT NULL,
    PRIMARY KEY (kind, name, last_at, first_at)
  ) WITHOUT ROWID;
  INSERT OR IGNORE INTO delivery_spans (kind, name, last_at, first_at) SELECT DISTINCT 'r', route, created_at, created_at FROM deliveries;
  INSERT OR IGNORE INTO delivery_spans (kind, name, last_at, first_at) SELECT DISTINCT 'a', action, created_at, created_at FROM deliveries;
  DROP INDEX deliveries_route_newest;
  DROP INDEX deliveries_action_newest;`,
  // Step 8 (issue 12, rows that do not grow when leased): deliveries.claimed_by
  // holds a short code of the lease's owner (lease_owners.code, as text) instead
  // of the owner's name (host/pid/random, ~30 bytes). A claim wrote the name into
  // every row it leased, and a row that grows on a full page makes SQLite
  // rebalance the page with its siblings: ~2 µs per claimed delivery. Leases of
  // the file before this step name no code: they are freed (one process owns
  // the file, and its start frees every lease anyway).
  `CREATE TABLE lease_owners (
    code INTEGER PRIMARY KEY,
    owner TEXT NOT NULL UNIQUE
  );
  UPDATE deliveries SET claimed_by = NULL, lease_until = 0 WHERE state = 'pending' AND claimed_by IS NOT NULL;`,
  // Step 9 (issue 12, one B-tree append less per delivery): a delivery's
  // successful attempt (always its last: success is final) may be kept in its
  // own row instead of an attempts row: ok_text names its detail and log lines
  // in attempt_texts (the same few texts per action and answer, stored once),
  // ok_ms is its duration (it finished at updated_at). Both are a few bytes,
  // written by the finish that frees the lease's (claimed_by, lease_until),
  // so the row does not grow on its page. Earlier attempts, failures and texts
  // without a code stay rows of attempts. Rows of the previous version have
  // NULL here: their attempts are all rows.
  `CREATE TABLE attempt_texts (
    code INTEGER PRIMARY KEY,
    -- JSON [detail or null, [log lines]]
    text TEXT NOT NULL UNIQUE
  );
  ALTER TABLE deliveries ADD COLUMN ok_text INTEGER;
  ALTER TABLE deliveries ADD COLUMN ok_ms INTEGER;`,
];

/**
 * The longest span of delivery_spans (step 7): a commit whose events' times spread wider writes several.
 * Spans written since issue 12, session 13 reach this far ahead of their first time (delivery-rows.ts spanRows).
 */
export const SPAN_MAX_MS = 1_000;

/** route_runs.message of a run whose message is its event's shared one (events.message, step 5). */
export const SHARED_MESSAGE = '';
/** SQL for a route run's message text, shared or its own (r: route_runs joined with e: events). */
export const MESSAGE_OF_RUN = "CASE WHEN r.message = '' THEN e.message ELSE r.message END";

export function migrateCore(db: SqliteDatabase): void {
  migrate(db, 'hooker-core', CORE_MIGRATIONS);
}
