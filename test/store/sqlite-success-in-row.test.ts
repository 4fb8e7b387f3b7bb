// SQLite core step 9: a successful attempt whose detail and log recur is kept
// in its delivery's row (a text code and a duration) instead of an attempts
// row. What the admin API shows must not change: every delivery's attempt log
// reads back as the outcomes recorded, in order, whichever form each took.

import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { openStore } from '../../src/store/open-store.js';
import type { AttemptOutcome, AttemptRecord, EventPlan, FinishItem, Store } from '../../src/store/types.js';

const dirs: string[] = [];
const stores: Store[] = [];
afterAll(async () => {
  await Promise.all(stores.splice(0).map((s) => s.close()));
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const OWNER = 'me';
const lease = () => ({ owner: OWNER, until: Date.now() + 600_000 });

/** Events of one delivery each, held at insert (as the server stores most of them), ids d0..d<n-1>. */
async function heldDeliveries(store: Store, tag: string, n: number): Promise<string[]> {
  const plans: EventPlan[] = Array.from({ length: n }, (_, i) => ({
    eventId: `${tag}-e${i}`, receivedAt: 1_000 + i, hops: 0, event: { i },
    routes: [{ route: 'r', message: { title: 't', body: `b${i}` }, deliveries: [{ id: `${tag}-d${i}`, action: 'ship', stage: 0, kind: 'ReadOnly' as const }] }],
  }));
  const ids = plans.map((p) => p.routes[0]!.deliveries[0]!.id);
  await store.deliveries.insertPlans(plans, { lease: lease(), ids: new Set(ids) });
  return ids;
}

const record = (o: AttemptOutcome): AttemptRecord => ({ startedAt: o.startedAt, finishedAt: o.finishedAt, ok: o.ok, ...(o.detail ? { detail: o.detail } : {}), log: o.log });

describe.each([false, true])('SQLite store (writer thread: %s): a success kept in its delivery row', (sqliteThread) => {
  it('reads back every attempt log as recorded, and keeps only recurring success texts, once each', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hooker-ok-row-'));
    dirs.push(dir);
    const file = join(dir, 'hooker.db');
    const store = await openStore(file, { sqliteThread });
    stores.push(store);
    const ids = await heldDeliveries(store, 'x', 300);
    const expected = new Map<string, AttemptRecord[]>(ids.map((id) => [id, []]));
    // Texts that recur (an http action's answer per status; no detail; several lines; quotes and non-ASCII) and texts
    // that vary per delivery; durations of 0 to 40 ms; some deliveries fail first (retries), some die.
    const recurring: Array<Pick<AttemptOutcome, 'detail' | 'log'>> = [
      { detail: 'POST http://127.0.0.1:9/hook answered 200', log: ['POST http://127.0.0.1:9/hook -> 200'] },
      { detail: 'POST http://127.0.0.1:9/hook answered 204', log: ['POST http://127.0.0.1:9/hook -> 204'] },
      { log: ['sent'] },
      { detail: 'wrote "x" ✓', log: ['a', 'b \u2028 "c"', ''] },
      { detail: '', log: [] },
    ];
    let t = 10_000;
    const finish = async (items: FinishItem[]) => {
      const results = await store.deliveries.finishAttempts(items);
      items.forEach((item, n) => { if (!results[n]!.lost) expected.get(item.id)!.push(record(item.outcome)); });
      return results;
    };
    for (let at = 0; at < ids.length; at += 48) {
      const items: FinishItem[] = [];
      for (const [k, id] of ids.slice(at, at + 48).entries()) {
        const i = at + k;
        t += 7;
        if (i % 10 === 3) items.push({ id, owner: OWNER, outcome: { ok: false, detail: `answered 500 (attempt 1 of 2, will retry)`, log: ['-> 500'], startedAt: t, finishedAt: t + 2, retryAt: t + 5 } });
        else if (i % 10 === 7) items.push({ id, owner: OWNER, outcome: { ok: false, detail: 'answered 400', log: ['-> 400'], startedAt: t, finishedAt: t + 1 } });
        else {
          const text = i % 10 === 9 ? { detail: `sent event ${i}`, log: [`event ${i} at ${t}`] } : recurring[i % recurring.length]!;
          items.push({ id, owner: OWNER, outcome: { ok: true, ...text, startedAt: t, finishedAt: t + (i % 41) } });
        }
      }
      const results = await finish(items);
      // The retried ones are leased again (as a claim would) and succeed with a recurring text on their second attempt.
      const retried = items.filter((_, n) => results[n]!.state === 'pending').map((i) => i.id);
      if (retried.length) {
        const claimed = await store.deliveries.claimDue('ship', t + 10, 100, lease());
        expect(claimed.map((c) => c.id).sort()).toEqual([...retried].sort());
        await finish(retried.map((id) => ({ id, owner: OWNER, outcome: { ok: true, ...recurring[0]!, startedAt: t + 20, finishedAt: t + 23 } })));
      }
    }
    // A finish that is lost (already final) records nothing, in either form.
    expect((await store.deliveries.finishAttempts([{ id: ids[0]!, owner: OWNER, outcome: { ok: true, log: ['sent'], startedAt: 1, finishedAt: 2 } }]))[0]!.lost).toBe(true);

    for (const id of ids) {
      const got = (await store.deliveries.get(id))!;
      expect(got.attemptLog, id).toEqual(expected.get(id));
      expect(got.attempts).toBe(expected.get(id)!.length);
    }
    // The recurring success texts are stored once each and most successes have no attempts row; the texts
    // of one delivery each got no code (they stay attempts rows), nor did failures.
    const db = new Database(file, { readonly: true });
    try {
      const texts = (db.prepare('SELECT text FROM attempt_texts').pluck().all() as string[]).map((s) => JSON.parse(s) as [string | null, string[]]);
      expect(texts.map(([d, log]) => JSON.stringify({ ...(d !== null ? { detail: d } : {}), log })).sort())
        .toEqual(recurring.map((r) => JSON.stringify(r)).sort());
      const inRow = db.prepare('SELECT COUNT(*) FROM deliveries WHERE ok_text IS NOT NULL').pluck().get() as number;
      const rows = db.prepare('SELECT COUNT(*) FROM attempts').pluck().get() as number;
      const all = [...expected.values()].reduce((n, log) => n + log.length, 0);
      expect(inRow).toBeGreaterThan(200);
      expect(rows + inRow).toBe(all);
      expect(db.prepare("SELECT COUNT(*) FROM attempts WHERE detail LIKE 'sent event %'").pluck().get()).toBe(30);
    } finally {
      db.close();
    }
  });
});
