import { afterEach, describe, expect, it } from 'vitest';
import type { Action, DeliveryContext, DeliveryResult } from '../../src/actions/types.js';
import { DeadlineGuard } from '../../src/delivery/deadline-guard.js';
import { closeEngines, engine, route, table, until } from './engine-fixture.js';

afterEach(async () => { await closeEngines(); });

/** Resolves when the signal aborts, with its reason. */
const aborted = (signal: AbortSignal) => new Promise<unknown>((r) => signal.addEventListener('abort', () => r(signal.reason), { once: true }));

describe('DeadlineGuard', () => {
  it('aborts a delivery that outlives the limit, not one that ended, nor one started in a later period', async () => {
    let clock = 0;
    const shutdown = new AbortController();
    const guard = new DeadlineGuard(shutdown.signal, 30, 10, () => clock);
    const quick = guard.acquire();
    const slow = guard.acquire();
    quick.release();
    clock = 11;
    const later = guard.acquire();
    const reason = await aborted(slow.signal);
    expect(reason).toMatchObject({ name: 'TimeoutError' });
    expect(String((reason as Error).message)).toContain('30 ms guard');
    // The delivery that ended kept its run unaborted; the later one has its own deadline.
    expect(later.signal.aborted).toBe(false);
    slow.release();
    await aborted(later.signal);
    later.release();
  });

  it('shutdown aborts every running delivery, and any started after it', async () => {
    const shutdown = new AbortController();
    const guard = new DeadlineGuard(shutdown.signal, 60_000);
    const a = guard.acquire();
    const b = guard.acquire();
    shutdown.abort(new Error('server is shutting down'));
    expect(a.signal.aborted && b.signal.aborted).toBe(true);
    expect((a.signal.reason as Error).message).toBe('server is shutting down');
    expect(guard.acquire().signal.aborted).toBe(true);
  });
});

describe('the action guard in the delivery engine', () => {
  it('a delivery that ignores its own timeout is aborted past the guard and retried', async () => {
    const attempts: Array<{ attempt: number; reason?: string }> = [];
    const stuck: Action = {
      name: 'stuck', type: 'test',
      async deliver(ctx: DeliveryContext): Promise<DeliveryResult> {
        if (attempts.length > 0) { attempts.push({ attempt: attempts.length + 1 }); return { ok: true }; }
        // The first attempt never answers by itself: only the guard ends it.
        const reason = await aborted(ctx.signal) as Error;
        attempts.push({ attempt: 1, reason: reason.name });
        return { ok: false, detail: `aborted: ${reason.message}` };
      },
    };
    const t = table([route('r', ['stuck'])], () => ['r'], [stuck], { stuck: { retries: 2, retryBackoffMs: 10, retryMaxBackoffMs: 10 } });
    const { router, store } = await engine(t, ':memory:', { actionGuardMs: 50 });
    const { done } = router.route({ a: 1 }, { hops: 0 });
    const [first] = await done;
    expect(first).toMatchObject({ ok: false, state: 'pending' });
    expect(first!.detail).toContain('ms guard');
    const d = await until(async () => (await store.deliveries.list({}))[0]?.state === 'succeeded' && (await store.deliveries.list({}))[0]);
    expect(d.attempts).toBe(2);
    expect(attempts).toEqual([{ attempt: 1, reason: 'TimeoutError' }, { attempt: 2 }]);
  });
});

describe('DeadlineGuard signal listeners', () => {
  it('many deliveries of one period listening on their shared signal print no MaxListenersExceededWarning', async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => { warnings.push(w.name); };
    process.on('warning', onWarning);
    try {
      const guard = new DeadlineGuard(new AbortController().signal, 60_000);
      const tickets = Array.from({ length: 40 }, () => guard.acquire());
      for (const t of tickets) t.signal.addEventListener('abort', () => {});
      await new Promise((r) => setImmediate(r));
      expect(warnings).not.toContain('MaxListenersExceededWarning');
      for (const t of tickets) t.release();
    } finally {
      process.off('warning', onWarning);
    }
  });
});
