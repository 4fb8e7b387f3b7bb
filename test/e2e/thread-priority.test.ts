// A real `hooker serve` with the SQLite writer thread and the HTTP client
// thread: V8's helper threads run below the event loop's priority, the
// threads the server starts itself keep it (src/server/thread-priority.ts).
import { existsSync, readdirSync, readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { HELPER_NICE } from '../../src/server/thread-priority.js';
import { oneRouteConfig, startHooker, type HookerProcess } from './hooker-process.js';
import { startReceiver } from './receiver.js';

/** Each thread's nice value (the 19th field of /proc/PID/task/TID/stat, after the command name in parentheses). */
function niceByThread(pid: number): Map<number, number> {
  const nice = new Map<number, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      nice.set(Number(tid), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]));
    } catch { /* the thread ended meanwhile */ }
  }
  return nice;
}

describe.skipIf(!existsSync('/proc/self/task'))('thread priorities of hooker serve', () => {
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let hooker: HookerProcess;
  beforeAll(async () => {
    receiver = await startReceiver();
    const cfg = join(mkdtempSync(join(tmpdir(), 'hooker-nice-')), 'cfg.yaml');
    writeFileSync(cfg, oneRouteConfig(`${receiver.url}/in`, { route: 'all', concurrency: 4 }));
    hooker = await startHooker({ HOOKER_CFG: cfg, HOOKER_SQLITE_THREAD: '1', HOOKER_HTTP_THREAD: '1' });
  });
  afterAll(async () => { await hooker?.stop(); await receiver?.close(); });

  it('V8\'s pool runs below the event loop; the HTTP client thread, started later by the event loop, keeps its priority', async () => {
    const before = niceByThread(hooker.pid);
    const main = before.get(hooker.pid)!;
    const helper = Math.min(19, main + HELPER_NICE);
    // V8's platform pool (4 threads unless --v8-pool-size says otherwise) at least.
    expect([...before].filter(([tid, n]) => tid !== hooker.pid && n === helper).length).toBeGreaterThanOrEqual(4);
    // The first delivery starts the HTTP client thread (http1-thread.ts) from the event loop.
    const res = await request(`${hooker.url}/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ rule: 'nice' }) });
    expect(res.statusCode).toBe(202);
    await res.body.text();
    const [got] = await receiver.waitFor(1);
    expect(JSON.parse(got!.body)).toEqual({ rule: 'nice' });
    const after = niceByThread(hooker.pid);
    const started = [...after].filter(([tid]) => !before.has(tid));
    expect(started.length).toBeGreaterThan(0);
    for (const [, n] of started) expect(n).toBe(main);
    expect(after.get(hooker.pid)).toBe(main);
  });
});
